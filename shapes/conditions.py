"""Conformance as SPARQL boolean expressions: whether a node conforms to a shape, one expression.

``Conditions`` is a part of the compiler (``shacl_sparql.Compiler`` inherits it): the value
constraints of a shape on a node (``value_condition``: class, datatype, node kind, pattern,
language, ranges, ``sh:in``, ``sh:hasValue``, ``sh:or``/``sh:and``/``sh:not``/``sh:node``), and a
nested shape's whole conformance (``conforms``: its property shapes' counts and values too, as
``EXISTS`` and ``NOT EXISTS``). Every atomic test is wrapped in ``COALESCE(…, false)``: a SPARQL
error counts as "does not conform". It reads the compiler's shapes graph (``self.g``),
``check_supported``, ``active``, ``classes``, ``sparql``, ``triple`` and ``var``.
"""

from __future__ import annotations

import itertools

from rdflib import Literal

from tipkg.shapes.components import CHECKED_DATATYPES, NODE_KINDS, RANGES, SH, VALUE_COMPONENTS, UnsupportedShape


class Conditions:
    """The boolean forms of the compiler's shapes (see the module's docstring)."""

    def conforms(self, shape, v: str) -> str:
        """True when the node ``v`` conforms to ``shape`` (all its constraints, property shapes too)."""
        self.check_supported(shape)
        if not self.active(shape):
            return "true"
        g = self.g
        if g.value(shape, SH.sparql) is not None:
            raise UnsupportedShape(shape, "sh:sparql in a nested shape")
        parts = []
        if g.value(shape, SH.path) is None:
            parts.append(self.value_condition(shape, v))
        else:
            w = self.var()
            cond = self.value_condition(shape, w)
            if cond != "true":
                parts.append(f"NOT EXISTS {{ {self.triple(shape, v, w)} FILTER (!({cond})) }}")
            for n in g.objects(shape, SH.minCount):
                if int(n) > 0:
                    parts.append(f"EXISTS {{ {self.distinct_values(shape, v, int(n))} }}")
            for n in g.objects(shape, SH.maxCount):
                parts.append(f"NOT EXISTS {{ {self.distinct_values(shape, v, int(n) + 1)} }}")
            for value in g.objects(shape, SH.hasValue):
                parts.append(f"EXISTS {self.triple(shape, v, self.sparql(value))}")
            if set(g.predicates(shape, None)) & {SH.uniqueLang, SH.qualifiedValueShape}:
                raise UnsupportedShape(shape, "sh:uniqueLang or sh:qualifiedValueShape in a nested shape")
        parts += [self.conforms(p, v) for p in sorted(g.objects(shape, SH.property), key=str)]
        parts = [p for p in parts if p != "true"]
        return " && ".join(f"({p})" for p in parts) if parts else "true"

    def distinct_values(self, shape, v: str, n: int) -> str:
        names = [self.var() for _ in range(n)]
        distinct = " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(names, 2))
        return " ".join(self.triple(shape, v, x) for x in names) + (f" FILTER ({distinct})" if distinct else "")

    def value_condition(self, shape, v: str, only=None) -> str:
        """The value-node constraints of ``shape`` (or just the component ``only``) on the node ``v``."""
        g, parts = self.g, []
        atom = "COALESCE({}, false)"
        for pred in sorted((set(g.predicates(shape, None)) & VALUE_COMPONENTS) | {SH.hasValue}, key=str):
            if only is not None and pred != only:
                continue
            for obj in g.objects(shape, pred):
                if pred == SH["class"]:
                    k = self.var()
                    parts.append(f"EXISTS {{ {v} a {k} FILTER ({k} IN ({', '.join(self.classes(obj))})) }}")
                elif pred == SH.datatype:
                    test = f"sameTerm(DATATYPE({v}), <{obj}>)"
                    if str(obj) in CHECKED_DATATYPES:
                        test += f" && isLiteral(<{obj}>(STR({v})))"
                    parts.append(atom.format(test))
                elif pred == SH.nodeKind:
                    if obj not in NODE_KINDS:
                        raise UnsupportedShape(shape, f"sh:nodeKind {obj}")
                    parts.append(NODE_KINDS[obj].format(v=v))
                elif pred == SH.pattern:
                    flags = g.value(shape, SH.flags)
                    args = self.sparql(Literal(str(obj))) + ("" if flags is None else ", " + self.sparql(Literal(str(flags))))
                    parts.append(atom.format(f"!isBlank({v}) && REGEX(STR({v}), {args})"))
                elif pred == SH.languageIn:
                    tests = " || ".join(f"langMatches(LANG({v}), {self.sparql(Literal(str(lang)))})" for lang in g.items(obj))
                    parts.append(atom.format(tests or "false"))
                elif pred in RANGES:
                    parts.append(atom.format(f"{v} {RANGES[pred]} {self.sparql(obj)}"))
                elif pred == SH["in"]:
                    parts.append(" || ".join(f"sameTerm({v}, {self.sparql(x)})" for x in g.items(obj)) or "false")
                elif pred == SH.hasValue and g.value(shape, SH.path) is None:
                    parts.append(f"sameTerm({v}, {self.sparql(obj)})")
                elif pred == SH["or"]:
                    parts.append(" || ".join(f"({self.conforms(m, v)})" for m in g.items(obj)) or "false")
                elif pred == SH["and"]:
                    parts.append(" && ".join(f"({self.conforms(m, v)})" for m in g.items(obj)) or "true")
                elif pred == SH["not"]:
                    parts.append(f"!({self.conforms(obj, v)})")
                elif pred == SH.node:
                    parts.append(self.conforms(obj, v))
        return " && ".join(f"({p})" for p in parts) if parts else "true"
