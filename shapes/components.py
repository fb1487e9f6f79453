"""SHACL as the compiler reads it (``shacl_sparql``): its namespace, the constraint components it
translates, their names and pyshacl's default messages in a report, and the error for the rest.

``VALUE_COMPONENTS`` constrain each value node (a boolean expression per value: ``conditions``),
``PATH_COMPONENTS`` the values of a path taken together (counts, ``sh:hasValue``,
``sh:uniqueLang``, qualified shapes); ``OTHER`` are the parameters read with their component and
what only describes a shape. A shape using any other ``sh:`` term raises ``UnsupportedShape``,
naming the shape and the term: nothing is skipped silently.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef

from tipkg.ontology.namespace import curie

SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = "http://www.w3.org/2001/XMLSchema#"
# Datatypes whose lexical form is checked (pyshacl: rdflib's ill_typed); others pass on the datatype IRI alone.
CHECKED_DATATYPES = {XSD + t for t in ("integer", "decimal", "float", "double", "boolean", "date", "time",
                                        "dateTime", "gYear", "gYearMonth")}
NODE_KINDS = {SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
              SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
              SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))"}
RANGES = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
VALUE_COMPONENTS = {SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.languageIn, SH["in"], SH["or"], SH["and"],
                    SH["not"], SH.node, *RANGES}
PATH_COMPONENTS = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.hasValue, SH.qualifiedValueShape}
# Parameters read with their component, and what only describes a shape.
OTHER = {SH.path, SH.property, SH.message, SH.severity, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
         SH.qualifiedValueShapesDisjoint, SH.deactivated, SH.sparql, SH.name, SH.description, SH.order, SH.group,
         SH.defaultValue, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.declare}


class UnsupportedShape(ValueError):
    """The shapes use a SHACL feature this compiler does not translate."""

    def __init__(self, shape, what: str):
        super().__init__(f"shape {_name(shape)}: {what} is not supported by the SPARQL compiler (use engine='pyshacl')")


def _name(term) -> str:
    return curie(term) if isinstance(term, URIRef) else "(anonymous shape)"


def _component(pred) -> str:
    name = str(pred).rsplit("#", 1)[-1]
    return name[0].upper() + name[1:] + "ConstraintComponent"


def _default(pred, obj, where) -> str:
    """pyshacl's generic message for a value constraint (shown only when the shape has no sh:message)."""
    shown = curie(obj) if isinstance(obj, URIRef) else str(obj)
    return {
        SH["class"]: f"Value does not have class {shown}",
        SH.datatype: f"Value is not Literal with datatype {shown}",
        SH.nodeKind: f"Value is not of Node Kind {shown}",
        SH.pattern: f"Value does not match pattern '{shown}'",
        SH.languageIn: "String language is not in the list",
        SH.minInclusive: f"Value is not >= {shown}", SH.maxInclusive: f"Value is not <= {shown}",
        SH.minExclusive: f"Value is not > {shown}", SH.maxExclusive: f"Value is not < {shown}",
        SH.node: f"Value does not conform to Shape {shown}. See details for more information.",
        SH["or"]: "Node {value} must conform to one or more shapes in the list",
        SH["and"]: "Node {value} must conform to all shapes in the list",
        SH["not"]: "Node {value} must not conform to the shape",
        SH["in"]: "Value {value} not in the list",
        SH.hasValue: f"Node {{focus}} value is not a in the set of values: {shown}",
    }.get(pred, _component(pred))
