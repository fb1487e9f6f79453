"""The published JSON-LD context, ``ontology/context.jsonld``.

It gives every ``tip:`` term and the other terms the graph uses a short key
(``identifier``, ``partOf``, ``recalls``; language maps for labels and texts).
``jsonld_context()`` makes it from the ontology, ``tipkg ontology-doc`` writes
it, and a test fails when the committed file is stale. The JSON-LD writer
(``graph/jsonld.py``) and the server embed the committed file.

>>> jsonld_context()["@context"]["partOf"]
{'@id': 'eli:is_part_of', '@type': '@id'}
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg.ontology.files import load_ontology, ontology_file
from tipkg.ontology.namespace import CITO, ELI, PREFIXES, TIP, curie

CONTEXT_FILE = ontology_file("context.jsonld")

#: keys of the JSON-LD context for terms of other vocabularies: key -> (IRI, kind)
_EXTERNAL_KEYS = {
    "identifier": (DCTERMS.identifier, None),
    "label": (RDFS.label, "@language"),
    "prefLabel": (SKOS.prefLabel, "@language"),
    "altLabel": (SKOS.altLabel, "@language"),
    "notation": (SKOS.notation, None),
    "inScheme": (SKOS.inScheme, "@id"),
    "broader": (SKOS.broader, "@id"),
    "narrower": (SKOS.narrower, "@id"),
    "topConceptOf": (SKOS.topConceptOf, "@id"),
    "hasTopConcept": (SKOS.hasTopConcept, "@id"),
    "partOf": (ELI.is_part_of, "@id"),
    "localId": (ELI.id_local, None),
    "date": (ELI.date_document, XSD.date),
    "issued": (DCTERMS.issued, None),
    "isPartOf": (DCTERMS.isPartOf, "@id"),
    "relatedTo": (DCTERMS.relation, "@id"),
    "language": (DCTERMS.language, None),
    "description": (DCTERMS.description, "@language"),
    "derivedFrom": (PROV.wasDerivedFrom, "@id"),
    "citingEntity": (CITO.hasCitingEntity, "@id"),
    "citedEntity": (CITO.hasCitedEntity, "@id"),
    "predicate": (RDF.predicate, "@id"),
}


def jsonld_context() -> dict:
    """The published JSON-LD context: readable keys for every tip term and the other terms the graph uses."""
    onto = load_ontology()
    ctx: dict = {"@version": 1.1, **PREFIXES, "id": "@id", "type": "@type"}
    language = {TIP.text, TIP.normalizedText}
    for name in sorted(TIP.__annotations__):
        term = TIP[name]
        if (term, RDF.type, OWL.Class) in onto:
            ctx[name] = curie(term)
        elif (term, RDF.type, OWL.ObjectProperty) in onto:
            ctx[name] = {"@id": curie(term), "@type": "@id"}
        elif term in language:
            ctx[name] = {"@id": curie(term), "@container": "@language"}
        elif onto.value(term, RDFS.range) == XSD.date:
            ctx[name] = {"@id": curie(term), "@type": "xsd:date"}
        else:
            ctx[name] = curie(term)
    for key, (iri, kind) in _EXTERNAL_KEYS.items():
        if kind is None:
            ctx[key] = curie(iri)
        elif kind == "@language":
            ctx[key] = {"@id": curie(iri), "@container": "@language"}
        else:
            ctx[key] = {"@id": curie(iri), "@type": kind if kind == "@id" else curie(kind)}
    return {"@context": ctx}


def context_text() -> str:
    """The context as the committed file reads (sorted keys, Arabic unescaped)."""
    return json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_context(path: str | Path = CONTEXT_FILE) -> Path:
    """Write the context (``tipkg ontology-doc`` does, into the source tree)."""
    Path(path).write_text(context_text(), encoding="utf-8")
    return Path(path)


@lru_cache(maxsize=1)
def published_context() -> dict:
    """The committed ``context.jsonld``'s ``@context`` (what the dumps and the server embed)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
