"""Shared fixtures: the bundled corpus read, structured and BUILT once per session.

The whole suite shares one build of the bundled corpus (``corpus_build``): it is
written into a session temporary folder (validated, every dump and the store) and
its in-memory result is kept, so tests that need the graph, the dumps, the
references or the store read the same build instead of building their own.
Shared fixtures live here, not in helper modules imported by tests (an imported
fixture shadows nothing, but linters read it as an unused import or a redefinition).

Tests that build again on purpose (determinism, the console script, a replicated
corpus, every notebook, a broken corpus) say so and are marked ``slow``:
``python3 -m pytest -m "not slow"`` is the inner loop, ``bash .ci/run`` the whole suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph

from tipkg.loaders import load_structure
from tipkg.sources import read_corpus


@pytest.fixture(scope="session")
def sources():
    return {s.identifier: s for s in read_corpus()}


@pytest.fixture(scope="session")
def structured(sources):
    return [load_structure(s) for s in sources.values()]


@pytest.fixture(scope="session")
def paragraphs(structured):
    """Every paragraph read, by identifier (first source wins, as in the graph)."""
    out = {}
    for item in structured:
        for document in item.documents:
            for p in document.paragraphs:
                out.setdefault(p.identifier, p)
    return out


# --- the one build of the corpus ---------------------------------------------------------------

@dataclass(frozen=True)
class CorpusBuild:
    """``tipkg build --out OUT`` of the bundled corpus: the folder it wrote and what it returned."""

    out: Path
    result: object  # tipkg.pipeline.BuildResult
    progress: tuple[str, ...]


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory) -> CorpusBuild:
    """The bundled corpus built once for the whole run (validated, every dump written)."""
    from tipkg.pipeline import build

    out = tmp_path_factory.mktemp("corpus-build") / "out"
    said: list[str] = []
    result = build(out_dir=out, progress=said.append)
    return CorpusBuild(out, result, tuple(said))


@pytest.fixture(scope="session")
def built_out(corpus_build) -> Path:
    """The folder the session build wrote (graph.nt, graph.ttl, …, store/). Read only."""
    return corpus_build.out


@pytest.fixture(scope="session")
def build_result(corpus_build):
    """The session build's ``BuildResult`` (triples, structure, references, timings)."""
    return corpus_build.result


@pytest.fixture(scope="session")
def references(build_result):
    """What the references stage of the session build read."""
    return build_result.references


@pytest.fixture(scope="session")
def corpus_graph(build_result) -> Graph:
    """The graph of the bundled corpus as an rdflib Graph. Shared: never add to it (copy it)."""
    return build_result.graph


@pytest.fixture(scope="session")
def corpus_index(corpus_graph):
    """The network projections' index of the corpus graph."""
    from tipkg.network.projections import Index

    return Index(corpus_graph)


@pytest.fixture(scope="session")
def lod_graph(corpus_graph) -> Graph:
    """The corpus graph plus the hand-built sample of reference edges (tests/lod_support.py)."""
    from lod_support import add_sample_edges

    g = Graph()
    for prefix, ns in corpus_graph.namespaces():
        g.bind(prefix, ns)
    for triple in corpus_graph:
        g.add(triple)
    return add_sample_edges(g)


@pytest.fixture(scope="session")
def server(lod_graph, tmp_path_factory):
    """`tipkg serve` of the dumps of ``lod_graph``, a real subprocess on a free loopback port: its URL."""
    from lod_support import served

    from tipkg.graph.outputs import write_dumps
    from tipkg.graph.writers import DumpSettings

    out = tmp_path_factory.mktemp("served")
    write_dumps(lod_graph, out, DumpSettings(validated=True))
    with served(out, "--timeout", "2") as url:
        yield url


@pytest.fixture(scope="session")
def store(built_out):
    """The embedded store the session build wrote (read only)."""
    from tipkg.graph.store import open_store

    return open_store(built_out)


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph server (the `oxigraph` PyPI package) on a free loopback port: its URL. One per module."""
    import subprocess
    import time
    import urllib.request

    from lod_support import free_port, oxigraph_cli

    exe = oxigraph_cli()
    if exe is None:  # a missing tool FAILS: it is a test extra of pyproject.toml
        pytest.fail("the oxigraph server (PyPI package `oxigraph`, a test extra) is not installed")
    port = free_port()
    process = subprocess.Popen([exe, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                                "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"oxigraph server exited: {process.stderr.read().decode()}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
