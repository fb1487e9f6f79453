"""The table of output writers: every file a build puts in ``OUT``, in one place.

In the manner of rdflib's plugin registry, a writer is registered under the
name of the file it writes, with its media type and the dotted path of its
function (imported only when used); ``write_dumps`` (``outputs.py``) runs the
table in order. Adding a dump is one ``register`` call; the server's list of
downloadable files and VoID's ``void:dataDump`` links read the same table.

Every writer is called as ``write(triples, path, settings)``: the build's
sorted triples, the file or folder to write, and the ``DumpSettings``; the
``segmented`` writers (the text dumps and VoID) are written together, by
``write_segmented``.

>>> [w.name for w in writers()][:2]
['graph.nt', 'graph.ttl']
>>> media_type("graph.trig")
'application/trig'
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from .delta import Delta


@dataclass(frozen=True)
class DumpSettings:
    """What writers may need beyond the triples: the URI base, whether the graph was validated, and
    the ``delta`` against the previous build of OUT (``delta.py``; set once graph.nt is written, None when
    there is no usable previous build): a writer may start from its previous output."""

    base: str | None = None
    validated: bool = False
    delta: Delta | None = None
    jobs: int | None = None  # processes writing the text dumps' segments (default: every core)
    lean: bool = False  # the store's load and the children of a written graph start from the lean server (parallel.py)
    # a small graph of a whole build (``outputs.in_memory_queries``): the writers that query the graph read graph.nt
    # loaded into memory, not the store, so they start beside the store's load
    memory: bool = False
    # a rebuild's text dumps, started beside the store's making from the previous one: the marker the build
    # leaves once the store is made (``made``) or will not be (``failed``); their VoID waits for it to read the store
    store_end: str | None = None


@dataclass(frozen=True)
class Writer:
    """One output: ``name`` in ``OUT``; ``forked``: pure-Python, written in a child beside the others;
    ``feeds``: read by the others (``graph.nt``, and the store loaded from it), so written first and
    checked before any other is; ``queries``: asks the graph SPARQL queries, over the store or, with
    ``DumpSettings.memory``, over graph.nt loaded into memory."""

    name: str
    media_type: str | None
    function: str  # "module:function"
    forked: bool = False
    dump: bool = True  # a downloadable RDF dump (listed in VoID and served)
    feeds: bool = False
    segmented: bool = False  # written with the others so marked, in one pass over graph.nt's segments
    queries: bool = False

    def __call__(self, triples, path, settings: DumpSettings) -> None:
        if self.segmented:
            write_segmented([self], triples, Path(path).parent, settings)
            return
        module, _, function = self.function.partition(":")
        getattr(import_module(module), function)(triples, path, settings)


def write_segmented(chosen: list[Writer], triples, folder: Path, settings: DumpSettings) -> None:
    """The files of the segmented writers ``chosen``, written together (``graph/segments.py``)."""
    from tipkg.graph.segments import write_segmented as write

    write(triples, folder, settings, [w.name for w in chosen])


_WRITERS: dict[str, Writer] = {}


def register(name: str, media_type: str | None, function: str, *, forked: bool = False, dump: bool = True,
             feeds: bool = False, segmented: bool = False, queries: bool = False) -> Writer:
    """Add (or replace) the writer of ``name``; the table keeps the order of registration."""
    _WRITERS[name] = Writer(name, media_type, function, forked, dump, feeds, segmented, queries)
    return _WRITERS[name]


def writers() -> list[Writer]:
    """Every registered writer, in the order the build runs them."""
    return list(_WRITERS.values())


def media_type(name: str) -> str | None:
    """The media type of an output file, None if no writer makes it."""
    writer = _WRITERS.get(name)
    return writer.media_type if writer else None


def dumps() -> list[str]:
    """The names of the downloadable RDF dumps (VoID's ``void:dataDump``)."""
    return [w.name for w in _WRITERS.values() if w.dump]


# graph.nt first: the store is bulk-loaded from it, and every other writer reads the same sorted triples;
# the store next (``feeds``): validation and the precomputed answers query it (the text dumps read graph.nt
# alone, and start beside the store's load: outputs.write_dumps; a small graph is validated and queried in
# memory, beside the store's load too).
register("graph.nt", "application/n-triples", "tipkg.graph.outputs:write_ntriples", feeds=True)
# the text dumps and VoID: one forked child cuts graph.nt into segments, renders them in a process pool
# and copies those the previous build wrote (graph/segments.py)
register("graph.ttl", "text/turtle", "tipkg.graph.segments", forked=True, segmented=True)
register("graph.jsonld", "application/ld+json", "tipkg.graph.segments", forked=True, segmented=True)
register("graph.trig", "application/trig", "tipkg.graph.segments", forked=True, segmented=True)
register("void.ttl", "text/turtle", "tipkg.graph.segments", forked=True, dump=False, segmented=True)
register("context.jsonld", "application/ld+json", "tipkg.graph.dumps:write_context", dump=False)
register("store", None, "tipkg.graph.store:write_store", dump=False, feeds=True)
# after the store: the answers of the whole-graph catalog queries, run on it (queries/precomputed.py); for a
# small whole graph, on graph.nt in memory, beside the store's load
register("precomputed", None, "tipkg.queries.precomputed:write_precomputed", dump=False, forked=True, queries=True)
