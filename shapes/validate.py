"""Stage 6 — validate: the graph against the SHACL shapes, before anything is written.

``shapes/tipkg-shapes.ttl`` is standard SHACL, and pyshacl can run all of it,
but slowly: it evaluates every constraint one focus node at a time, in Python,
over rdflib (2.4 s on the corpus, 48 s at 500 000 triples), and each
``sh:sparql`` query once per focus node. So the default engine, ``sparql``,
compiles the shapes instead (``shapes/shacl_sparql.py``): every constraint of
every targeted shape becomes one SPARQL SELECT whose solutions are the
violating focus nodes (and values), evaluated over all focus nodes at once in
a pyoxigraph store of the data. ``sh:targetClass`` and ``sh:class`` reach the
sub-classes through the class hierarchy of the ontology, computed in Python
(the ontology is not copied into the data). The ``sh:sparql`` constraints run
once each, ``$this`` free, joined with the shape's focus nodes.

``engine="pyshacl"`` is the reference: everything in pyshacl over an rdflib
graph, with the ontology's hierarchy mixed in. tests/test_validate.py checks
that both engines report the same (shape, node, component, path) on a broken
graph for every constraint component the shapes use.

Both engines give one report, in one format (``ValidationResult``), readable
(``report.text()``) and as a SHACL validation report graph (``report.graph()``).
A rebuild whose previous build conformed validates only the focus nodes its
delta can affect (``shapes/affected.py``): the same report, and its first line
says so (``ValidationReport.scope``).

>>> from rdflib import Graph
>>> validate(Graph()).conforms
True
>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("https://w3id.org/tipkg/id/TIPP"), ox.NamedNode(str(RDF.type)),
...                   ox.NamedNode("https://w3id.org/tipkg/ontology#Instrument")))
>>> sorted({(r.shape, r.component) for r in validate(store).results})[:2]
[('tipsh:Bilingual', 'QualifiedMinCountConstraintComponent'), ('tipsh:Identified', 'MinCountConstraintComponent')]
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from tipkg.parallel import beside_child
from tipkg.graph.triples import TripleSet, rdflib_term
from tipkg.ontology.files import ontology_graph
from tipkg.ontology.namespace import curie
from tipkg.shapes import local, unions
from tipkg.shapes.runs import nt_runs, parts, store_runs
from tipkg.shapes.shacl_sparql import SH, Check, UnsupportedShape, compile_shapes, subclass_closure

_T = TypeVar("_T")  # what share_with_child hands out: checks, or check_reads' templates

__all__ = ["ENGINES", "LocalPass", "ValidationReport", "ValidationResult", "UnsupportedShape", "local_pass", "validate",
           "validation_store", "in_memory"]

ENGINES = ("sparql", "pyshacl", "split")  # "split" is the former name of "sparql"
SHAPES_TTL = Path(str(resources.files("tipkg.shapes").joinpath("tipkg-shapes.ttl")))
SHAPES_NS = "https://w3id.org/tipkg/shapes#"


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One thing wrong: which shape, which node (and its identifier), the message, the offending value."""

    shape: str
    focus: str
    identifier: str | None
    message: str
    value: str | None = None
    path: str | None = None
    severity: str = "Violation"
    component: str = ""


def _order(r: ValidationResult) -> tuple:
    """A result's place in a report: its fields in order, an absent one (None) before any text (results of
    one node with and without a value or a path, compared as they are, raised TypeError: a graph broken in
    several ways could not be reported)."""
    return tuple((x is not None, x or "") for x in (r.shape, r.focus, r.identifier, r.message, r.value, r.path,
                                                    r.severity, r.component))


@dataclass
class ValidationReport:
    """All results of a validation; ``conforms`` only when there are no violations."""

    results: list[ValidationResult]
    timings: dict[str, float] = field(default_factory=dict)
    triples: int = 0
    scope: str = ""  # what was validated when not the whole graph (shapes/affected.py: a delta's focus nodes)

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def by_shape(self) -> dict[str, dict[str, list[ValidationResult]]]:
        grouped: dict[str, dict[str, list[ValidationResult]]] = defaultdict(lambda: defaultdict(list))
        for r in sorted(set(self.results), key=_order):
            grouped[r.shape][r.focus].append(r)
        return grouped

    def text(self, limit: int = 20) -> str:
        """A readable report grouped by shape, then node; at most ``limit`` nodes per shape."""
        timing = "; ".join(([self.scope] if self.scope else []) + [", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())])
        if self.conforms and not self.results:
            return f"conforms: {self.triples} triples, no violations ({timing})"
        lines = [f"{'conforms' if self.conforms else 'DOES NOT CONFORM'}: {len(set(self.results))} results "
                 f"in {len(self.by_shape())} shapes, {self.triples} triples ({timing})"]
        for shape, nodes in self.by_shape().items():
            lines.append(f"\n{shape}  ({len(nodes)} nodes)")
            for n, (focus, results) in enumerate(nodes.items()):
                if n == limit:
                    lines.append(f"  … and {len(nodes) - limit} more nodes")
                    break
                lines.append(f"  {results[0].identifier or '(no identifier)'}  <{focus}>")
                for r in results:
                    where = f"{r.path}: " if r.path else ""
                    value = f"  [value: {r.value}]" if r.value is not None else ""
                    lines.append(f"    {r.severity.lower()}: {where}{r.message}{value}")
        return "\n".join(lines)

    def graph(self) -> Graph:
        """The report as a SHACL ``sh:ValidationReport`` graph."""
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for r in sorted(set(self.results), key=_order):
            node = BNode()
            g.add((report, SH.result, node))
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.focusNode, URIRef(r.focus)))
            g.add((node, SH.resultSeverity, SH[r.severity]))
            g.add((node, SH.resultMessage, Literal(r.message)))
            g.add((node, SH.sourceShape, URIRef(r.shape.replace("tipsh:", SHAPES_NS))))
            if r.component:
                g.add((node, SH.sourceConstraintComponent, SH[r.component]))
            if r.value is not None:
                g.add((node, SH.value, Literal(r.value)))
        return g


@lru_cache(maxsize=4)
def load_shapes(path: str | Path = SHAPES_TTL) -> Graph:
    return Graph().parse(str(path), format="turtle")


def validate(data: ox.Store | Graph, shapes: Graph | None = None, ontology: Graph | None = None, *,
             engine: str = "sparql", reopen=None, triples: int | None = None,
             nt: str | Path | None = None, done: LocalPass | None = None) -> ValidationReport:
    """Validate ``data`` (a pyoxigraph store's default graph, or an rdflib graph); never modifies it.

    ``engine='sparql'`` runs the shapes compiled to SPARQL in pyoxigraph (fast);
    ``engine='pyshacl'`` runs everything in pyshacl (the reference, slow). ``reopen``: how a forked
    child sharing the checks gets the store (``run_checks``); None: one process. ``triples``: how many
    the store holds, when the caller knows (counting a persistent store reads all of it: ×100 6.5 s).
    ``nt``: the store's graph as a sorted N-Triples file (a build's graph.nt), where the checks local
    to a focus node read it (``shapes/local.py``); else they read the store's subject index. ``done``:
    those checks already answered from that file (``local_pass``, made before the store was loaded), used
    when it was compiled for the same class hierarchy as this store's (else the pass runs here as usual).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r} (one of {', '.join(ENGINES)})")
    shapes = shapes if shapes is not None else load_shapes()
    ontology = ontology if ontology is not None else ontology_graph()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    if engine == "pyshacl":
        graph = data if isinstance(data, Graph) else graph_of(data)
        results = _pyshacl(graph, shapes, ontology)
        timings["pyshacl"] = time.perf_counter() - clock
        return ValidationReport(results, timings, len(graph))
    if isinstance(data, Graph):
        store = store_of(data)
        timings["load (oxigraph)"] = time.perf_counter() - clock
        clock = time.perf_counter()
    else:
        store = data
    pairs = class_pairs(ontology, store)
    checks = _compiled_for(shapes, pairs)
    answered = None
    if done is not None and done.answers is not None and done.pairs == pairs:
        runs, answered = None, done.answers
        timings["local pass (before the store)"] = done.seconds
    elif nt is None:
        runs = [store_runs]
    else:  # two readers, one each side of the fork, each from a subject's first line to the other's
        starts = parts(nt, 2 if reopen is not None else 1)
        ends = [subject for _, subject in starts[1:]] + [None]
        runs = [lambda _store, wanted, start=start, stop=stop: nt_runs(nt, wanted, start, stop)
                for (start, _), stop in zip(starts, ends)]
    results = run_checks(store, checks, reopen, runs=runs, answered=answered)
    timings["sparql (oxigraph)"] = time.perf_counter() - clock
    return ValidationReport(results, timings, default_graph_size(store) if triples is None else triples)


#: a graph.nt up to this size is validated in an in-memory store (about 3.6 bytes of RAM per byte of N-Triples)
IN_MEMORY_BYTES = 128 * 1024 * 1024


def validation_store(triples: TripleSet) -> ox.Store:
    """The store a build validates: its graph.nt bulk-loaded into memory when the file is small
    (the compiled queries run about twice as fast there as over RocksDB, load included: ×1 0.37 s
    against 0.74 s), else the build's persistent store, opened read-only, so memory stays bounded."""
    if in_memory(triples):
        from tipkg.graph.store import memory_store  # (the one the check's child loaded, when it kept it)

        return memory_store(triples.path)  # type: ignore[arg-type]  # (in_memory: it has a path)
    return triples.store()


def in_memory(triples: TripleSet) -> bool:
    """Whether ``validation_store`` loads the written graph.nt into memory (it does not read the store)."""
    return triples.path is not None and triples.path.stat().st_size <= IN_MEMORY_BYTES


# -- rdflib <-> pyoxigraph ----------------------------------------------------------------------

def store_of(graph: Graph) -> ox.Store:
    """An in-memory store whose default graph holds ``graph`` (each term converted once)."""
    return TripleSet.of(graph).store()


def graph_of(store: ox.Store) -> Graph:
    """The default graph of ``store`` as an rdflib graph (for the pyshacl engine)."""
    graph = Graph()
    graph.addN((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object), graph)
               for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return graph


def default_graph_size(store: ox.Store) -> int:
    """How many triples ``store``'s default graph holds, what a report gives as its size: ``len(store)``
    when it has no named graph (cheap), else a count of the default graph's quads. Delta validation
    (``affected``) asks for it when the caller does not know the count."""
    if next(iter(store.named_graphs()), None) is None:
        return len(store)
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


# -- the shapes compiled to SPARQL, run in pyoxigraph --------------------------------------------

_compiled: dict[tuple, tuple[Graph, list[Check]]] = {}


def class_pairs(ontology: Graph, store: ox.Store) -> frozenset[tuple[str, str]]:
    """(sub-class, class) of the ontology and of the data: what ``sh:class`` and ``sh:targetClass`` reach."""
    sub_class = ox.NamedNode(str(RDFS.subClassOf))
    pairs = {(str(s), str(o)) for s, o in ontology.subject_objects(RDFS.subClassOf)}
    pairs |= {(q.subject.value, q.object.value) for q in store.quads_for_pattern(None, sub_class, None, ox.DefaultGraph())}
    return frozenset(pairs)


def compiled(shapes: Graph, ontology: Graph, store: ox.Store) -> list[Check]:
    """The checks of ``shapes``; classes reach their sub-classes in the ontology and in the data."""
    return _compiled_for(shapes, class_pairs(ontology, store))


def _compiled_for(shapes: Graph, pairs: frozenset[tuple[str, str]]) -> list[Check]:
    key = (id(shapes), len(shapes), pairs)
    if key not in _compiled:
        if len(_compiled) > 8:
            _compiled.clear()
        _compiled[key] = (shapes, compile_shapes(shapes, subclass_closure(pairs)))  # keeps ``shapes`` alive: ids stay unique
    return _compiled[key][1]


@dataclass(frozen=True)
class LocalPass:
    """The answers of the checks local to a focus node (``shapes/local.py``), from one pass over a sorted
    graph.nt made before its store exists (``local_pass``): what ``run_checks`` would find for them, for
    the checks compiled with the class hierarchy ``pairs``. ``answers`` None: the file could not be read
    as runs of subjects, the queries answer them."""

    pairs: frozenset[tuple[str, str]]
    answers: list[tuple[list[str], list[tuple]]] | None
    seconds: float


def local_pass(nt: str | Path, shapes: Graph | None = None, ontology: Graph | None = None) -> LocalPass:
    """The local checks answered from graph.nt alone, before the store is loaded: a cold build of a large
    graph forks it as the store's bulk load starts (``tipkg/pipeline.py``; nothing of RocksDB is open in
    the process then), so the pass runs beside the load, not after it, and ``validate(…, done=)`` takes it.

    The classes are those of the ontology alone (a store is not there to read the data's own
    ``rdfs:subClassOf``): ``validate`` uses the answers only when the store adds no class pair."""
    start = time.process_time()
    shapes = shapes if shapes is not None else load_shapes()
    ontology = ontology if ontology is not None else ontology_graph()
    pairs = class_pairs(ontology, ox.Store())
    passed = [c.local for c in _compiled_for(shapes, pairs) if c.local is not None]
    try:
        answers: list | None = local.evaluate(passed, lambda wanted: nt_runs(nt, wanted))
    except local.Unsorted:
        answers = None
    return LocalPass(pairs, answers, time.process_time() - start)


_IDENTIFIER = ox.NamedNode(str(DCTERMS.identifier))


def run_checks(store: ox.Store, checks: list[Check], reopen=None, runs=None,
               answered: list[tuple[list[str], list[tuple]]] | None = None) -> list[ValidationResult]:
    """Each check's query once; each solution is a result. With ``runs`` (functions of a store and the
    predicates wanted, each giving a part of the graph's runs of subjects: ``nt_runs``,
    ``store_runs``), the checks local to a focus node are answered instead by one pass over each
    part (``shapes/local.py``), jobs beside the queries; if the runs cannot be read so (``local.Unsorted``),
    by their queries. ``answered``: that pass's answers, made already (``local_pass``), in the order of
    the local checks.

    pyoxigraph 0.5 holds the GIL while it evaluates a query (two threads took as long as one), so
    the checks are shared with a forked child instead (``share_with_child``) when the caller says how the
    child gets its store: every other check runs there, over ``reopen()`` (``lambda: store`` for an
    in-memory store, inherited by the fork; a function opening a persistent one anew, never a RocksDB
    handle used across a fork). Without ``reopen`` the checks run here, one after another."""
    identifiers: dict = {}

    def identifier(node) -> str | None:
        if node not in identifiers:
            found = sorted(q.object.value for q in store.quads_for_pattern(node, _IDENTIFIER, None, ox.DefaultGraph())) \
                if isinstance(node, (ox.NamedNode, ox.BlankNode)) else []
            identifiers[node] = found[0] if found else None
        return identifiers[node]

    def solver(where: ox.Store):
        sizes: dict[str, int] = {}

        def size(pattern: str) -> int:
            if pattern not in sizes:
                ((n,),) = where.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
                sizes[pattern] = int(n.value)
            return sizes[pattern]

        def solve(check: Check) -> tuple[list[str], list[tuple]]:
            if check.parts and check.member is not None:  # a union's branches one at a time (shapes/unions.py)
                return unions.run(where, check.parts, check.member)
            query = check.query
            if check.focused is not None and check.sizes is not None:
                focus, values = check.sizes  # few focus nodes: look their values up rather than test every value
                query = check.focused if check.few * size(focus) <= size(values) else check.query
            solutions = where.query(query)
            return [v.value for v in solutions.variables], [tuple(row) for row in solutions]
        return solve

    runs = [] if answered is not None else runs or []
    by_pass = bool(runs) or answered is not None  # the local checks are not queried
    passed = [c for c in checks if c.local is not None] if by_pass else []
    if answered is not None and len(answered) != len(passed):
        raise ValueError(f"{len(answered)} local answers for {len(passed)} local checks")
    rest = {id(c): r for c in passed if (r := c.queried_rest()) is not None}  # a split check's other branches
    queried = [c for c in checks if not by_pass or c.local is None] + list(rest.values())
    jobs: list[Check | int] = [*range(len(runs)), *queried] if runs and passed else list(queried)  # k: the pass over runs[k]

    # a pass in parts leaves the files of its checks that join nodes across the graph here (``local.joined``)
    spill = tempfile.TemporaryDirectory(prefix="tipkg-spill-") if len(runs) > 1 and passed else None
    spills = [Path(spill.name) / str(k) for k in range(len(runs))] if spill is not None else []

    def work(where: ox.Store, part: list[Check | int]) -> list:
        solve, out = solver(where), []
        for job in part:
            if isinstance(job, Check):
                out.append(solve(job))
                continue
            try:
                out.append(local.evaluate([c.local for c in passed if c.local is not None],
                                          lambda wanted, job=job: runs[job](where, wanted),
                                          spills[job] if spills else None))
            except local.Unsorted:
                out.append(None)  # the queries answer them (below)
        return out

    try:
        if reopen is None:
            done = work(store, jobs)
        else:  # one solver per process: its counts are shared by the checks of a shape (made per check, they were
            # counted again for each: x10, 416 COUNT queries, 40 % of the validation's time)
            done = share_with_child(jobs, lambda part: work(store, part), lambda part: work(reopen(), part))
        passes = [answer for job, answer in zip(jobs, done) if not isinstance(job, Check)]
        if spills and not any(answer is None for answer in passes):
            passes.append(local.joined([c.local for c in passed if c.local is not None], spills))
    finally:
        if spill is not None:
            spill.cleanup()
    by_check: dict[int, list[tuple[list[str], list[tuple]]]] = {}
    for job, answer in zip(jobs, done):
        if isinstance(job, Check):
            by_check[id(job)] = [answer]
    if answered is not None:
        passes = [answered]
    elif any(answer is None for answer in passes):  # each local check's rows by its query
        passes = [work(store, [c.local_alone() for c in passed])]
    for k, check in enumerate(passed):  # the parts' rows together (each subject is in one part)
        together = [row for answer in passes for row in answer[k][1]]
        if len(passes) > 1 and check.local is not None and check.local.kind[0] == "values":
            together = list(dict.fromkeys(together))  # a value's rows, found from the subjects of both parts: once
        by_check[id(check)] = [(passes[0][k][0], together)]
        if id(check) in rest:
            by_check[id(check)] += by_check[id(rest[id(check)])]
    out = []
    for check, names, rows in ((c, names, rows) for c in checks for names, rows in by_check[id(c)]):
        shape = curie(check.shape).replace(SHAPES_NS, "tipsh:") if isinstance(check.shape, URIRef) else "(anonymous shape)"
        for row in rows:
            solution = dict(zip(names, row))
            this = solution["this"]
            if this is None:
                continue
            value = solution["value"] if "value" in names else (this if check.path is None and check.component != "SPARQLConstraintComponent" else None)
            if check.component == "SPARQLConstraintComponent":
                template = check.messages[0] if check.messages else check.default
                message = re.sub(r"\{[?$](\w+)\}",
                                 lambda m: _term_text(solution[m.group(1)] if m.group(1) in names else None), template)
            else:
                generic = check.default.replace("{focus}", this.value).replace("{value}", "" if value is None else value.value)
                message = _pick_message(list(check.messages) or [generic], check.component)
            out.append(ValidationResult(
                shape=shape, focus=this.value, identifier=identifier(this), message=message,
                value=None if value is None else value.value, path=check.path, severity=check.severity,
                component=check.component))
    return out


def share_with_child(checks: list[_T], here, there) -> list:
    """``here(checks[0::2]) + there(checks[1::2])`` put back in order, ``there`` in a child made by
    ``os.fork`` (``parallel.beside_child``: it works in a daemonic child too).
    One process only without fork, with ``TIPKG_JOBS=1`` or a single core. Two cores' worth of work
    where the list splits evenly: the checks (``run_checks``) and the reads of templates not known yet
    (``check_reads``)."""
    if len(checks) < 2 or not hasattr(os, "fork") or os.environ.get("TIPKG_JOBS") == "1" or (os.cpu_count() or 1) < 2:
        return here(checks)
    mine, theirs = beside_child(lambda: here(checks[0::2]), lambda: there(checks[1::2]), "half of checks")
    out = [None] * len(checks)
    out[0::2], out[1::2] = mine, theirs
    return out


def _term_text(term) -> str:
    return term.value if term is not None else ""


# -- core constraints in pyshacl -------------------------------------------------------------------

def _pyshacl(graph: Graph, shapes: Graph, ontology: Graph) -> list[ValidationResult]:
    # SHACL reads rdfs:subClassOf in the data graph (tip:Paragraph targets reach tip:SubItem).
    # The hierarchy is added to the caller's graph for the run and taken out again (only what was not
    # already there): copying 20 000 triples would cost more than the validation of most shapes.
    hierarchy = [t for t in ontology.triples((None, RDFS.subClassOf, None)) if t not in graph]
    for triple in hierarchy:
        graph.add(triple)
    try:
        from pyshacl import validate as pyshacl_validate  # the reference engine only: a slow import

        _, report, _ = pyshacl_validate(graph, shacl_graph=shapes, inference="none", inplace=True,
                                        allow_warnings=True, advanced=True)
    finally:
        for triple in hierarchy:
            graph.remove(triple)
    owners = {o: s for s, p, o in shapes if p == SH.property}
    out = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        shape = report.value(node, SH.sourceShape)
        while isinstance(shape, BNode) and shape in owners:
            shape = owners[shape]
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
        component = str(report.value(node, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        out.append(ValidationResult(
            shape=curie(shape).replace(SHAPES_NS, "tipsh:") if isinstance(shape, URIRef) else "(anonymous shape)",
            focus=str(focus), identifier=_identifier(graph, focus),
            message=_pick_message(messages, component),
            value=None if value is None else str(value), path=None if path is None else _path(path),
            severity=str(report.value(node, SH.resultSeverity)).rsplit("#", 1)[-1], component=component))
    return out


def _pick_message(messages: list[str], component: str) -> str:
    ours = [m for m in messages if not m.startswith(("Value ", "Node ", "Less than", "More than", "Focus node"))]
    return (ours or messages or [component])[0]


def _path(path) -> str:
    return curie(path) if isinstance(path, URIRef) else "(path)"


def _identifier(graph: Graph, node) -> str | None:
    value = graph.value(node, DCTERMS.identifier) if node is not None else None
    return None if value is None else str(value)
