"""The one grammar of canonical identifiers: typed constructors, a parser, ``str()``.

Every node of the graph carries one canonical identifier (``ontology/identifiers.md``):
``A/RES/61/180 para 5``, ``TIPP art 9(5)``, ``TIP-WG 1 rec 5 (b)``,
``actor:secretariat``. It is what users type, what URIs are minted from and
what tests and queries join on, so it is written in exactly one place, here,
in the manner of cobalt's FRBR URIs: each kind is a frozen dataclass whose
``str()`` is the canonical spelling, and ``parse`` reads any identifier back
into its kind, refusing what the grammar does not allow with a message that
names the value and the form expected. Loaders, references, the graph and
the replicator build identifiers with these constructors instead of
f-strings, and take them apart with ``parse`` instead of regexes and
``split()``; the SHACL shapes' ``sh:pattern`` are tested against this grammar
both ways (``tests/test_identifiers.py``).

>>> str(Paragraph(Document("A/RES/61/180"), 5))
'A/RES/61/180 para 5'
>>> parse("TIPP art 9(5)").parent
Article(instrument=Instrument(code='TIPP'), number=9, parts=())
>>> parse("TIP-WG 4 rec 46 (j) (iv)")
SubItem(parent=SubParagraph(parent=Recommendation(meeting=Meeting(number=4), number=46), letter='j'), roman='iv')
>>> parse("CTOC/COP/DEC/4/4 draft para 10 (c)").document
Document(symbol='CTOC/COP/DEC/4/4', draft=True)
>>> parse("A/RES/61/180 para")
Traceback (most recent call last):
...
tipkg.identifiers.IdentifierError: 'A/RES/61/180 para': 'para' needs a number or a letter ('<document> para <n>')

The number of a paragraph is an ``int`` when it is written in digits and a
letter otherwise (COP decisions 1/5–4/4 letter their operative paragraphs).
A part below a numbered paragraph, a recommendation or an agenda item is a
sub-paragraph, lettered ``(a)``; a part below a lettered paragraph or a
sub-paragraph is a sub-item, numbered in roman ``(ii)``: so ``(i)`` reads as
the letter i below ``rec 46`` and as the roman one below ``(j)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import TypeVar, Union

__all__ = [
    "Action", "AgendaItem", "Article", "Actor", "Document", "Footnote", "Identifier", "IdentifierError",
    "IndexScheme", "Instrument", "Mandate", "Meeting", "Paragraph", "PreambularParagraph", "Recommendation",
    "Session", "SourceFile", "SubItem", "SubParagraph", "Topic", "Verb", "parse", "parse_as", "parse_part", "root", "try_parse", "sub_part", "top", "top_paragraph",
]


class IdentifierError(ValueError):
    """A string that is not a canonical identifier (of the kind asked for)."""

    def __init__(self, text: object, reason: str):
        super().__init__(f"{text!r}: {reason}")
        self.text, self.reason = text, reason


# The pieces of the grammar, as the shapes write them (ASCII, single spaces).
CODE = r"[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
SYMBOL = r"[A-Z][A-Za-z0-9./()-]*[A-Za-z0-9)]"
COMPENDIUM = r"UNODC-TIP-Compendium-[0-9]{4}"
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
LETTER = r"[a-z]"
ROMAN = r"[ivxlc]+"
MEETING = "TIP-WG"

_CODE, _SYMBOL, _COMPENDIUM = (re.compile(rf"^{x}$") for x in (CODE, SYMBOL, COMPENDIUM))
_SLUG, _LETTER, _ROMAN = (re.compile(rf"^{x}$") for x in (SLUG, LETTER, ROMAN))
_NUMBER = re.compile(r"^[1-9][0-9]*$")
_ARTICLE = re.compile(rf"^(?P<code>{CODE}) art (?P<n>[^ ()]+)(?P<parts>(?:\([^ ()]*\))*)$")
_ARTICLE_PART = re.compile(r"\(([^()]*)\)")
_VERB = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)*$")
_SESSION = re.compile(r"^(?P<body>COP|GA)-(?P<n>[1-9][0-9]*)$")
_EDGE = re.compile(r"^[0-9a-f]{16}$")
_ACTION = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


def _number(text: str, where: str, form: str) -> int:
    if not _NUMBER.match(text):
        raise IdentifierError(where, f"{text!r} is not a number ({form!r})")
    return int(text)


# -- works and their articles ------------------------------------------------------------------

@dataclass(frozen=True)
class Instrument:
    """A treaty or other instrument, by its code (``TIPP``; ``ontology/instruments.md``)."""

    code: str

    def __post_init__(self) -> None:
        if not _CODE.match(self.code) or _COMPENDIUM.match(self.code):
            raise IdentifierError(self.code, "an instrument is an upper-case code such as 'TIPP' or 'COP-RoP'")

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Article:
    """``<instrument> art <n>``, with the paragraphs of the article as parts: ``TIPP art 6(3)(d)``."""

    instrument: Instrument
    number: int
    parts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.instrument, str):
            object.__setattr__(self, "instrument", Instrument(self.instrument))
        if not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(self.number, "an article's number is a positive integer")
        object.__setattr__(self, "parts", tuple(str(p) for p in self.parts))
        for p in self.parts:
            if not (_NUMBER.match(p) or _LETTER.match(p)):
                raise IdentifierError(p, "a part of an article is a number or a letter ('TIPP art 9(5)', 'TIPP art 3(a)')")

    def __str__(self) -> str:
        return f"{self.instrument} art {self.number}" + "".join(f"({p})" for p in self.parts)

    @property
    def parent(self) -> Article | Instrument:
        """One level up: ``TIPP art 9(5)`` → ``TIPP art 9`` → ``TIPP``."""
        return Article(self.instrument, self.number, self.parts[:-1]) if self.parts else self.instrument

    @property
    def whole(self) -> Article:
        """The article itself, without its parts."""
        return Article(self.instrument, self.number)

    def part(self, *parts: str | int) -> Article:
        return Article(self.instrument, self.number, self.parts + tuple(str(p) for p in parts))


# -- documents -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """A UN document by its symbol (``A/RES/61/180``), the compendium, or a draft (``… draft``)."""

    symbol: str
    draft: bool = False

    def __post_init__(self) -> None:
        if not _SYMBOL.match(self.symbol):
            raise IdentifierError(self.symbol, "a document symbol is ASCII, starts upper-case, has no spaces")
        if "/" not in self.symbol and not self.compendium:
            raise IdentifierError(self.symbol, "a document symbol has a '/' (or is 'UNODC-TIP-Compendium-<year>')")
        if self.draft and self.compendium:
            raise IdentifierError(self.symbol, "the compendium has no draft")

    @property
    def compendium(self) -> bool:
        """The UNODC compendium: its parts are recommendations and decisions, named on their own."""
        return bool(_COMPENDIUM.match(self.symbol))

    def __str__(self) -> str:
        return f"{self.symbol} draft" if self.draft else self.symbol

    @property
    def document(self) -> Document:
        return self


@dataclass(frozen=True)
class IndexScheme:
    """The thematic index of a compendium, a concept scheme: ``UNODC-TIP-Compendium-2021 index``."""

    document: Document

    def __post_init__(self) -> None:
        if not self.document.compendium:
            raise IdentifierError(str(self.document), "only the compendium has a thematic index")

    def __str__(self) -> str:
        return f"{self.document} index"


@dataclass(frozen=True)
class Meeting:
    """A meeting of the Working Group on Trafficking in Persons: ``TIP-WG 9``."""

    number: int

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(self.number, "a meeting's number is a positive integer ('TIP-WG 9')")

    def __str__(self) -> str:
        return f"{MEETING} {self.number}"


# -- paragraphs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreambularParagraph:
    """``<document> pp <n>``, counted 1, 2, … in order."""

    document: Document
    number: int

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(self.number, "a preambular paragraph's number is a positive integer")

    def __str__(self) -> str:
        return f"{self.document} pp {self.number}"


@dataclass(frozen=True)
class Paragraph:
    """An operative paragraph, ``<document> para <n>`` or lettered ``<document> para <letter>``."""

    document: Document
    number: int | str

    def __post_init__(self) -> None:
        if isinstance(self.number, str) and _NUMBER.match(self.number):
            object.__setattr__(self, "number", int(self.number))
        ok = self.number >= 1 if isinstance(self.number, int) else bool(_LETTER.match(self.number))
        if not ok:
            raise IdentifierError(self.number, "an operative paragraph is numbered or lettered ('para 5', 'para n')")

    def __str__(self) -> str:
        return f"{self.document} para {self.number}"

    @property
    def lettered(self) -> bool:
        return isinstance(self.number, str)


@dataclass(frozen=True)
class AgendaItem:
    """``<agenda> item <n>``."""

    document: Document
    number: int

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(self.number, "an agenda item's number is a positive integer")

    def __str__(self) -> str:
        return f"{self.document} item {self.number}"


@dataclass(frozen=True)
class Recommendation:
    """A Working Group recommendation by its compendium number: ``TIP-WG 1 rec 5``."""

    meeting: Meeting
    number: int

    def __post_init__(self) -> None:
        if isinstance(self.meeting, int):
            object.__setattr__(self, "meeting", Meeting(self.meeting))
        if not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(self.number, "a recommendation's number is a positive integer")

    def __str__(self) -> str:
        return f"{self.meeting} rec {self.number}"


@dataclass(frozen=True)
class SubParagraph:
    """``<parent> (<letter>)`` below a numbered paragraph, a recommendation or an agenda item."""

    parent: Paragraph | Recommendation | AgendaItem
    letter: str

    def __post_init__(self) -> None:
        if not _LETTER.match(self.letter):
            raise IdentifierError(self.letter, "a sub-paragraph is one lower-case letter ('(b)')")
        if not isinstance(self.parent, (Paragraph, Recommendation, AgendaItem)) or getattr(self.parent, "lettered", False):
            raise IdentifierError(str(self.parent), "a sub-paragraph hangs below a numbered paragraph, "
                                  "a recommendation or an agenda item (below a lettered one: a sub-item)")

    def __str__(self) -> str:
        return f"{self.parent} ({self.letter})"

    @property
    def document(self) -> Document | None:
        return getattr(self.parent, "document", None)


@dataclass(frozen=True)
class SubItem:
    """``<parent> (<roman>)`` below a lettered paragraph or a sub-paragraph."""

    parent: Paragraph | SubParagraph
    roman: str

    def __post_init__(self) -> None:
        if not _ROMAN.match(self.roman):
            raise IdentifierError(self.roman, "a sub-item is a lower-case roman number ('(ii)')")
        lettered = isinstance(self.parent, Paragraph) and self.parent.lettered
        if not (lettered or isinstance(self.parent, SubParagraph)):
            raise IdentifierError(str(self.parent), "a sub-item hangs below a lettered paragraph or a sub-paragraph")

    def __str__(self) -> str:
        return f"{self.parent} ({self.roman})"

    @property
    def document(self) -> Document | None:
        return self.parent.document


@dataclass(frozen=True)
class Footnote:
    """``<document> fn <mark>``: a footnote of a document, by its printed mark."""

    document: Document
    mark: int

    def __post_init__(self) -> None:
        if not isinstance(self.mark, int) or self.mark < 1:
            raise IdentifierError(self.mark, "a footnote mark is a positive integer")

    def __str__(self) -> str:
        return f"{self.document} fn {self.mark}"


Part = Union[PreambularParagraph, Paragraph, AgendaItem, Recommendation, SubParagraph, SubItem]


@dataclass(frozen=True)
class Mandate:
    """The mandate a paragraph creates: ``<paragraph> mandate``."""

    paragraph: Part

    def __str__(self) -> str:
        return f"{self.paragraph} mandate"


def sub_part(parent: Part, label: str) -> SubParagraph | SubItem:
    """The part ``(label)`` below ``parent``: a sub-paragraph or a sub-item, by where it hangs."""
    if isinstance(parent, SubParagraph) or (isinstance(parent, Paragraph) and parent.lettered):
        return SubItem(parent, label)
    if isinstance(parent, (Paragraph, Recommendation, AgendaItem)):
        return SubParagraph(parent, label)
    raise IdentifierError(f"{parent} ({label})", f"{str(parent)!r} has no parts")


def root(x: Identifier) -> Document | Meeting | None:
    """The document or meeting an identifier hangs below, which it starts with (None: none).

    Each kind names its container first, so the root is found by following the
    first field down.

    >>> root(parse("A/RES/61/180 para 12 mandate"))
    Document(symbol='A/RES/61/180', draft=False)
    >>> root(parse("TIP-WG 7 rec 2 (n)")), root(parse("TIPP art 9(5)"))
    (Meeting(number=7), None)
    """
    while is_dataclass(x) and not isinstance(x, (Document, Meeting)):
        x = getattr(x, fields(x)[0].name)
    return x if isinstance(x, (Document, Meeting)) else None


def top(part: Part) -> PreambularParagraph | Paragraph | AgendaItem | Recommendation:
    """The top-level paragraph a sub-paragraph or sub-item hangs below (a top-level one: itself)."""
    while isinstance(part, (SubParagraph, SubItem)):
        part = part.parent
    return part


def top_paragraph(base: Document | Meeting, word: str, number: int | str) -> Part:
    """The top-level paragraph ``<base> <word> <number>`` that a loader opens by its word.

    ``word`` is the one the grammar writes: ``pp``, ``para`` and ``item`` below a
    document, ``rec`` below a Working Group meeting.
    """
    if word == "rec" and isinstance(base, Meeting):
        return Recommendation(base, int(number))
    if isinstance(base, Document) and word in ("pp", "para", "item"):
        if word == "para":
            return Paragraph(base, number)
        return (PreambularParagraph if word == "pp" else AgendaItem)(base, int(number))
    raise IdentifierError(f"{base} {word} {number}", f"{word!r} does not open a paragraph of {str(base)!r}")


# -- prefixed names ------------------------------------------------------------------------------

def _check_slug(prefix: str, slug: object, form: str, pattern: re.Pattern[str] = _SLUG) -> None:
    if not isinstance(slug, str) or not pattern.match(slug):
        raise IdentifierError(f"{prefix}:{slug}", f"expected {form!r}")


@dataclass(frozen=True)
class Actor:
    """An addressee of requests: ``actor:secretariat``."""

    slug: str
    def __post_init__(self) -> None:
        _check_slug("actor", self.slug, "actor:<lower-case-slug>")

    def __str__(self) -> str:
        return f"actor:{self.slug}"


@dataclass(frozen=True)
class Topic:
    """A topic of the thematic index: ``topic:victims-identification``."""

    slug: str
    def __post_init__(self) -> None:
        _check_slug("topic", self.slug, "topic:<lower-case-slug>")

    def __str__(self) -> str:
        return f"topic:{self.slug}"


@dataclass(frozen=True)
class Action:
    """A kind of action a mandate asks for: ``action:report``."""

    slug: str
    def __post_init__(self) -> None:
        _check_slug("action", self.slug, "action:<lower-case-slug>", _ACTION)

    def __str__(self) -> str:
        return f"action:{self.slug}"


@dataclass(frozen=True)
class Verb:
    """A clause verb: ``verb:takesNote`` (its ``slug`` is the verb's name in the verbs table)."""

    slug: str
    def __post_init__(self) -> None:
        _check_slug("verb", self.slug, "verb:<name>", _VERB)

    def __str__(self) -> str:
        return f"verb:{self.slug}"


@dataclass(frozen=True)
class Session:
    """A session of the Conference of the Parties or the General Assembly: ``session:COP-3``."""

    body: str
    number: int

    def __post_init__(self) -> None:
        if self.body not in ("COP", "GA") or not isinstance(self.number, int) or self.number < 1:
            raise IdentifierError(f"session:{self.body}-{self.number}", "expected 'session:COP-<n>' or 'session:GA-<n>'")

    def __str__(self) -> str:
        return f"session:{self.body}-{self.number}"


@dataclass(frozen=True)
class SourceFile:
    """A file of the corpus: ``source:004_e1b135029fdaca29.txt``."""

    name: str

    def __post_init__(self) -> None:
        if not re.match(r"^[!-~]+$", self.name):
            raise IdentifierError(f"source:{self.name}", "a source file's name is printable ASCII without spaces")

    def __str__(self) -> str:
        return f"source:{self.name}"


@dataclass(frozen=True)
class Edge:
    """A citation node, the description of one edge: ``edge:<16 hex digits>``."""

    digest: str

    def __post_init__(self) -> None:
        if not _EDGE.match(self.digest):
            raise IdentifierError(f"edge:{self.digest}", "expected 'edge:<16 hex digits>'")

    def __str__(self) -> str:
        return f"edge:{self.digest}"


Identifier = Union[Instrument, Article, Document, IndexScheme, Meeting, PreambularParagraph, Paragraph,
                   AgendaItem, Recommendation, SubParagraph, SubItem, Footnote, Mandate, Actor, Topic,
                   Action, Verb, Session, SourceFile, Edge]

_PREFIXED: dict[str, Callable[[str], Identifier]] = {"actor": Actor, "topic": Topic, "action": Action, "verb": Verb, "source": SourceFile, "edge": Edge}


# -- the parser ----------------------------------------------------------------------------------

def parse(text: str) -> Identifier:
    """The identifier ``text`` spells, of whichever kind; ``IdentifierError`` if it spells none."""
    if not isinstance(text, str):
        raise IdentifierError(text, "an identifier is a string")
    if text != text.strip() or "  " in text or not text:
        raise IdentifierError(text, "an identifier has single spaces and none at either end")
    if not re.match(r"^[!-~ ]+$", text):
        raise IdentifierError(text, "an identifier is printable ASCII (labels go in skos:prefLabel)")
    head, _, rest = text.partition(":")
    if head in _PREFIXED and " " not in text:
        return _PREFIXED[head](rest)
    if head == "session":
        m = _SESSION.match(rest)
        if not m:
            raise IdentifierError(text, "expected 'session:COP-<n>' or 'session:GA-<n>'")
        return Session(m["body"], int(m["n"]))
    words = text.split(" ")
    if words[-1] == "mandate" and len(words) > 1:
        paragraph = parse(" ".join(words[:-1]))
        if not isinstance(paragraph, (PreambularParagraph, Paragraph, AgendaItem, Recommendation, SubParagraph, SubItem)):
            raise IdentifierError(text, "a mandate is '<paragraph> mandate'")
        return Mandate(paragraph)
    if " art " in text:
        return _article(text)
    if words[0] == MEETING:
        return _recommendation(text, words[1:])
    return _document_part(text, words)


K = TypeVar("K")


def parse_as(text: str, kind: type[K]) -> K:
    """The identifier ``text`` spells, which must be of ``kind`` (``IdentifierError`` otherwise)."""
    named = parse(text)
    if not isinstance(named, kind):
        raise IdentifierError(text, f"is of kind {type(named).__name__}, not {kind.__name__}")
    return named


def parse_part(text: str) -> Part:
    """The paragraph, sub-paragraph or sub-item ``text`` spells (``IdentifierError`` otherwise)."""
    named = parse(text)
    if not isinstance(named, (PreambularParagraph, Paragraph, AgendaItem, Recommendation, SubParagraph, SubItem)):
        raise IdentifierError(text, f"is of kind {type(named).__name__}, not a paragraph")
    return named


def try_parse(text: str) -> Identifier | None:
    """The identifier ``text`` spells, or None where a string need not be one (a verb's name as a target)."""
    try:
        return parse(text)
    except IdentifierError:
        return None


def _article(text: str) -> Article:
    m = _ARTICLE.match(text)
    if not m:
        raise IdentifierError(text, "expected '<instrument> art <n>' with parts such as '(5)' or '(a)'")
    number = _number(m["n"], text, "<instrument> art <n>")
    return Article(Instrument(m["code"]), number, tuple(_ARTICLE_PART.findall(m["parts"])))


def _recommendation(text: str, words: list[str]) -> Identifier:
    if not words:
        raise IdentifierError(text, "expected 'TIP-WG <meeting>'")
    meeting = Meeting(_number(words[0], text, "TIP-WG <meeting>"))
    if len(words) == 1:
        return meeting
    if words[1] != "rec" or len(words) < 3:
        raise IdentifierError(text, "expected 'TIP-WG <meeting> rec <n>'")
    return _parts(text, Recommendation(meeting, _number(words[2], text, "TIP-WG <meeting> rec <n>")), words[3:])


_PARAGRAPH_WORDS = {"pp": "<document> pp <n>", "para": "<document> para <n>", "item": "<document> item <n>",
                    "fn": "<document> fn <mark>"}


def _document_part(text: str, words: list[str]) -> Identifier:
    symbol, rest = words[0], words[1:]
    if not rest and _CODE.match(symbol) and not _COMPENDIUM.match(symbol):
        return Instrument(symbol)
    draft = bool(rest) and rest[0] == "draft"
    if draft:
        rest = rest[1:]
    try:
        document = Document(symbol, draft)
    except IdentifierError as exc:
        raise IdentifierError(text, exc.reason) from None
    if not rest:
        return document
    word, rest = rest[0], rest[1:]
    if word == "index" and not rest:
        try:
            return IndexScheme(document)
        except IdentifierError as exc:
            raise IdentifierError(text, exc.reason) from None
    if document.compendium:
        raise IdentifierError(text, "the compendium's parts are named on their own ('TIP-WG 1 rec 5'); "
                              "only '<compendium> index' hangs below it")
    if word not in _PARAGRAPH_WORDS:
        raise IdentifierError(text, f"{word!r} is not a part of a document (pp, para, item, fn)")
    form = _PARAGRAPH_WORDS[word]
    if not rest:
        what = "a number or a letter" if word == "para" else "a number"
        raise IdentifierError(text, f"{word!r} needs {what} ({form!r})")
    n, rest = rest[0], rest[1:]
    if word == "para":
        if not (_NUMBER.match(n) or _LETTER.match(n)):
            raise IdentifierError(text, f"{n!r} is not a number or a letter ({form!r})")
        return _parts(text, Paragraph(document, int(n) if n.isdigit() else n), rest)
    number = _number(n, text, form)
    if word == "pp":
        head: Part | Footnote = PreambularParagraph(document, number)
    elif word == "item":
        head = AgendaItem(document, number)
    else:
        head = Footnote(document, number)
    if rest and not isinstance(head, AgendaItem):
        raise IdentifierError(text, f"nothing follows {str(head)!r} ({form!r})")
    return _parts(text, head, rest)


def _parts(text: str, head: Part | Footnote, words: list[str]) -> Identifier:
    if not words:
        return head
    if isinstance(head, Footnote):
        raise IdentifierError(text, "a footnote has no parts")
    out: Part = head
    for w in words:
        if not (w.startswith("(") and w.endswith(")")):
            raise IdentifierError(text, f"{w!r} is not a part: write '(b)' or '(ii)' after a space")
        try:
            if isinstance(out, SubItem):
                raise IdentifierError(text, "a sub-item has no parts")
            if isinstance(out, SubParagraph) and isinstance(out.parent, AgendaItem):
                raise IdentifierError(text, "an agenda item's sub-item has no parts")
            out = sub_part(out, w[1:-1])
        except IdentifierError as exc:
            raise IdentifierError(text, exc.reason) from None
    return out
