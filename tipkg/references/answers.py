"""What answered a mandate, as the corpus shows it.

Four kinds of evidence, each a pattern table in tables/mandates.toml:

* **Restatements** (``[restates]``): an agenda's annotations say in other words
  what a decision said ("وطلب إلى الدول الأطراف أن تواصل تعزيز تشريعاتها ...");
  each clause is linked to the decision paragraphs whose content words it holds.
* **Documents listed under agenda items** (``[agenda]``): an agenda prepared
  under a decision, and the papers "من إعداد الأمانة" listed under its items,
  answer that decision's mandates to the Secretariat to assist the Working Group.
* **Working Group reports**: the report of a meeting answers the Conference's
  directions to the Working Group (meet, perform its functions) made before the
  meeting, not due before its year, and not given again word for word since
  (the re-issued direction is the one in force: see ``_in_force``).
* **Later paragraphs and front matter** (``[[evidence]]``, ``[front_matter]``):
  "التقرير التحليلي الذي أعدته الأمانة" reports that a report mandate was
  answered; the compendium says it was made "in response to that request".

Plain frozen dataclasses with the words and their span; no RDF.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Callable, Sequence

from tipkg.model import Document, Paragraph, Source, Span, StructuredSource
from tipkg.normalize import normalize_whole, search_form

from .mandates import Mandate, Words, ordinal, table, words_at


@dataclass(frozen=True)
class Restatement:
    paragraph: str      # the restating paragraph (an agenda item)
    target: str         # the decision paragraph restated
    words: Words
    score: float
    rule: str


@dataclass(frozen=True)
class Answer:
    subject: str        # identifier of what answers (a document, an agenda item, a paragraph)
    subject_kind: str   # "document" or "paragraph"
    relation: str       # "answers" or "reportsAnswer"
    mandate: str        # the mandate's identifier
    words: Words
    rule: str


@dataclass(frozen=True)
class Answers:
    restatements: tuple[Restatement, ...] = ()
    answers: tuple[Answer, ...] = field(default_factory=tuple)
    year: int | None = None  # the last year the corpus's documents are dated (a mandate's status is judged by it)


def decision_id(number: str) -> str:
    """"4/4" -> "CTOC/COP/DEC/4/4" (the agenda prints session first)."""
    return f"CTOC/COP/DEC/{number}"


def content_words(text: str) -> set[str]:
    stop = set(table()["restates"]["stopwords"])
    return {w for w in re.findall(r"[\u0621-\u064a]+", text) if len(w) > 1 and w not in stop}


class _Mandates:
    """The corpus's mandates (in corpus order) indexed the ways the evidence looks them up: each
    lookup scanned every mandate, once per agenda, meeting, request and evidence hit — quadratic
    in the corpus (×1000 a hundred times ×100's work). The answers are the same."""

    def __init__(self, mandates: Sequence[Mandate], texts: dict[str, str]):
        """``texts``: each paragraph's working text by identifier, to tell a direction re-issued word for
        word (``_in_force``)."""
        self.by_document: dict[str, list[Mandate]] = defaultdict(list)
        self.to_secretariat: dict[str, list[Mandate]] = defaultdict(list)  # by action, in corpus order
        self.to_working_group: list[Mandate] = []  # the Conference's meet / other directions, with a year
        for m in mandates:
            self.by_document[m.document].append(m)
            actors = {a.actor for a in m.addressees}
            if "actor:secretariat" in actors:
                self.to_secretariat[m.action].append(m)
            if m.body == "actor:conference" and m.action in ("meeting", "other") and "actor:working-group" in actors \
                    and m.year is not None:
                self.to_working_group.append(m)
        self.order = {id(m): n for n, m in enumerate(mandates)}
        # the Working Group directions by the years they are in force
        self.working_group_years, self.working_group_standing = _in_force(self.to_working_group, texts)
        self._latest: dict[str, tuple[list[int], list[tuple[Mandate, Mandate | None]]]] = {}

    def latest_to_secretariat(self, action: str, document: str, year: int) -> Mandate | None:
        """The last mandate (in corpus order) to the Secretariat for ``action`` made by another document than
        ``document`` in a year not after ``year`` (no year: 0). Walking ``to_secretariat[action]`` back from
        its end for it was quadratic in the corpus: the replicated scale corpus's later copies' mandates are
        dated later, so an evidence hit of copy k walked past every mandate of the copies after it. Here the
        mandates are sorted by year once, with, for each prefix, the last of them and the last of another
        document than that one's: a lookup is a bisection."""
        if action not in self._latest:
            self._latest[action] = _prefix_latest(self.to_secretariat.get(action, []))
        years, best = self._latest[action]
        k = bisect_right(years, year)
        if not k:
            return None
        last, other = best[k - 1]
        return last if last.document != document else other


def find_answers(structured: Sequence[StructuredSource], mandates: Sequence[Mandate],
                 printed: tuple[dict[str, list[int]], dict[str, str], int | None] | None = None,
                 local: Sequence[Local] | None = None, restate: Restate | None = None) -> Answers:
    """What answered the ``mandates`` in the corpus. ``structured`` is read twice in order, and the sources that
    print a decision an agenda names once more (the build's parent reads them back one at a time:
    ``tipkg.held``); what is kept between is ids and a few paragraphs' texts, not the corpus.

    The build's parent has the rest from the units' views (``tipkg.views``), and reads back only the sources
    that print an agenda: ``printed``, the first reading's result (``_printed``); ``local``, each source's
    ``Local`` (what it gives whatever the mandates); ``restate(place, source, document, first prints)``, an
    agenda's restatements (``_restatements``, kept by the views for the decisions' sources)."""
    # the front matter's whole texts normalized, the last few kept (copies of a source printed one after
    # the other, as in the replicated scale corpus, are normalized once), all let go on return
    whole = lru_cache(maxsize=8)(normalize_whole)
    printed, texts, year = printed or _printed(structured, {m.paragraph for m in mandates if _text_read(m)})
    paragraphs = _FirstPrints(structured, printed)
    index = _Mandates(mandates, texts)
    restatements: list[Restatement] = []
    answers: list[Answer] = []
    for i in range(len(local) if local is not None else len(structured)):
        own = local[i] if local is not None else None
        item = structured[i] if own is None or own.agendas else None
        own = own or local_answers(item, whole)  # type: ignore[arg-type]
        for n, (document, date, hits) in enumerate(own.evidence):
            if item is not None and item.documents[n].kind == "agenda":
                d = item.documents[n]
                restatements += (restate or _restate)(i, item.source, d, paragraphs)
                answers += _agenda_answers(item.source, d, index, texts)
            answers += _evidence(document, date, hits, index)
        answers += _front_matter(own, index)
        answers += _wg_reports(own, index)
    unique = {(a.subject, a.relation, a.mandate): a for a in answers}
    return Answers(tuple(restatements), tuple(unique.values()), year)


@dataclass(frozen=True)
class Local:
    """What one source gives ``find_answers`` whatever the mandates are, so it can be cached with its unit
    (``tipkg.views``): whether it prints an agenda (then it is read back: its restatements read other sources);
    per document, its identifier, date and evidence hits (paragraph, action, the decisions it names, words);
    the front matter's requests answered (ordinal of the meeting, words, that meeting's documents); the
    Working Group's reports (report, year, the meeting's heading)."""

    identifier: str
    agendas: bool
    evidence: tuple[tuple[str, str | None, tuple[tuple[str, str, tuple[str, ...], Words], ...]], ...]
    front: tuple[tuple[Words, tuple[str, ...]], ...]
    reports: tuple[tuple[str, int, Words], ...]


def local_answers(item: StructuredSource, whole=normalize_whole) -> Local:
    """The ``Local`` of one source."""
    return Local(item.source.identifier, any(d.kind == "agenda" for d in item.documents),
                 tuple((d.identifier, d.date, _evidence_hits(item.source, d)) for d in item.documents),
                 _front_hits(item, whole), _report_hits(item))


#: restatements of an agenda: (its source's place in the corpus, the source, the agenda, the decisions' first prints)
Restate = Callable[[int, Source, Document, "_FirstPrints"], list[Restatement]]


def _restate(i: int, source: Source, d: Document, paragraphs: _FirstPrints) -> list[Restatement]:
    return _restatements(source, d.paragraphs, paragraphs)


def _text_read(m: Mandate) -> bool:
    """Whether the evidence reads the text of the mandate's paragraph: an assisting mandate to the Secretariat
    (``_agenda_answers``) or a direction to the Working Group (``_in_force``)."""
    actors = {a.actor for a in m.addressees}
    return (m.action == "assistance" and "actor:secretariat" in actors) or "actor:working-group" in actors


def _printed(structured: Sequence[StructuredSource],
             wanted: set[str]) -> tuple[dict[str, list[int]], dict[str, str], int | None]:
    """(document -> the places in ``structured`` of the sources that print it, drafts left out; paragraph ->
    its working text, for the ``wanted`` paragraphs; the last year a document is dated), in one reading. A
    paragraph's text is that of its first print in a document, and of the last document, in first-print
    order, that prints it (as a dictionary of every document's paragraphs made in corpus order would give it)."""
    years: list[int] = []
    printed: dict[str, list[int]] = {}
    rank: dict[str, int] = {}  # document -> its place among first prints
    texts: dict[str, tuple[int, str]] = {}  # paragraph -> (its document's rank among first prints, its text)
    seen: set[tuple[str, str]] = set()  # (document, wanted paragraph) already met
    for i, item in enumerate(structured):
        for d in item.documents:
            if d.date and d.date[:4].isdigit():
                years.append(int(d.date[:4]))
            if d.kind == "draft-decision":
                continue
            places = printed.setdefault(d.identifier, [])
            if not places or places[-1] != i:
                places.append(i)
            order = rank.setdefault(d.identifier, len(rank))
            for p in d.paragraphs:
                if p.identifier in wanted and (d.identifier, p.identifier) not in seen:
                    seen.add((d.identifier, p.identifier))
                    if p.identifier not in texts or texts[p.identifier][0] < order:
                        texts[p.identifier] = (order, p.normalized or p.text)
    return printed, {p: text for p, (_, text) in texts.items()}, max(years, default=None)


class _FirstPrints:
    """document -> its paragraphs, those of the first source that prints it, then those only a later one prints
    (drafts left out), read back from ``structured`` when asked for (an agenda's restatements ask for the
    decisions it names), the last few kept."""

    def __init__(self, structured: Sequence[StructuredSource], printed: dict[str, list[int]]) -> None:
        self.structured, self.printed = structured, printed
        self.recent: dict[str, list[Paragraph]] = {}

    def __contains__(self, document: object) -> bool:
        return document in self.printed

    def __getitem__(self, document: str) -> list[Paragraph]:
        if document not in self.recent:
            out: list[Paragraph] = []
            known: set[str] = set()
            for i in self.printed[document]:
                for d in self.structured[i].documents:
                    if d.identifier == document and d.kind != "draft-decision":
                        out += [p for p in d.paragraphs if p.identifier not in known]
                        known = {p.identifier for p in out}
            while len(self.recent) >= 8:
                del self.recent[next(iter(self.recent))]
            self.recent[document] = out
        return self.recent[document]


def _restatements(source: Source, items: Sequence[Paragraph], paragraphs: _FirstPrints) -> list[Restatement]:
    t = table()["restates"]
    verbs = "|".join(sorted(set(t["verbs"]), key=len, reverse=True))
    opener = re.compile(rf"(?:(?<=\s)|^)(?:و|وقد\s+|كما\s+)?(?:{verbs})(?!\w)")
    anchor, same = re.compile(t["anchor"]), re.compile(t["same"])
    out = []
    last = None
    for p in items:
        text = search_form(p.normalized or p.text)
        words = words_at(source, p)
        starts = [m.start() for m in opener.finditer(text)]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(text)
            stop = text.find(".", start, end)
            end = stop + 1 if stop >= 0 else end
            clause = text[start:end]
            a = list(anchor.finditer(clause)) or []
            if a:
                last = decision_id(a[0].group("number"))
            elif not same.search(clause) and not anchor.search(text[max(0, start - 80):start]):
                if not _continues(text, start):
                    continue
            if last is None or last not in paragraphs:
                continue
            have = content_words(clause)
            verb = opener.match(clause).group(0).split()[-1].removeprefix("و")
            scored = []
            texts = {q.identifier: search_form(q.normalized or q.text) for q in paragraphs[last]}
            for target in paragraphs[last]:
                opens = texts[target.identifier].split()[:1] or [""]
                parent = texts.get(target.parent, "").split()[:1] or [""]
                if verb not in (opens[0].removeprefix("و"), parent[0].removeprefix("و")):
                    continue  # "سلم" restates what the decision recognized, not what it recalled
                want = content_words(texts[target.identifier])
                if len(want) >= 3:
                    scored.append((len(want & have) / len(want), target.identifier))
            scored.sort(reverse=True)
            if scored and scored[0][0] >= t["threshold"]:
                best = scored[0][0]
                for score, target in scored:
                    if score >= t["threshold"] and score >= best - 0.25:
                        out.append(Restatement(p.identifier, target, _clause_words(words, p, text, start, end), round(score, 2),
                                               f"restates:{clause.split()[0]}"))
    return out


def _clause_words(words, p: Paragraph, text: str, start: int, end: int) -> Words:
    """The clause's words; where the whole clause cannot be placed in the file (a page
    break inside it), its first twelve words."""
    w = words(start, end)
    if w.span == p.span:
        head = text[start:end].split()[:12]
        w = words(start, start + len(" ".join(head)))
    return w


def _continues(text: str, start: int) -> bool:
    """A clause joined by "و" to the previous one of the same sentence keeps its decision."""
    before = text[:start].rstrip()
    return not before.endswith(".") and bool(before)


def _agenda_answers(source: Source, d, mandates: _Mandates, texts: dict[str, str]) -> list[Answer]:
    t = table()["agenda"]
    out = []
    decision = None
    for p in d.paragraphs:
        text = search_form(p.normalized or p.text)
        m = re.search(t["prepared_under"], text)
        if m:
            decision = decision_id(m.group("number"))
            words = words_at(source, p)
            prepared = (d.identifier, words(m.start(), m.end()))
    if decision is None:
        return out
    assist = [m for m in mandates.by_document.get(decision, ()) if m.action == "assistance"
              and any(a.actor == "actor:secretariat" for a in m.addressees)
              and re.search(t["assists"], search_form(texts.get(m.paragraph, "")))]
    for m in assist:
        out.append(Answer(prepared[0], "document", "answers", m.identifier, prepared[1], "answers:agenda-prepared-under"))
        for p in d.paragraphs:
            text = search_form(p.normalized or p.text)
            hit = re.search(t["by_secretariat"], text)
            if hit and p.documents:
                words = words_at(source, p)(hit.start(), hit.end())
                for symbol in p.documents:
                    out.append(Answer(symbol, "document", "answers", m.identifier, words, "answers:paper-by-secretariat"))
    return out


def _evidence_hits(source: Source, d: Document) -> tuple[tuple[str, str, tuple[str, ...], Words], ...]:
    """(paragraph, action, the decisions it names, words) of each evidence pattern's hit in a document."""
    out = []
    anchor = re.compile(table()["restates"]["anchor"])  # a decision named by number: the table's one pattern
    for p in d.paragraphs:
        text = search_form(p.normalized or p.text)
        numbers = [m.group("number") for m in anchor.finditer(text)]
        # the corpus prints "المقرّر 5/1" for decision 1/5: try both orders
        named = tuple([decision_id(n) for n in numbers] + [decision_id("/".join(reversed(n.split("/")))) for n in numbers])
        for row in table()["evidence"]:
            for hit in re.finditer(row["pattern"], text):
                out.append((p.identifier, row["action"], named, words_at(source, p)(hit.start(), hit.end())))
    return tuple(out)


def _evidence(document: str, date: str | None, hits, mandates: _Mandates) -> list[Answer]:
    out = []
    for paragraph, action, named, words in hits:
        for m in _evidenced(mandates, action, document, date, named)[:1]:
            out.append(Answer(paragraph, "paragraph", "reportsAnswer", m.identifier, words, f"reportsAnswer:{action}"))
    return out


def _evidenced(mandates: _Mandates, action: str, document: str, date: str | None,
               named: Sequence[str]) -> list[Mandate]:
    """The mandate a report of ``action`` in ``document`` (dated ``date``) answers: of the mandates to the
    Secretariat for that action made by another document not after its year, the first (in corpus order)
    made by a decision it names, else the last of them all."""
    year = int(date[:4]) if date else 9999

    def fits(m: Mandate) -> bool:
        return m.action == action and m.document != document and (m.year or 0) <= year \
            and any(a.actor == "actor:secretariat" for a in m.addressees)

    chosen = [m for document in dict.fromkeys(named) for m in mandates.by_document.get(document, ()) if fits(m)]
    if chosen:
        return [min(chosen, key=lambda m: mandates.order[id(m)])]
    latest = mandates.latest_to_secretariat(action, document, year)
    return [latest] if latest is not None else []


def _prefix_latest(made: Sequence[Mandate]) -> tuple[list[int], list[tuple[Mandate, Mandate | None]]]:
    """``made`` (in corpus order) sorted by year (no year: 0), and for each prefix of that order its last
    mandate in corpus order and the last of a document other than that one's (None if there is none)."""
    ranked = sorted(range(len(made)), key=lambda n: made[n].year or 0)
    years: list[int] = []
    best: list[tuple[Mandate, Mandate | None]] = []
    last: int | None = None
    other: int | None = None
    for n in ranked:
        if last is None:
            last = n
        elif n > last:
            if made[n].document != made[last].document:
                other = last  # the last of all before: the last of another document than n's
            last = n
        elif made[n].document != made[last].document and (other is None or n > other):
            other = n
        years.append(made[n].year or 0)
        best.append((made[last], made[other] if other is not None else None))
    return years, best


def _front_hits(item: StructuredSource, whole=normalize_whole) -> tuple[tuple[Words, tuple[str, ...]], ...]:
    """(words, the documents of the meeting asked) of each request of the front matter a response follows."""
    t = table()["front_matter"]
    source = item.source
    covered = [(d.span.start, d.span.end) for d in item.documents if d.span and d.paragraphs]
    out = []
    text = source.text
    norm = whole(text, fold=True)
    folded = norm.text
    for m in re.finditer(t["request"], folded):
        response = re.compile(t["response"]).search(folded, m.end(), m.end() + t["window"])
        n = ordinal(m.group("ordinal"))
        if not response or n is None:
            continue
        span = norm.original_span(m.start(), response.end())
        if any(s <= span.start < e for s, e in covered):
            continue
        meeting_docs = tuple(dict.fromkeys(d.identifier for d in item.documents if d.meeting == n))
        out.append((Words(text[span.start:span.end], source.file, span), meeting_docs))
    return tuple(out)


def _front_matter(local: Local, mandates: _Mandates) -> list[Answer]:
    out = []
    for words, meeting_docs in local.front:
        made = sorted((m for document in meeting_docs for m in mandates.by_document.get(document, ())),
                      key=lambda m: mandates.order[id(m)])  # in corpus order, as a scan of them all met them
        for mandate in made:
            if any(a.actor == "actor:secretariat" for a in mandate.addressees):
                out.append(Answer(local.identifier, "document", "answers", mandate.identifier, words,
                                  "answers:front-matter"))
    return out


def _in_force(directions: Sequence[Mandate], texts: dict[str, str]) -> tuple[dict[int, list[Mandate]], list[tuple[Mandate, int | None]]]:
    """The years in which each direction to the Working Group can be answered, as
    ``(year -> directions, [(direction, last year or None)])``, both in corpus order: the
    second for the directions in force for ever or for decades.

    A direction made in year Y can be answered by a report of a later year, up to its
    due year if it has one, and up to the year the Conference gives the same direction
    again word for word (the same addressees and action, the same paragraph text): from
    then on the re-issued direction is the one the Working Group carries out. Without
    that, a direction that is never due would be answered by every later report, and a
    corpus whose Conference keeps re-issuing it (the replicated scale corpus does, once
    a copy) would have answers growing with the square of its size. No direction of the
    bundled corpus is re-issued word for word: decision 4/4 para o ("قرّر أيضاً أن يؤدّي
    الفريق العامل المهام التالية") is continued in other words by resolution 5/2 para 14
    ("يقرّر أن يواصل الفريق العامل ... أداء المهام المنصوص عليها في مقرّر المؤتمر 4/4"),
    and both stay answered.
    """
    later: dict[tuple, int] = {}  # a direction's wording -> the year it was last given (walking back)
    until: dict[int, int | None] = {}
    for m in sorted(directions, key=lambda m: -(m.year or 0)):
        key = (m.body, tuple(sorted({a.actor for a in m.addressees})), m.action, texts.get(m.paragraph, m.paragraph))
        again = later.get(key)
        ends = [y for y in (m.due.year if m.due else None, again if again is not None and again > (m.year or 0) else None)
                if y is not None]
        until[id(m)] = min(ends) if ends else None
        if again is None or again > (m.year or 0):
            later[key] = m.year or 0
    by_year: dict[int, list[Mandate]] = defaultdict(list)
    long: list[tuple[Mandate, int | None]] = []  # never ending, or over decades: looked at by every report
    for m in directions:
        end = until[id(m)]
        if end is None or end - (m.year or 0) > 50:
            long.append((m, end))
        else:
            for year in range((m.year or 0) + 1, end + 1):
                by_year[year].append(m)
    return by_year, long


def _report_hits(item: StructuredSource) -> tuple[tuple[str, int, Words], ...]:
    """(report, year, the meeting's heading) of each meeting whose report and date are known."""
    out = []
    for meeting in item.meetings:
        if not meeting.report or not meeting.date:
            continue
        line_end = item.source.text.find("\n", meeting.span.start, meeting.span.end)
        span = Span(meeting.span.start, line_end if line_end > 0 else meeting.span.end)  # the meeting's heading
        out.append((meeting.report, int(meeting.date[:4]),
                    Words(item.source.text[span.start:span.end], item.source.file, span)))
    return tuple(out)


def _wg_reports(local: Local, mandates: _Mandates) -> list[Answer]:
    out = []
    for report, year, words in local.reports:
        in_force = mandates.working_group_years.get(year, []) + [
            m for m, end in mandates.working_group_standing if m.year < year and (end is None or year <= end)]
        for m in sorted(in_force, key=lambda m: mandates.order[id(m)]):
            out.append(Answer(report, "document", "answers", m.identifier, words, "answers:working-group-report"))
    return out
