"""Conformance as sets: the nodes that conform to a shape as one group of joins and anti-joins.

``ConformingSets`` is a part of the compiler (``shacl_sparql.Compiler`` inherits it): where a
shape is only classes and property shapes of one class, the nodes conforming to it are a hash
join of its classes and required properties, MINUS the nodes with a value not of the property's
class — each index read once — instead of the boolean form's EXISTS per node and per value
(``conditions``). A node shape's ``sh:or`` and a property shape's ``sh:class``, ``sh:or`` or
``sh:node`` then compile to MINUS those sets. It reads the compiler's shapes graph (``self.g``),
``sets``, ``active``, ``classes``, ``triple`` and ``var``.
"""

from __future__ import annotations

from tipkg.shapes.components import SH


class ConformingSets:
    """The conforming sets of the compiler's shapes (see the module's docstring)."""

    def conforming_sets(self, shape, focus: str) -> list[str] | None:
        """For a node shape's ``sh:or``: per member, a group binding ``?this`` to the focus nodes that
        conform to it — so the violations are the focus nodes MINUS each. None unless every member is
        ``conforming`` (only classes, and property shapes of one class)."""
        sets = [self.conforming(m, focus) for m in self.g.items(self.g.value(shape, SH["or"]))]
        return None if any(x is None for x in sets) or not sets else sets

    def conforming(self, shape, domain: str, this: str = "?this") -> str | None:
        """The nodes of ``domain`` (a group binding ``this``) that conform to ``shape``, as one group
        binding ``this``: its classes joined, the properties it must have (``sh:minCount 1``) joined,
        and MINUS the nodes with a value of a property not of the property's class.

        The boolean form (``conforms``) evaluates an EXISTS per node and per value — on the ×10
        corpus's 4,828 echoing nodes over the store, 1 s for tipsh:EchoesEnds; these hash joins
        and anti-joins read each index once (0.03 s). The same nodes: a node conforms when it has
        one of each class (or a sub-class), a value of each property it must have, and every value
        of each property has the property's class. None when the shape uses anything else (the
        boolean form is used)."""
        g = self.g
        described = {SH.message, SH.name, SH.description, SH.order, SH.group, SH.severity}
        if not self.active(shape) or g.value(shape, SH.path) is not None:
            return None
        if {p for p in g.predicates(shape, None) if str(p).startswith(str(SH))} - described - {SH["class"], SH.property}:
            return None
        joins = []
        for c in sorted(g.objects(shape, SH["class"]), key=str):
            k = self.var()
            joins.append(f"VALUES {k} {{ {' '.join(self.classes(c))} }} {this} a {k} .")
        minus = []
        for prop in sorted(g.objects(shape, SH.property), key=str):
            if not self.active(prop):
                continue  # a deactivated property shape holds for every node
            classes = list(g.objects(prop, SH["class"]))
            counts = [int(n) for n in g.objects(prop, SH.minCount)]
            constraints = {p for p in g.predicates(prop, None) if str(p).startswith(str(SH))} - described - {SH.minCount}
            if constraints - {SH["class"]} != {SH.path} or len(classes) > 1 or any(n > 1 for n in counts) \
                    or not (classes or counts):
                return None
            if any(n == 1 for n in counts):
                joins.append(self.triple(prop, this, self.var()))
            if classes:
                x, k = self.var(), self.var()
                minus.append(f"MINUS {{ {self.triple(prop, this, x)} "
                             f"MINUS {{ VALUES {k} {{ {' '.join(self.classes(classes[0]))} }} {x} a {k} }} }}")
        # with a join, its matches are the candidates (MINUS keeps to the focus nodes anyway)
        return f"{{ SELECT DISTINCT {this} WHERE {{ {'' if joins else domain} {' '.join(joins)} }} }} {' '.join(minus)}"

    def nonconforming_values(self, shape, pred) -> str | None:
        """The value constraint ``pred`` of the property shape ``shape`` as anti-joins on ``?value``: MINUS
        the nodes that conform (the class's members; for ``sh:or``, each member's ``conforming`` set; for
        ``sh:node``, the node shape's), so a violation is a value left. Each set is read once and
        removed by hash, where the boolean form looks every value up (an EXISTS per value: ×30 over the
        store, 0.6 s for the 100,000 values of ``prov:wasDerivedFrom``; this way 0.05 s). None when the
        constraint is anything else, or the checks start from a few focus nodes (``sets`` False)."""
        g = self.g
        objects = list(g.objects(shape, pred))
        if not self.sets or len(objects) != 1 or pred not in (SH["class"], SH["or"], SH.node):
            return None
        domain = self.triple(shape, self.var(), "?value")
        if pred == SH["class"]:
            k = self.var()
            sets: list[str | None] = [f"VALUES {k} {{ {' '.join(self.classes(objects[0]))} }} ?value a {k} ."]
        else:
            members = list(g.items(objects[0])) if pred == SH["or"] else objects
            sets = [self.conforming(m, domain, "?value") for m in members]
        if not sets or any(x is None for x in sets):
            return None
        return " ".join(f"MINUS {{ {x} }}" for x in sets)
