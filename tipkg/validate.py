"""Stage 6 — validate: the graph against the SHACL shapes, before anything is written.

``shapes/tipkg-shapes.ttl`` is standard SHACL, and pyshacl can run all of it.
It is slow on the SPARQL-based constraints, though: it runs each query once
per focus node over rdflib (the unique-identifier check alone is one query per
node). So ``validate`` splits the work:

- the core constraints (cardinalities, patterns, classes, datatypes) run in
  pyshacl, with the ontology mixed in so ``sh:targetClass tip:Paragraph``
  reaches every sub-class;
- each ``sh:sparql`` constraint runs ONCE over a pyoxigraph store of the data
  and the ontology, with ``$this`` left free; solutions whose ``$this`` is a
  focus node of the shape are its results — the same results SHACL's
  pre-binding gives for these queries (tests/test_validate.py checks both
  ways agree on broken graphs).

Both kinds of result land in one report, in one format (``ValidationResult``),
readable (``report.text()``) and as a SHACL validation report graph
(``report.graph()``).

>>> from rdflib import Graph
>>> validate(Graph()).conforms
True
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from tipkg.ontodoc import ONTOLOGY_TTL, curie

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPES_TTL = Path(__file__).resolve().parent.parent / "shapes" / "tipkg-shapes.ttl"
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


@dataclass
class ValidationReport:
    """All results of a validation; ``conforms`` only when there are no violations."""

    results: list[ValidationResult]
    timings: dict[str, float] = field(default_factory=dict)
    triples: int = 0

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def by_shape(self) -> dict[str, dict[str, list[ValidationResult]]]:
        grouped: dict[str, dict[str, list[ValidationResult]]] = defaultdict(lambda: defaultdict(list))
        for r in sorted(set(self.results)):
            grouped[r.shape][r.focus].append(r)
        return grouped

    def text(self, limit: int = 20) -> str:
        """A readable report grouped by shape, then node; at most ``limit`` nodes per shape."""
        timing = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
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
        for r in sorted(set(self.results)):
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


@lru_cache(maxsize=4)
def _ontology(path: str | Path = ONTOLOGY_TTL) -> Graph:
    return Graph().parse(str(path), format="turtle")


def validate(graph: Graph, shapes: Graph | None = None, ontology: Graph | None = None, *,
             engine: str = "split") -> ValidationReport:
    """Validate ``graph``; ``engine='pyshacl'`` runs everything, SPARQL constraints too, in pyshacl."""
    shapes = shapes if shapes is not None else load_shapes()
    ontology = ontology if ontology is not None else _ontology()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    if engine == "pyshacl":
        results = _pyshacl(graph, shapes, ontology)
        timings["pyshacl"] = time.perf_counter() - clock
        return ValidationReport(results, timings, len(graph))
    core, constraints = split_shapes(shapes)
    results = _pyshacl(graph, core, ontology)
    timings["core (pyshacl)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    results += _sparql(graph, shapes, ontology, constraints)
    timings["sparql (oxigraph)"] = time.perf_counter() - clock
    return ValidationReport(results, timings, len(graph))


def split_shapes(shapes: Graph) -> tuple[Graph, list[tuple[URIRef, BNode]]]:
    """The shapes without their ``sh:sparql`` constraints, and those constraints as (shape, constraint)."""
    core = Graph()
    for prefix, ns in shapes.namespaces():
        core.bind(prefix, ns)
    constraints = list(shapes.subject_objects(SH.sparql))
    skip = {c for _, c in constraints}
    for s, p, o in shapes:
        if p == SH.sparql or s in skip:
            continue
        core.add((s, p, o))
    return core, constraints


# -- core constraints in pyshacl -------------------------------------------------------------------

def _pyshacl(graph: Graph, shapes: Graph, ontology: Graph) -> list[ValidationResult]:
    # SHACL reads rdfs:subClassOf in the data graph (tip:Paragraph targets reach tip:SubItem).
    # The hierarchy is added to the caller's graph for the run and taken out again (only what was not
    # already there): copying 20 000 triples would cost more than the validation of most shapes.
    hierarchy = [t for t in ontology.triples((None, RDFS.subClassOf, None)) if t not in graph]
    for triple in hierarchy:
        graph.add(triple)
    try:
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


# -- SPARQL constraints in pyoxigraph ------------------------------------------------------------

def _store(graph: Graph, ontology: Graph) -> ox.Store:
    store = ox.Store()
    for g in (graph, ontology):
        store.bulk_load(g.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def _prefixes(shapes: Graph, constraint) -> str:
    lines = []
    for declarer in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(declarer, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines)))


def _focus_nodes(store: ox.Store, shapes: Graph, shape) -> set[str]:
    patterns = [f"{{ ?x a/<{RDFS.subClassOf}>* <{c}> }}" for c in shapes.objects(shape, SH.targetClass)]
    patterns += [f"{{ ?x <{p}> ?any }}" for p in shapes.objects(shape, SH.targetSubjectsOf)]
    patterns += [f"{{ ?any <{p}> ?x }}" for p in shapes.objects(shape, SH.targetObjectsOf)]
    focus = {str(n) for n in shapes.objects(shape, SH.targetNode)}
    if patterns:
        query = "SELECT DISTINCT ?x WHERE { " + " UNION ".join(patterns) + " }"
        focus |= {s["x"].value for s in store.query(query)}
    return focus


def _term_text(term) -> str:
    return term.value if term is not None else ""


def _sparql(graph: Graph, shapes: Graph, ontology: Graph, constraints) -> list[ValidationResult]:
    if not constraints:
        return []
    store = _store(graph, ontology)
    out = []
    for shape, constraint in sorted(constraints, key=lambda sc: str(sc[0])):
        query = _prefixes(shapes, constraint) + "\n" + re.sub(r"\$this\b", "?this", str(shapes.value(constraint, SH.select)))
        template = str(shapes.value(constraint, SH.message) or shapes.value(shape, SH.message) or "SPARQL constraint")
        focus = _focus_nodes(store, shapes, shape)
        solutions = store.query(query)
        names = {v.value for v in solutions.variables}
        for solution in solutions:
            bindings = {name: solution[name] for name in names}
            this = bindings.get("this")
            if this is None or this.value not in focus:
                continue
            message = re.sub(r"\{[?$](\w+)\}", lambda m: _term_text(bindings.get(m.group(1))), template)
            value = bindings.get("value")
            out.append(ValidationResult(
                shape=curie(shape).replace(SHAPES_NS, "tipsh:"), focus=this.value,
                identifier=_identifier(graph, URIRef(this.value)), message=message,
                value=None if value is None else value.value, component="SPARQLConstraintComponent"))
    return out
