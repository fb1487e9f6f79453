"""What a compiled check local to its focus node needs (``shapes/local.py``), read off the shapes.

``LocalForms`` is a part of the compiler (``shacl_sparql.Compiler`` inherits it, and calls it as
it compiles each property shape): a shape's focus nodes as their own triples show them
(``Targets``), the predicates of its path, and its value constraints as ``Local`` atoms (a class:
the value's types, read from its run by ``shapes/parents.py``) — or None where a check needs more
than that (a nested shape), and only the query answers it.
It reads the compiler's shapes graph (``self.g``), ``classes`` and ``sparql``.
"""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, BNode, URIRef

from tipkg.shapes.components import CHECKED_DATATYPES, RANGES, SH, VALUE_COMPONENTS
from tipkg.shapes.local import Targets, python_pattern, term_of


class LocalForms:
    """The local forms of the compiler's checks (see the module's docstring)."""

    def local_targets(self, shape) -> Targets | None:
        """The shape's focus nodes as read from their own triples; None with a target of other nodes."""
        g = self.g
        if any(True for _ in g.objects(shape, SH.targetObjectsOf)):
            return None
        nodes = list(g.objects(shape, SH.targetNode))
        if not all(isinstance(n, URIRef) for n in nodes):
            return None
        classes = {c[1:-1] for t in g.objects(shape, SH.targetClass) for c in self.classes(t)}
        if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, OWL.Class) in g:
            classes |= {c[1:-1] for c in self.classes(shape)}
        return Targets(frozenset(classes), tuple(sorted(str(p) for p in g.objects(shape, SH.targetSubjectsOf))),
                       tuple(sorted(str(n) for n in nodes)))

    def local_path(self, shape) -> tuple[str, ...] | None:
        """The predicates of a path that is one IRI or an alternative of IRIs; None for any other path."""
        path = self.g.value(shape, SH.path)
        if isinstance(path, URIRef):
            return (str(path),)
        alternatives = self.g.value(path, SH.alternativePath) if isinstance(path, BNode) else None
        items = list(self.g.items(alternatives)) if alternatives is not None else []
        if items and all(isinstance(p, URIRef) for p in items):
            return tuple(str(p) for p in items)
        return None

    def local_atoms(self, shape, pred) -> tuple | None:
        """The conjuncts of ``value_condition(shape, ?value, only=pred)`` as ``Local`` atoms; None when
        one needs more than the value and its types (a nested shape) or Python could read it otherwise."""
        g, atoms = self.g, []
        for obj in g.objects(shape, pred):
            if pred == SH.datatype:
                checked = str(obj) in CHECKED_DATATYPES
                expression = f"COALESCE(sameTerm(DATATYPE(?value), <{obj}>) && isLiteral(<{obj}>(STR(?value))), false)"
                atoms.append(("datatype", str(obj), expression if checked else ""))
            elif pred == SH.nodeKind:
                kinds = {SH.IRI: "I", SH.BlankNode: "B", SH.Literal: "L", SH.BlankNodeOrIRI: "IB",
                         SH.BlankNodeOrLiteral: "BL", SH.IRIOrLiteral: "IL"}.get(obj)
                if kinds is None:
                    return None
                atoms.append(("kind", kinds))
            elif pred == SH.pattern:
                flags = g.value(shape, SH.flags)
                regex = python_pattern(str(obj), None if flags is None else str(flags))
                if regex is None:
                    return None
                atoms.append(("pattern", regex))
            elif pred == SH.languageIn:
                atoms.append(("lang", tuple(str(lang).lower() for lang in g.items(obj))))
            elif pred in RANGES:
                atoms.append(("sparql", f"COALESCE(?value {RANGES[pred]} {self.sparql(obj)}, false)"))
            elif pred == SH["class"]:  # the value's types: read from its run (shapes/parents.py)
                atoms.append(("class", frozenset(c[1:-1] for c in self.classes(obj))))
            elif pred == SH["or"]:  # members that constrain the value alone (sh:or of sh:class: CitedTarget)
                members = [self.local_conforms(m) for m in g.items(obj)]
                if any(m is None for m in members):
                    return None
                atoms.append(("or", tuple(members)))
            elif pred == SH.node:  # the value's own shape: its values read by ``shapes/nodes.py``
                found = self.local_conforms(obj)
                if found is None:
                    return None
                atoms.append(("node", found))
            elif pred == SH["in"] or (pred == SH.hasValue and g.value(shape, SH.path) is None):
                terms = [term_of(x) for x in (g.items(obj) if pred == SH["in"] else [obj])]
                if any(t is None for t in terms):
                    return None
                atoms.append(("in", frozenset(terms)))
            else:
                return None
        return tuple(atoms)

    def local_conforms(self, shape) -> tuple | None:
        """``conforms(shape, ?value)`` as atoms when the shape constrains the value itself, and its property
        shapes (``sh:property``) the value's own values of a predicate: each value's atoms ("all") and their
        count ("count") — what the value's run says (``shapes/nodes.py`` reads it)."""
        if not self.active(shape):
            return ()
        g = self.g
        if g.value(shape, SH.path) is not None or g.value(shape, SH.sparql) is not None:
            return None
        atoms: list = []
        for pred in sorted((set(g.predicates(shape, None)) & VALUE_COMPONENTS) | {SH.hasValue}, key=str):
            found = self.local_atoms(shape, pred)
            if found is None:
                return None
            atoms += found
        for prop in sorted(g.objects(shape, SH.property), key=str):
            found = self.local_property(prop)
            if found is None:
                return None
            atoms += found
        return tuple(atoms)

    def local_property(self, prop) -> tuple | None:
        """``conforms(prop, ?value)`` of a property shape nested in a value's shape as atoms: ("all", path,
        atoms) every value of the path holds, ("count", path, least, most) how many distinct values it has;
        None for anything else (a qualified shape, sh:hasValue, sh:uniqueLang, a nested sh:property)."""
        if not self.active(prop):
            return ()
        g = self.g
        path = self.local_path(prop)
        preds = set(g.predicates(prop, None))
        if path is None or preds & {SH.hasValue, SH.uniqueLang, SH.qualifiedValueShape, SH.property, SH.sparql}:
            return None
        inner: list = []
        for pred in sorted(preds & VALUE_COMPONENTS, key=str):
            found = self.local_atoms(prop, pred)
            if found is None:
                return None
            inner += found
        atoms: list = [("all", path, tuple(inner))] if inner else []
        least = max((int(n) for n in g.objects(prop, SH.minCount)), default=0)
        most = min((int(n) for n in g.objects(prop, SH.maxCount)), default=None)
        if least > 0 or most is not None:
            atoms.append(("count", path, least, most))
        return tuple(atoms)
