"""Limits that keep the server answering when clients misbehave.

``ThreadingHTTPServer`` starts one thread per connection and lets it wait for
the request for ever, so thousands of connections that open and send nothing
(or send a byte a minute) would pile up threads until the process can start no
more. Two limits, both options of ``tipkg serve``, prevent that:

* ``read_timeout``: a connection that sends nothing (request line, headers or
  body) for that many seconds is closed, and a client that does not read the
  answer for that long is dropped (the handler's socket timeout);
* ``max_connections``: at most that many connections are served at once. When
  all are taken, the oldest connection that has not yet sent a whole request
  head (request line and headers: an idle or trickling client) is closed to
  make room, so a flood of half-open connections cannot lock others out; when
  every connection is busy with a real request, one more is answered ``503``
  with ``Retry-After`` at once and closed, from the accepting thread, without
  starting a thread for it.

The defaults (20 s, 256 connections) are far above what the query workers can
use and far below what exhausts a process.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import ThreadingHTTPServer

#: defaults of ``tipkg serve --read-timeout`` and ``--max-connections``
READ_TIMEOUT = 20.0
MAX_CONNECTIONS = 256


class GuardedServer(ThreadingHTTPServer):
    """A threading HTTP server with a cap on concurrent connections (its handler carries the read timeout)."""

    daemon_threads = True
    #: connections the kernel queues before accept (http.server's 5 drops bursts: clients wait a second to retry)
    request_queue_size = 128

    def __init__(self, address, handler, *, max_connections: int = MAX_CONNECTIONS):
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self.max_connections = max_connections
        self.slots = threading.BoundedSemaphore(max_connections)
        self.refused = self.evicted = 0
        #: connections that have not yet sent a whole request head, with the time they were accepted
        self.waiting: dict = {}
        self.waiting_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            if not (self.evict_idle() and self.slots.acquire(timeout=1.0)):
                self.refused += 1
                return self.refuse(request)
        with self.waiting_lock:
            self.waiting[request] = time.monotonic()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.head_read(request)
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.head_read(request)
            self.slots.release()

    def head_read(self, request) -> None:
        """The connection has sent its request head (or is gone): it is no longer a candidate for eviction."""
        with self.waiting_lock:
            self.waiting.pop(request, None)

    def evict_idle(self) -> bool:
        """Close the oldest connection still waiting for its request head; False when there is none.
        Its thread sees the end of the stream at once and frees its slot."""
        with self.waiting_lock:
            if not self.waiting:
                return False
            oldest = min(self.waiting, key=self.waiting.get)
            del self.waiting[oldest]
        self.evicted += 1
        try:
            oldest.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return True

    def refuse(self, request) -> None:
        body = (f"503 Service Unavailable: {self.max_connections} connections are open, "
                f"the most this server serves at once; try again shortly\n").encode("utf-8")
        head = ("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n").encode("ascii")
        try:
            request.settimeout(1.0)  # a small answer into an empty socket buffer: never blocks the accept loop
            request.sendall(head + body)
        except OSError:
            pass
        self.shutdown_request(request)
