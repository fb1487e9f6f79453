"""Helpers of the reliability suite: real little servers and raw clients on 127.0.0.1.

* ``Listener``: a TCP listener that must receive nothing (SSRF probes): it
  counts every connection and every byte it is sent.
* ``raw``: one HTTP exchange written byte by byte, so a test can send what
  well-behaved clients never send (bad methods, huge lines, broken bodies).
* ``FakeStore``: a store that misbehaves on purpose (down, 401, 500, slow,
  closing mid-answer), to see what ``tipkg publish`` and ``tipkg query`` say.

``tipkg serve`` itself is started by ``lod_support.serve``, as every test starts it.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path


class Loopback:
    """A TCP listener on a free loopback port, accepting in a daemon thread until ``close``; each connection
    goes to ``accepted`` (a subclass sets its own fields before calling this ``__init__``, which starts the
    thread)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)  # accept() returns now and then, to see ``close``
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted(conn)

    def accepted(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self):
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


class Listener(Loopback):
    """A loopback TCP listener recording whatever reaches it."""

    def __init__(self):
        self.connections = 0
        self.received = b""
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}/sparql"

    def accepted(self, conn: socket.socket) -> None:
        self.connections += 1
        conn.settimeout(1)
        try:
            self.received += conn.recv(65536)
        except OSError:
            pass
        conn.close()


def raw(url: str, data: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as it is to the server of ``url``; the status, headers and body of its answer
    (status 0: the connection closed without one)."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    if not answer:
        return 0, {}, b""
    if not answer.startswith(b"HTTP/"):  # an HTTP/0.9 answer (to a request line that is not HTTP): the body alone
        return int(answer.split()[0]) if answer.split()[0].isdigit() else 0, {}, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def request(method: str, path: str, headers: dict | None = None, body: bytes = b"") -> bytes:
    """The bytes of an HTTP/1.0 request (Content-Length added when there is a body)."""
    headers = dict(headers or {})
    if body and "Content-Length" not in headers:
        headers["Content-Length"] = str(len(body))
    lines = [f"{method} {path} HTTP/1.0", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


class FakeStore(Loopback):
    """A store on loopback that misbehaves as told, for ``publish`` (PUT) and ``query`` (GET/POST).

    mode: ``401``/``500`` answer at once, after the headers, without reading the
    body (HTTP/1.0: no 100 Continue), then close; ``500-late`` reads 64 KiB of
    the body first; ``slow`` reads nothing and answers nothing for ``delay``
    seconds; ``cut`` reads the request, then sends a 200 with a Content-Length
    and half the body, and closes; ``early-200`` does that without reading.
    """

    def __init__(self, mode: str, delay: float = 3.0):
        self.mode, self.delay = mode, delay
        self.requests = 0
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def accepted(self, conn: socket.socket) -> None:
        threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        self.requests += 1
        conn.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            if self.mode == "slow":
                time.sleep(self.delay)
                return
            if self.mode == "500-late":
                got = len(head.partition(b"\r\n\r\n")[2])
                while got < 65536:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
            if self.mode == "cut":  # read the whole request, as a store that stored it would
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1)) if b"ength:" in head else 0
                got = len(head.partition(b"\r\n\r\n")[2])
                while got < length:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        break
                    got += len(chunk)
            if self.mode in ("cut", "early-200"):
                body = b'{"head": {"vars": ["n"]}, "results": {"bindings": [' + b" " * 2000
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                             + f"Content-Length: {len(body) * 2}\r\n\r\n".encode() + body)
                return
            status = {"401": "401 Unauthorized", "500": "500 Internal Server Error",
                      "500-late": "500 Internal Server Error"}[self.mode]
            body = f"store says {status}".encode()
            conn.sendall(f"HTTP/1.0 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
        except OSError:
            pass
        finally:
            conn.close()
