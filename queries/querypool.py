"""SPARQL queries with a time limit: each runs in a worker process that can be killed.

A pyoxigraph query cannot be interrupted from another thread, so a query that
runs too long would keep a server thread (and a CPU) busy for ever. Queries
therefore run in a small pool of worker processes, each with its own
read-only handle on the persistent store. The server waits for the answer at
most ``timeout`` seconds; past that, the worker is killed, a fresh one takes
its place, and the client gets a clear error.

Workers answer ``(status, content_type, body)``; they serialize results in the
format negotiated for the request (results formats for SELECT/ASK, RDF
formats for CONSTRUCT/DESCRIBE).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from dataclasses import dataclass

import pyoxigraph as ox

RESULTS_FORMATS = {  # media type -> pyoxigraph results format
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
FORMAT_PARAMS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                 "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle",
                 "ntriples": "application/n-triples", "nt": "application/n-triples", "jsonld": "application/ld+json",
                 "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml"}


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def _pick(preferences: list[str], table: dict) -> str:
    for media in preferences:
        if media in table:
            return media
    return next(iter(table))


@dataclass(frozen=True)
class Dataset:
    """How the query reads the store: the SPARQL Protocol's dataset, and the base for relative IRIs.

    ``default_graphs``/``named_graphs`` are None when the request names no
    dataset (the query's own FROM, else the store's default graph, stands);
    when either is given both replace the query's FROM (an absent one is empty).
    """
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None

    def options(self) -> dict:
        options = {"base_iri": self.base_iri}
        if self.default_graphs is not None or self.named_graphs is not None:
            options["default_graph"] = [ox.NamedNode(g) for g in self.default_graphs or ()]
            options["named_graphs"] = [ox.NamedNode(g) for g in self.named_graphs or ()]
        return options


def run_query(store: ox.Store, query: str, preferences: list[str], dataset: Dataset = Dataset()) -> Answer:
    """Run one query and serialize its result in the first acceptable format."""
    try:
        result = store.query(query, **dataset.options())
    except SyntaxError as exc:
        return Answer(400, "text/plain; charset=utf-8", f"SPARQL syntax error: {exc}\n".encode())
    except OSError as exc:
        return Answer(500, "text/plain; charset=utf-8", f"query failed: {exc}\n".encode())
    if isinstance(result, ox.QueryTriples):
        media = _pick(preferences, GRAPH_FORMATS)
        return Answer(200, media + "; charset=utf-8", result.serialize(format=GRAPH_FORMATS[media]))
    media = _pick(preferences, RESULTS_FORMATS)
    return Answer(200, media + "; charset=utf-8", result.serialize(format=RESULTS_FORMATS[media]))


def without_network() -> bool:
    """Move this process into new, empty user and network namespaces (Linux): from then on it can open
    no connection at all, not even to loopback. A query worker needs only its store and its pipe, so
    a ``SERVICE`` that slipped past the server's refusal (``tipkg.server.outbound``) could still call no
    host. False where the system does not allow it (then the refusal alone stands)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(0x10000000 | 0x40000000) == 0  # CLONE_NEWUSER | CLONE_NEWNET
    except (OSError, AttributeError):
        return False


def _worker(store_path: str, conn, isolated: bool = False) -> None:
    if isolated:
        without_network()  # before the store starts any thread: unshare needs a single-threaded process
    store = ox.Store.read_only(store_path)
    while True:
        try:
            query, preferences, dataset = conn.recv()
        except EOFError:
            return
        try:
            answer = run_query(store, query, preferences, dataset)
        except Exception as exc:  # noqa: BLE001 — any failure is the answer, the worker lives on
            answer = Answer(500, "text/plain; charset=utf-8", f"query failed: {exc}\n".encode())
        conn.send(answer)


class QueryPool:
    """``workers`` processes answering queries on the store at ``store_path``, ``timeout`` seconds each;
    ``isolated`` workers run without network access (the public server's)."""

    def __init__(self, store_path: str, workers: int = 2, timeout: float = 10.0, isolated: bool = False):
        self.store_path, self.timeout, self.isolated = store_path, timeout, isolated
        self.ctx = mp.get_context("spawn")
        self.idle: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.all: set = set()
        for _ in range(workers):
            self.idle.put(self._start())

    def _start(self):
        ours, theirs = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker, args=(self.store_path, theirs, self.isolated), daemon=True)
        process.start()
        theirs.close()
        with self.lock:
            self.all.add(process)
        return process, ours

    def query(self, query: str, preferences: list[str], dataset: Dataset = Dataset()) -> Answer:
        try:
            process, conn = self.idle.get(timeout=self.timeout)
        except queue.Empty:
            return Answer(503, "text/plain; charset=utf-8",
                          f"all query workers are busy; try again (time limit {self.timeout:g}s)\n".encode())
        try:
            conn.send((query, preferences, dataset))
            if conn.poll(self.timeout):
                answer = conn.recv()
                self.idle.put((process, conn))
                return answer
        except (EOFError, OSError, BrokenPipeError):
            pass
        self._replace(process, conn)
        return Answer(503, "text/plain; charset=utf-8",
                      f"query stopped: it ran longer than the time limit of {self.timeout:g} seconds\n".encode())

    def _replace(self, process, conn) -> None:
        process.kill()
        process.join(5)
        conn.close()
        with self.lock:
            self.all.discard(process)
        self.idle.put(self._start())

    def close(self) -> None:
        with self.lock:
            processes = list(self.all)
        for process in processes:
            process.kill()
            process.join(5)
