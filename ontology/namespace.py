"""The tipkg ontology as an rdflib ``DefinedNamespace``.

Code refers to terms as ``TIP.recalls``, never as IRI strings; a misspelt term
is an AttributeError, not a silent new IRI. Every term here is declared in
``ontology/tipkg.ttl`` (tests/test_ontology.py keeps the two in step).

>>> str(TIP.recalls)
'https://w3id.org/tipkg/ontology#recalls'
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = "https://w3id.org/tipkg/ontology"

#: Established vocabularies the dataset aligns with (rdflib has no built-in for these).
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ELI_DL = Namespace("http://data.europa.eu/eli/eli-draft-legislation-ontology#")
CITO = Namespace("http://purl.org/spar/cito/")
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
    reminds: URIRef
    addressedTo: URIRef
    should: URIRef
    acknowledges: URIRef
    expressesConcern: URIRef
    approves: URIRef

    # text reuse (graph/reuse.py): `later tip:echoes earlier`, reified as a TextReuse node with its score
    # (and tip:rule, above)
    echoes: URIRef
    TextReuse: URIRef
    score: URIRef
