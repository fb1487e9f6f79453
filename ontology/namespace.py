"""The tipkg ontology as an rdflib ``DefinedNamespace``.

Code refers to terms as ``TIP.recalls``, never as IRI strings; a misspelt term
is an AttributeError, not a silent new IRI. Every term here is declared in
``ontology/tipkg.ttl`` (tests/test_ontology.py keeps the two in step).

>>> str(TIP.recalls)
'https://w3id.org/tipkg/ontology#recalls'
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/tipkg/ontology"

ELI_DL = Namespace("http://data.europa.eu/eli/eli-draft-legislation-ontology#")


class ELI(DefinedNamespace):
    """The terms of the European Legislation Identifier ontology the dataset uses (rdflib has none built in)."""

    _NS = Namespace("http://data.europa.eu/eli/ontology#")
    _fail = True

    is_part_of: URIRef
    id_local: URIRef
    date_document: URIRef


class CITO(DefinedNamespace):
    """The terms of the Citation Typing Ontology the dataset uses."""

    _NS = Namespace("http://purl.org/spar/cito/")
    _fail = True

    Citation: URIRef
    hasCitingEntity: URIRef
    hasCitedEntity: URIRef
ONTOLOGY_VERSION = "0.1.0"


class TIP(DefinedNamespace):
    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # documents and their kinds
    Document: URIRef
    Resolution: URIRef
    GAResolution: URIRef
    ECOSOCResolution: URIRef
    ECOSOCDecision: URIRef
    CCPCJResolution: URIRef
    COPDecision: URIRef
    COPResolution: URIRef
    DraftDecision: URIRef
    Agenda: URIRef
    Compendium: URIRef
    WorkingGroupReport: URIRef
    SessionReport: URIRef
    UNDocument: URIRef
    Meeting: URIRef
    # paragraphs
    Paragraph: URIRef
    PreambularParagraph: URIRef
    OperativeParagraph: URIRef
    SubParagraph: URIRef
    SubItem: URIRef
    Recommendation: URIRef
    AgendaItem: URIRef
    Footnote: URIRef
    # instruments and articles
    Instrument: URIRef
    Article: URIRef
    ArticleParagraph: URIRef
    # index and actors
    Topic: URIRef
    Actor: URIRef
    Verb: URIRef
    SourceText: URIRef
    Citation: URIRef

    # structure and description
    position: URIRef
    text: URIRef
    normalizedText: URIRef
    sourceSpan: URIRef
    sourceLine: URIRef
    footnote: URIRef
    footnoteMark: URIRef
    inDocument: URIRef
    meeting: URIRef
    meetingNumber: URIRef
    session: URIRef
    reportOf: URIRef
    publishedIn: URIRef
    adoptedAs: URIRef
    compiledIn: URIRef
    listsDocument: URIRef
    numberingOffset: URIRef
    relation: URIRef
    endDate: URIRef
    verb: URIRef
    sha256: URIRef
    searchText: URIRef
    rule: URIRef
    gist: URIRef

    # the core relations and the other verbs
    recalls: URIRef
    requests: URIRef
    citesArticle: URIRef
    indexedUnder: URIRef
    refersTo: URIRef
    urges: URIRef
    invites: URIRef
    encourages: URIRef
    callsUpon: URIRef
    decides: URIRef
    welcomes: URIRef
    takesNote: URIRef
    reaffirms: URIRef
    recognizes: URIRef
    emphasizes: URIRef
    recommends: URIRef
    recommendsRequest: URIRef
    reminds: URIRef
    addressedTo: URIRef
    should: URIRef
    acknowledges: URIRef
    expressesConcern: URIRef
    approves: URIRef

    # text reuse (network/reuse.py): `later tip:echoes earlier`, reified as a TextReuse node with its score
    # (and tip:rule, above)
    echoes: URIRef
    TextReuse: URIRef
    Alignment: URIRef
    alignmentStatus: URIRef
    score: URIRef

    # mandates (graph/mandates.py): who was asked to do what, by when, and what answered it
    Mandate: URIRef
    MandateAction: URIRef
    Session: URIRef
    mandatedBy: URIRef
    mandatingBody: URIRef
    addressee: URIRef
    action: URIRef
    due: URIRef
    recurrence: URIRef
    reviewClause: URIRef
    reviewedIn: URIRef
    hasReviewClause: URIRef
    status: URIRef
    sessionNumber: URIRef
    sessionOf: URIRef
    sessionYear: URIRef
    restates: URIRef
    answers: URIRef
    reportsAnswer: URIRef
    repeats: URIRef


def _materialize(namespace: type[DefinedNamespace]) -> None:
    """Make each declared term a plain class attribute. rdflib resolves ``TIP.recalls`` in
    Python on every access (≈ 1 µs, millions of times in a large build); an unknown term
    still fails as before."""
    for name in namespace.__annotations__:
        if not name.startswith("_"):
            type.__setattr__(namespace, name, namespace[name])


for _namespace in (TIP, ELI, CITO):
    _materialize(_namespace)


#: the prefixes every serialization of the dataset binds (prefix -> namespace)
PREFIXES = {prefix: str(ns) for prefix, ns in (
    ("tip", TIP._NS), ("eli", ELI._NS), ("eli-dl", ELI_DL), ("cito", CITO._NS), ("dcterms", DCTERMS), ("skos", SKOS),
    ("prov", PROV), ("owl", OWL), ("rdf", RDF), ("xsd", XSD), ("rdfs", RDFS))}


#: namespace -> "prefix:" for compact names on pages and in reports: the dataset's prefixes, and UNDO's,
#: which the ontology aligns with
CURIE_PREFIXES = {**{ns: f"{prefix}:" for prefix, ns in PREFIXES.items()}, "https://w3id.org/akn/ontology/undo/": "undo:"}


def curie(term) -> str:
    """``tip:recalls`` for a known namespace, the full IRI otherwise.

    >>> curie(TIP.recalls), curie("http://example.org/x")
    ('tip:recalls', 'http://example.org/x')
    """
    text = str(term)
    for namespace, prefix in CURIE_PREFIXES.items():
        if text.startswith(namespace) and text != namespace:
            return prefix + text[len(namespace):]
    return text
