"""Mandates: who was asked to do what, by when, read from the paragraphs that ask.

The UN reviews its mandates (UN80 Mandate Implementation Review, 2025): a
mandate is a request or direction for action, addressed to the Secretariat or
another implementing entity, that originates in a resolution or decision. This
module turns every request a body *made* into one ``Mandate`` record:

* the requests come from the verbs extractor (``requests`` references), so a
  mandate exists exactly where the graph says ``tip:requests``; requests that
  a Working Group recommendation only proposes ("ينبغي أن يُطلب إلى ...") and
  the requests of a draft (which its adopted text makes) are left out
  (``[scope]`` of tables/mandates.toml);
* a decision that directs an implementing body ("يقرّر أن يعقد الفريق العامل
  ...") is a mandate too (``[direction]``);
* the requested clause — from the request verb to the next coordinated verb —
  is classified into the action scheme (``[[action]]``, first match wins), and
  searched for a deadline (``[due]``; the year from tables/sessions.toml), a recurrence and
  a review or end clause.

Every part keeps the Arabic words it was read from and their span in the
original file (``Words``), like every edge of the graph. Plain frozen
dataclasses, no RDF: ``tipkg.graph.mandates`` turns them into triples.

>>> from tipkg.sources import read_corpus
>>> from tipkg.loaders import load_structure
>>> from tipkg.references import extract_references
>>> s = [load_structure(x) for x in read_corpus()]
>>> m = {x.paragraph: x for x in find_mandates(s, extract_references(s).found)}
>>> k = m["CTOC/COP/DEC/2/3 para k"]
>>> k.action, k.due.body, k.due.session, k.due.year, [a.actor for a in k.addressees]
('report', 'conference', 3, 2006, ['actor:secretariat'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from tipkg import identifiers as ids
from tipkg.model import Document, Paragraph, Source, Span, StructuredSource
from tipkg.normalize import is_visual_source, search_form
from tipkg.tables import load

from . import document_year  # the package's __init__ imports no mandates: no cycle
from .spans import Locator
from .types import Reference
from .verbs import actor_at, actor_forms, find_verbs, grammar, main_verb


@dataclass(frozen=True)
class Words:
    """Arabic words of a source and where they stand in it."""

    text: str
    source_file: str
    span: Span


def words_at(source: Source, paragraph: Paragraph) -> Callable[[int, int], Words]:
    """The ``Words`` at offsets ``start``-``end`` of the search form of ``paragraph``'s working text, placed
    in the source file by the one span mapping (``spans.Locator``, folded): how the mandates and answers
    extractors quote what their patterns found."""
    locator = Locator.of(source, paragraph, folded=True)

    def words(start: int, end: int) -> Words:
        span = locator.original(start, end)
        return Words(source.text[span.start:span.end], source.file, span)
    return words


@dataclass(frozen=True)
class Addressee:
    actor: str
    words: Words
    rule: str


@dataclass(frozen=True)
class Due:
    """A deadline: a numbered (or the next) session of a body, and its year where known."""

    body: str                 # "conference" or "general-assembly"
    session: int | None
    year: int | None
    words: Words
    rule: str

    @property
    def identifier(self) -> str | None:
        """``session:COP-6`` / ``session:GA-63`` (None when the session is not numbered)."""
        if self.session is None:
            return None
        return str(ids.Session("GA" if self.body == "general-assembly" else "COP", self.session))


@dataclass(frozen=True)
class Mandate:
    """One request made (or direction given) by a paragraph."""

    paragraph: str
    document: str
    document_kind: str
    body: str                              # the mandating body (actor identifier)
    session: int | None                    # the mandating body's session, where numbered
    year: int | None
    addressees: tuple[Addressee, ...]
    action: str
    action_words: Words
    ask: Words                             # the request verb ("يطلب إلى", "يقرّر أن")
    due: Due | None = None
    recurrence: str | None = None
    recurrence_words: Words | None = None
    review: Words | None = None
    review_paragraph: str | None = None    # where the review is set, when not in the mandating paragraph

    @property
    def identifier(self) -> str:
        return mandate_id(self.paragraph)

    @property
    def source_file(self) -> str:
        return self.ask.source_file


@lru_cache(maxsize=1 << 16)
def mandate_id(paragraph: str) -> str:
    """The canonical identifier of the mandate a paragraph creates: ``<paragraph> mandate``. Kept for the last
    65,536 paragraphs asked: ``Mandate.identifier`` is asked again and again by the global pass (its status, the
    memo's signatures of the repeats: ×30, 17,749 parses, a tenth of a rebuild's global pass)."""
    return str(ids.Mandate(ids.parse_part(paragraph)))


# --- tables ---------------------------------------------------------------------

@lru_cache(maxsize=None)
def table() -> dict:
    return load("mandates")


@lru_cache(maxsize=None)
def actions() -> tuple[tuple[str, re.Pattern | None], ...]:
    """(action id, compiled pattern) in table order; ``other`` has none."""
    return tuple((row["id"], re.compile(row["pattern"]) if row["pattern"] else None) for row in table()["action"])


def classify(clause: str) -> tuple[str, re.Match | None]:
    """The action of a requested clause (search form): the first row that matches."""
    for action, pattern in actions():
        if pattern is None:
            return action, None
        m = pattern.search(clause)
        if m:
            return action, m
    return "other", None


@lru_cache(maxsize=None)
def _compiled(key: str) -> re.Pattern:
    t = table()
    if key in ("session", "next_session", "year"):
        return re.compile(t["due"][key])
    if key == "review":
        return re.compile(t["review"]["pattern"])
    raise KeyError(key)


def ordinal(words: str) -> int | None:
    """"الثالثه" -> 3, "الثالثه والستين" -> 63 (search form)."""
    o = table()["ordinals"]
    parts = words.split()
    if not parts:
        return None
    g = grammar()  # tables/verbs.toml [grammar]: the conjunction "و", the punctuation a word is stripped of
    marks = g["punctuation"] + g["comma"] + ","
    first = parts[0].rstrip(marks)
    if first in o["tens"]:
        return o["tens"][first]
    if first not in o["units"]:
        return None
    n = o["units"][first]
    tens = parts[1][len(g["conjunction"]):].rstrip(marks) if len(parts) > 1 and parts[1].startswith(g["conjunction"]) else None
    if tens in o["tens"]:
        n += o["tens"][tens]
    return n


def session_year(body: str, session: int) -> int | None:
    """The year a numbered session met (tables/sessions.toml: the project's one calendar)."""
    sessions = load("sessions")
    if body == "general-assembly":
        return sessions["ga"]["first_session_year"] + session - 1
    return sessions["cop"]["held"].get(str(session))


def find_due(clause: str, *, mandating_session: int | None = None) -> tuple[str, int | None, int | None, int, int, str] | None:
    """(body, session, year, start, end, rule) of the first deadline in a clause, or None."""
    t = table()["due"]
    found = []
    for m in _compiled("session").finditer(clause):
        n = ordinal(m.group("ordinal"))
        if n is None or not _cued(clause, m.start(), t):
            continue
        body = "general-assembly" if m.group("ga") else "conference"
        end = m.end() if ordinal(m.group("ordinal").split()[0]) != n else m.start("ordinal") + len(m.group("ordinal").split()[0])
        found.append((m.start(), (body, n, session_year(body, n), m.start(), end, "due:session")))
    for m in _compiled("next_session").finditer(clause):
        if mandating_session and _cued(clause, m.start(), t):
            n = mandating_session + 1
            found.append((m.start(), ("conference", n, session_year("conference", n), m.start(), m.end(), "due:next-session")))
    for m in _compiled("year").finditer(clause):
        if _cued(clause, m.start(), t) and not found:
            found.append((m.start(), ("conference", None, int(m.group("year")), m.start(), m.end(), "due:year")))
    return min(found)[1] if found else None


def _cued(clause: str, at: int, t: dict) -> bool:
    before = clause[max(0, at - t["cue_window"]):at]
    words = before.split()
    last_cue = max((i for i, w in enumerate(words) if any(w.endswith(c) or w == c for c in t["cues"])), default=None)
    if last_cue is None:
        return False
    return not any(b in w for w in words[last_cue:] for b in t["blockers"])


def find_recurrence(clause: str) -> tuple[str, re.Match] | None:
    for row in table()["recurrence"]:
        m = re.search(row["pattern"], clause)
        if m:
            return row["id"], m
    return None


# --- finding the mandates -------------------------------------------------------

def find_mandates(structured: Iterable[StructuredSource], references: Iterable[Reference]) -> list[Mandate]:
    """Every mandate of the corpus, one per creating paragraph (the first source
    that prints a paragraph gives its words), in corpus order."""
    references = list(references)
    requests = requests_by_paragraph(references)
    verbs: dict[str, str] = {}
    for r in references:
        if r.relation == "verb":
            verbs.setdefault(r.paragraph, r.target)
    return mandates_by_source(((item, requests) for item in structured), verbs)


def requests_by_paragraph(references: Iterable[Reference]) -> dict[str, list[Reference]]:
    """The ``requests`` references by the paragraph that makes them."""
    out: dict[str, list[Reference]] = {}
    for r in references:
        if r.relation == "requests":
            out.setdefault(r.paragraph, []).append(r)
    return out


def mandates_by_source(sources: Iterable[tuple[StructuredSource, dict[str, list[Reference]]]],
                       verbs: dict[str, str]) -> list[Mandate]:
    """``find_mandates`` over each source with its requests (``requests_by_paragraph``: its own, or the
    corpus's, of which it takes its own), given each paragraph's first verb over the corpus: the build's
    parent reads the sources back one at a time (``tipkg.held``) instead of holding the corpus."""
    return merged_mandates(source_candidates(item, refs, verbs) for item, refs in sources)


@dataclass(frozen=True)
class Candidates:
    """What one source gives ``merged_mandates``, whatever the other sources print, so it can be cached with
    the source's unit (``tipkg.views``): per document in scope, its paragraphs' mandates in order (None: none,
    or a proposal) and its review clauses (``_reviews``); and the corpus's first verb of each of those
    paragraphs as it was made with them (``verbs``: made again where the corpus's verbs differ, ``fits``)."""

    documents: tuple[tuple[str, tuple[tuple[str, Mandate | None], ...], tuple[tuple[str, str, Words], ...]], ...]
    verbs: tuple[tuple[str, str | None], ...]

    def fits(self, verbs: dict[str, str]) -> bool:
        """Whether the paragraphs' first verbs are those these candidates were made with."""
        return all(verbs.get(paragraph) == verb for paragraph, verb in self.verbs)


def source_candidates(item: StructuredSource, refs: dict[str, list[Reference]], verbs: dict[str, str]) -> Candidates:
    """The mandate each paragraph of ``item``'s documents in scope would make (``mandates_by_source``)."""
    scope = table()["scope"]
    visual = is_visual_source(item.source.text)
    documents, used = [], []
    for document in item.documents:
        if document.kind in scope["skipped_document_kinds"] or document.kind not in scope["bodies"]:
            continue
        found: list[tuple[str, Mandate | None]] = []
        for p in document.paragraphs:
            verb = verbs.get(p.identifier)
            used.append((p.identifier, verb))
            own = [r for r in refs.get(p.identifier, ()) if r.source_file == item.source.file]
            # a proposal ("ينبغي أن يُطلب إلى ...") makes none
            proposal = own and verb in scope["proposing_verbs"]
            found.append((p.identifier, None if proposal else _mandate(item.source, document, p, own, visual, verb)))
        documents.append((document.identifier, tuple(found), _reviews(item.source, document)))
    return Candidates(tuple(documents), tuple(used))


def merged_mandates(candidates: Iterable[Candidates]) -> list[Mandate]:
    """The corpus's mandates from each source's ``Candidates`` in manifest order: the first source that prints a
    paragraph gives its mandate, and a review clause of its document applies to it (``_apply_reviews``)."""
    out: dict[str, Mandate] = {}
    of_document: dict[str, list[str]] = {}  # document -> its mandates' keys in ``out``, as they were found
    for c in candidates:
        for document, found, reviews in c.documents:
            for paragraph, m in found:
                if paragraph in out or m is None:
                    continue
                out[paragraph] = m
                of_document.setdefault(m.document, []).append(paragraph)
            _apply_reviews(document, reviews, out, of_document.get(document, ()))
    return list(out.values())


def _reviews(source: Source, document: Document) -> tuple[tuple[str, str, Words], ...]:
    """(paragraph, its search text, the words) of each review or end clause of a document."""
    reviews = []
    for p in document.paragraphs:
        text = search_form(p.normalized or p.text)
        hit = _compiled("review").search(text)
        if hit:
            reviews.append((p.identifier, text, words_at(source, p)(hit.start(), hit.end())))
    return tuple(reviews)


def _apply_reviews(document: str, reviews: Sequence[tuple[str, str, Words]], found: dict[str, Mandate],
                   keys: Iterable[str]) -> None:
    """A review or end set by another paragraph of the same text for the mandate's addressee
    ("قرّر أن يستعرض فعالية الفريق العامل ومستقبله") counts as the mandate's review clause. ``keys``: those
    of the document's mandates in ``found`` (looking through every mandate of the corpus for them, once per
    document, made the whole pass quadratic: ×1000, 17,000 documents by 50,000 mandates)."""
    for key in keys:
        m = found[key]
        if m.document != document or m.review is not None:
            continue
        for paragraph, text, words in reviews:
            if paragraph != m.paragraph and any(f.pattern.search(text) for a in m.addressees
                                                for f in actor_forms() if f.actor == a.actor and not f.visual_only):
                found[key] = replace(m, review=words, review_paragraph=paragraph)
                break


def _mandate(source: Source, document: Document, p: Paragraph, requests: Sequence[Reference],
             visual: bool, verb: str | None) -> Mandate | None:
    text = search_form(p.normalized or p.text)
    words = words_at(source, p)
    if requests:
        ask = _request_verb(text, visual)
        start = ask[0] if ask else 0
        addressees = tuple(Addressee(r.target, Words(r.text, r.source_file, r.span), r.rule) for r in requests)
    elif verb == "decides" and p.kind not in ("subparagraph", "subitem"):
        found = _direction(text)
        if found is None:
            return None
        ask, actor = found
        start = ask[0]
        addressees = (Addressee(actor[0], words(actor[1], actor[2]), "direction:" + actor[3]),)
    else:
        return None
    ask_words = words(*ask) if ask else Words(source.text[p.span.start:p.span.end], source.file, p.span)
    clause = _clause(text, start, visual)
    act = _act_start(text, clause, addressees_end=max((a.end for a in _ends(text, addressees)), default=clause[0])) \
        if requests else clause[0]
    action, am = classify(text[act:clause[1]])
    action_words = words(act + am.start(), act + am.end()) if am else ask_words
    piece = text[clause[0]:clause[1]]
    due = None
    d = find_due(piece, mandating_session=_session(document))
    if d:
        body, n, year, s, e, rule = d
        due = Due(body, n, year, words(clause[0] + s, clause[0] + e), rule)
    rec = find_recurrence(piece)
    review = _compiled("review").search(text)
    return Mandate(
        paragraph=p.identifier, document=document.identifier, document_kind=document.kind,
        body=table()["scope"]["bodies"][document.kind], session=_session(document), year=document_year(document, source),
        addressees=addressees, action=action, action_words=action_words, ask=ask_words, due=due,
        recurrence=rec[0] if rec else None,
        recurrence_words=words(clause[0] + rec[1].start(), clause[0] + rec[1].end()) if rec else None,
        review=words(review.start(), review.end()) if review else None)


def _request_verb(text: str, visual: bool) -> tuple[int, int] | None:
    """Offsets of the request verb ("يطلب إلى", "توجيه الطلب إلى", "طلب الفريق العامل")."""
    for vm in find_verbs(text, visual=visual):
        if vm.form.relation == "requests":
            return vm.start, vm.end
    from .verbs import request_phrases
    phrases = request_phrases(text, None)
    return (phrases[0].start, phrases[0].end) if phrases else None


def _direction(text: str):
    """("يقرر أن" offsets, (actor, start, end, verb)) of a decision that directs an actor."""
    d = table()["direction"]
    head = main_verb(text)
    if head is None:
        return None
    verbs = "|".join(map(re.escape, d["verbs"]))
    titles = "|".join(map(re.escape, d["titles"]))
    m = re.compile(rf"ان\s+(?P<verb>{verbs})\s+(?:(?:{titles})\s+)?").search(text, head.end)
    if m is None or m.start() - head.end > 40:
        return None
    actor = actor_at(text, m.end())
    if actor is None:
        return None
    return (head.start, m.end("verb")), (actor.actor, actor.start, actor.end, m.group("verb"))


def _clause(text: str, start: int, visual: bool) -> tuple[int, int]:
    """From the request verb to the next verb coordinated by و that takes an
    addressee ("... ويدعو الدول الأعضاء ..."), or to the end of the paragraph."""
    for vm in find_verbs(text, visual=visual):
        if vm.start > start + 3 and vm.form.relation and vm.form.relation != "requests" \
                and text[:vm.start].endswith(grammar()["conjunction"]):
            return start, vm.start - len(grammar()["conjunction"])
    return start, len(text)


def _ends(text: str, addressees) -> list[Span]:
    """Where the addressees' words end in the search form (found by their folded words)."""
    out = []
    for a in addressees:
        folded = search_form(a.words.text).split()
        at = text.find(folded[-1]) if folded else -1
        if at >= 0:
            out.append(Span(at, at + len(folded[-1])))
    return out


def _act_start(text: str, clause: tuple[int, int], *, addressees_end: int) -> int:
    """Where the requested act begins: the first "أن" after the addressee ("طلب إلى الدول
    ... التي واجهت صعوبات في توفير المعلومات ... أن تطلب مساعدة الأمانة"), else the clause."""
    m = re.compile(r"(?<!\w)ان\s").search(text, max(clause[0], addressees_end), clause[1])
    return m.start() if m else clause[0]


def _session(document: Document) -> int | None:
    try:
        return int(document.session) if document.session else None
    except (TypeError, ValueError):
        return None



@dataclass(frozen=True)
class Repeat:
    """``later`` asks the same addressee for the same action as ``earlier``, from another
    document (body or session), in wording that echoes it (``score``: tip:echoes)."""

    later: Mandate
    earlier: Mandate
    score: float


def find_repeats(mandates: Iterable[Mandate], echoes: Iterable) -> list[Repeat]:
    """The duplication flags: pairs of mandates joined by a text-reuse echo
    (``network.reuse.Echo``, already at or above its threshold) with a shared
    addressee and the same action, made by different documents."""
    by_paragraph = {m.paragraph: m for m in mandates}
    out = []
    for e in echoes:
        later, earlier = by_paragraph.get(e.later), by_paragraph.get(e.earlier)
        if later is None or earlier is None or later.document == earlier.document:
            continue
        if later.action == earlier.action and {a.actor for a in later.addressees} & {a.actor for a in earlier.addressees}:
            out.append(Repeat(later, earlier, e.score))
    return sorted(out, key=lambda r: (r.later.paragraph, r.earlier.paragraph))
