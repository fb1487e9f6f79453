"""Operative and preambular verbs, their addressees, and what a paragraph recalls.

A UN resolution speaks through the verb that opens each paragraph ("يطلب إلى
الأمانة أن ...", "وإذ يستذكر ..."); the Working Group through its "ينبغي
للدول الأطراف أن ...". This module reads, for every paragraph:

* its main verb — the first verb of ``tables/verbs.toml`` in reading order —
  as a ``verb`` record (the graph states ``tip:verb``);
* the addressees of that verb and of verbs coordinated with it later in the
  paragraph ("... وتطلب إلى المكتب ..."), as edges ``requests`` / ``urges`` /
  ``invites`` / ``encourages`` / ``recommends`` ... to actors of
  ``tables/actors.toml``;
* requests named by a noun ("توجيه الطلب إلى الأمانة"): ``requests`` when the
  body makes them, ``recommendsRequest`` when a recommendation only proposes
  them (``[request_modality]`` of the table);
* ``recalls`` edges: a recalling clause ("وإذ يستذكر أيضاً مقرّره 3/3 وقراري
  الجمعية العامة ...") recalls whatever the citations extractor found inside it
  (see ``recalls_from``).

Sub-paragraphs ("(أ) تجريم السلوك ...") that open without a verb of their own
inherit the verb and addressees of their parent: "ينبغي أن تقوم الدول الأطراف
بما يلي: (أ) ..." addresses every item to the States parties.

Matching happens on the search form of ``Paragraph.normalized`` (harakat
dropped, alef/yaa/taa marbuta folded); spans are mapped back to the original
file through the one span mapping (``spans.Locator``, folded). In visual-order sources
(000, 004) the words of a line come out of order, so there the verb is looked
for in the head of the paragraph even when glued to a neighbour, and the
addressee is the first actor whose words all occur in that head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable

from tipkg import identifiers as ids
from tipkg.model import Document, Paragraph, Source, Span, StructuredSource
from tipkg.normalize import is_visual_source, search_form
from tipkg.tables import load

from .citations import ANNEXED
from .spans import Locator
from .types import Found, Reference

SUB_KINDS = ("subparagraph", "subitem")
SKIPPED_KINDS = ("agenda-item", "agenda-subitem")
#: Relations of the citations extractor that a recalling clause turns into ``recalls``.
RECALLABLE = ("refersTo", "citesArticle")
_W = r"\w"


@lru_cache(maxsize=None)
def grammar() -> dict:
    """The particles of ``[grammar]`` in tables/verbs.toml (search form)."""
    return load("verbs")["grammar"]


def _adverbs() -> str:
    return r"(?:\s+(?:" + "|".join(map(re.escape, grammar()["adverbs"])) + "))?"


def _start() -> str:
    """A verb starts a word, or follows the conjunction glued to it ("وتطلب")."""
    return rf"(?:(?<!{_W})|(?<=(?<!{_W}){re.escape(grammar()['conjunction'])}))"


# --- tables ---------------------------------------------------------------------

@dataclass(frozen=True)
class VerbForm:
    verb: str
    relation: str
    form: str
    pattern: re.Pattern
    visual: tuple[re.Pattern, ...]
    addressee_before: bool = False


@dataclass(frozen=True)
class ActorForm:
    actor: str
    form: str
    words: tuple[str, ...]
    pattern: re.Pattern
    visual_only: bool = False
    lam_only: bool = False


def _verb_pattern(form: str) -> re.Pattern:
    words = search_form(form).split(" ")
    body = re.escape(words[0]) + _adverbs() + "".join(r"\s+" + re.escape(w) for w in words[1:])
    lam = grammar()["lam"]
    if words[-1] == lam:  # "يمكن للدول": the lām belongs to the addressee
        head = re.escape(words[0]) + _adverbs()
        return re.compile(rf"{_start()}{head}(?=\s+{re.escape(lam)}\w)")
    return re.compile(rf"{_start()}{body}(?!{_W})")


@lru_cache(maxsize=None)
def verb_forms() -> tuple[VerbForm, ...]:
    """All verb forms, longest first (so "يؤكّد مجدداً" wins over "يؤكّد")."""
    table = load("verbs")
    relation = {v["name"]: v.get("relation", "") for v in table["verb"]}
    out = []
    for row in table["form"]:
        if row.get("negative"):
            continue
        visual = tuple(re.compile(re.escape(search_form(v))) for v in row.get("visual", ()))
        out.append(VerbForm(row["verb"], relation[row["verb"]], row["form"], _verb_pattern(row["form"]),
                            visual, bool(row.get("addressee_before"))))
    return tuple(sorted(out, key=lambda f: -len(search_form(f.form))))


@lru_cache(maxsize=None)
def verb_families() -> dict[str, dict]:
    return {v["name"]: v for v in load("verbs")["verb"]}


def _lam(form: str) -> str:
    g = grammar()
    return g["lam"] + form[1:] if form.startswith(g["article"]) else g["lam"] + form


@lru_cache(maxsize=None)
def actor_forms() -> tuple[ActorForm, ...]:
    """Actor forms with their glued prepositions, longest first."""
    out = []
    for row in load("actors")["actor"]:
        for entry, visual_only in [(f, False) for f in row.get("forms", ())] + \
                                  [(f, True) for f in row.get("visual", ())]:
            f = search_form(entry["form"])
            variants = [_lam(f)] if entry.get("only_with_lam") else [f, _lam(f)]
            alternatives = "|".join(re.escape(v) for v in variants)
            prefixes = "|".join(re.escape(search_form(p)) + (r"\s+" if p.endswith(" ") else "")
                                for p in grammar()["addressee_prefixes"])
            pattern = re.compile(rf"(?<!{_W})(?:{prefixes})?(?P<name>{alternatives})(?!{_W})")
            out.append(ActorForm(row["identifier"], entry["form"], tuple(f.split(" ")), pattern, visual_only,
                                 bool(entry.get("only_with_lam"))))
    return tuple(sorted(out, key=lambda a: -len(a.form)))


@lru_cache(maxsize=None)
def _addressee_rules() -> tuple[re.Pattern, re.Pattern, int]:
    t = load("verbs")["addressee"]
    fillers = re.compile(r"\s*(?:" + "|".join(t["fillers"]) + r")(?!" + _W + r")")
    qualifiers = re.compile(r"\s*(?:" + "|".join(search_form(q) for q in t["qualifiers"]) + r")(?!" + _W + r")")
    return fillers, qualifiers, int(t["visual_head"])


# --- matching ---------------------------------------------------------------------

@dataclass(frozen=True)
class VerbMatch:
    """A verb found in the search form of a paragraph (offsets into that form)."""

    form: VerbForm
    start: int
    end: int

    @property
    def verb(self) -> str:
        return self.form.verb


@lru_cache(maxsize=None)
def _needles() -> dict[re.Pattern, str]:
    """A word each verb pattern cannot match without (a cheap test before the regex)."""
    out = {}
    table = {row["form"]: row for row in load("verbs")["form"]}
    for vf in verb_forms():
        out[vf.pattern] = search_form(vf.form).split(" ")[0]
        for pattern, raw in zip(vf.visual, table[vf.form].get("visual", ())):
            out[pattern] = search_form(raw)
    return out


@lru_cache(maxsize=4096)
def find_verbs(text: str, *, visual: bool = False) -> tuple[VerbMatch, ...]:
    """Every verb form in ``text`` (a search form), leftmost first, no overlaps
    (cached: a paragraph's clauses are searched more than once)."""
    found: list[VerbMatch] = []
    taken: list[tuple[int, int]] = []
    needles = _needles()
    for vf in verb_forms():
        patterns = [vf.pattern] + (list(vf.visual) if visual else [])
        for pattern in patterns:
            if needles[pattern] not in text:
                continue
            for m in pattern.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                found.append(VerbMatch(vf, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return tuple(sorted(found, key=lambda v: v.start))


def main_verb(text: str, *, visual: bool = False, sub: bool = False) -> VerbMatch | None:
    """The paragraph's verb: the first verb in reading order.

    A sub-paragraph has a verb of its own only if it opens with it ("(ب) ينبغي
    أن تعدد الأمانة"); otherwise its words ("تقديم توصيات إلى المؤتمر ...")
    are the object of its parent's verb.
    """
    _, _, head = _addressee_rules()
    verbs = find_verbs(text[:head] if visual else text, visual=visual)
    if not verbs:
        return None
    first = verbs[0]
    if sub and text[:first.start].strip(" -" + grammar()["comma"] + grammar()["conjunction"]) and not first.form.relation:
        return None
    return first


@dataclass(frozen=True)
class ActorMatch:
    actor: str
    start: int
    end: int


def actor_at(text: str, pos: int) -> ActorMatch | None:
    """The actor of ``tables/actors.toml`` whose name starts at ``pos`` of a search-form text (a form of it
    that is not only a visual-order source's), or None: read where an addressee is expected (after "إلى",
    after the "و" of a list of them)."""
    for af in actor_forms():
        if af.visual_only:
            continue
        m = af.pattern.match(text, pos)
        if m:
            return ActorMatch(af.actor, m.start("name"), m.end("name"))
    return None


def addressees(text: str, verb: VerbMatch, *, visual: bool = False) -> list[ActorMatch]:
    """The actors a verb addresses.

    Logical order: skip the fillers after the verb (adverbs, "إلى", "أن تقوم",
    the Working Group as subject), read the actor there, then every actor
    joined to it by "و" until the clause reaches "إلى / على / أن" (what the
    addressees are asked to do). Visual order: the first actor whose words all
    stand in the head of the paragraph.
    """
    if not verb.form.relation:
        return []
    if visual:
        return _visual_addressees(text, verb)
    fillers, qualifiers, _ = _addressee_rules()
    if verb.form.addressee_before:
        before = text[:verb.start].rstrip()
        for af in actor_forms():
            m = re.search(af.pattern.pattern + r"$", before)
            if m and not af.visual_only:
                return [ActorMatch(af.actor, m.start("name"), m.end("name"))]
        return []
    pos = verb.end
    while True:
        m = fillers.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    pos = len(text) - len(text[pos:].lstrip(" "))
    first = actor_at(text, pos)
    if first is None:
        return []
    found, end = [first], first.end
    while True:  # "الدول الأعضاء والدول الممثلة بمراقبين في دورات المؤتمر والمنظمات الدولية"
        pos = end
        m = qualifiers.match(text, pos)
        while m and m.end() > pos:
            pos = m.end()
            m = qualifiers.match(text, pos)
        pos = len(text) - len(text[pos:].lstrip(" " + grammar()["comma"]))
        nxt = actor_at(text, pos) if text.startswith(grammar()["conjunction"], pos) else None
        if nxt is None:
            return found
        end = nxt.end
        if nxt.actor not in {a.actor for a in found}:
            found.append(nxt)


def _visual_addressees(text: str, verb: VerbMatch, *, after: bool = False) -> list[ActorMatch]:
    """The first actor whose words all stand in the head of the paragraph (or,
    for a verb coordinated later, ``after`` it)."""
    _, _, head_len = _addressee_rules()
    start = verb.end if after else (0 if verb.start < head_len else verb.start)
    head = text[start:start + head_len]
    tokens = [(m.start() + start, m.group()) for m in re.finditer(r"\S+", head)]
    best: list[tuple[int, int, ActorMatch]] = []
    for af in actor_forms():
        if af.lam_only:
            continue
        positions = []
        for word in af.words:
            hit = [p for p, tok in tokens
                   if (tok.strip(grammar()["punctuation"]) == word
                       or (tok.endswith(word) and not tok.startswith(grammar()["lam"])))
                   and not (verb.start <= p < verb.end)]
            if not hit:
                break
            positions.append(min(hit))
        else:
            p = min(positions)
            best.append((p, -len(af.words), ActorMatch(af.actor, p, max(positions) + len(af.words[-1]))))
    if not best:
        return []
    best.sort(key=lambda b: (b[0], b[1]))
    return [best[0][2]]


def secondary_verbs(text: str, main: VerbMatch, *, visual: bool = False) -> list[VerbMatch]:
    """Verbs coordinated with the main one later in an operative paragraph
    ("... وتطلب إلى المكتب مواصلة ...", "ويوصي الأمانة بأن ..."): only verbs
    that take an addressee, only with the conjunction و."""
    out = []
    for vm in find_verbs(text, visual=visual):
        if vm.start <= main.end or not vm.form.relation:
            continue
        if text[max(0, vm.start - 1):vm.start] == grammar()["conjunction"] and (vm.start < 2 or text[vm.start - 2].isspace()):
            out.append(vm)
    return out


@lru_cache(maxsize=None)
def _request_phrases() -> tuple[VerbForm, ...]:
    forms = sorted((search_form(row["form"]) for row in load("verbs")["request_phrase"]), key=len, reverse=True)
    return tuple(VerbForm("requests", "requests", f, re.compile(rf"(?<!{_W}){re.escape(f)}(?!{_W})"), ())
                 for f in forms)


def request_phrases(text: str, main: VerbMatch | None) -> list[VerbMatch]:
    """Requests named by a noun ("توجيه الطلب إلى X") in a paragraph whose main verb is
    another one; the longest phrase wins where two overlap."""
    out: list[VerbMatch] = []
    if main is not None and main.form.relation == "requests":
        return out
    for form in _request_phrases():
        if form.form not in text:  # the phrase itself, which its pattern only bounds (scanning is dearer)
            continue
        for m in form.pattern.finditer(text):
            if not any(v.start < m.end() and m.start() < v.end for v in out):
                out.append(VerbMatch(form, m.start(), m.end()))
    return out


@lru_cache(maxsize=None)
def request_modality() -> dict:
    """``[request_modality]`` of tables/verbs.toml: the relation of a request made, of
    one proposed, and the verb families under which a request is only proposed."""
    return load("verbs")["request_modality"]


def request_relation(governing: str | None) -> str:
    """``requests`` for a request the body makes; ``recommendsRequest`` for one a
    recommendation proposes ("ينبغي أن يُطلب إلى المكتب ..."): ``governing`` is the
    paragraph's own or inherited main verb family."""
    t = request_modality()
    return t["proposed"] if governing in t["proposing_verbs"] else t["made"]


def _named_requests(text: str, main: VerbMatch | None, refs: list[Reference], ref,
                    governing: str | None = None) -> list[Reference]:
    """Edges to the actors that follow a request phrase: requests made, or proposed
    when the paragraph's verb (``governing``) only recommends."""
    out = []
    relation = request_relation(governing)
    for vm in request_phrases(text, main):
        for am in addressees(text, vm, visual=False):
            if not any(r.relation == relation and r.target == am.actor for r in refs + out):
                out.append(ref(relation, am.actor, "actor", vm.start, am.end, f"{relation}:{vm.form.form}"))
    return out


# --- clauses and recalls ---------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    """A stretch of a paragraph governed by one verb (offsets into its search form)."""

    verb: str
    start: int
    end: int
    form: str


def clauses(text: str, *, visual: bool = False) -> list[Clause]:
    """Split a paragraph at its preambular verbs: "إذ يستذكر ... وإذ يرحب ..."."""
    verbs = [v for v in find_verbs(text, visual=visual)]
    starts = []
    for i, v in enumerate(verbs):
        lead = text[max(0, v.start - 6):v.start]
        openers = grammar()["clause_openers"]
        if i == 0 or re.search(r"(?:" + "|".join(openers) + r")\s*$", lead) or v.form.form.startswith(tuple(o for o in openers if o.startswith(grammar()["conjunction"]))):
            starts.append(v)
    out = []
    for i, v in enumerate(starts):
        end = starts[i + 1].start if i + 1 < len(starts) else len(text)
        out.append(Clause(v.verb, v.start, end, v.form.form))
    return out


def recalls_from(paragraph_refs: Iterable[Reference], recall_spans: Iterable[Span], *,
                 mark_spans: dict[str, Span] | None = None, rule: str = "recalls") -> list[Reference]:
    """``recalls`` edges for the citations that fall inside recalling clauses.

    ``paragraph_refs`` are the citations extractor's references of one paragraph;
    a ``refersTo`` / ``citesArticle`` reference whose span lies inside one of
    ``recall_spans`` (original offsets of the recalling clauses) becomes a
    ``recalls`` edge to the same target. A reference carried from a footnote
    counts where its mark stands (``mark_spans``: mark -> span in the paragraph).
    """
    spans = list(recall_spans)
    marks = mark_spans or {}
    out, seen = [], set()
    clause_of: dict[int, int] = {}
    for ref in paragraph_refs:
        if ref.relation not in RECALLABLE or ref.rule.endswith(ANNEXED):
            continue
        where = marks.get(ref.via_footnote) if ref.via_footnote else ref.span
        clause = next((k for k, s in enumerate(spans) if where and s.start <= where.start and where.end <= s.end), None)
        if clause is None or (ref.paragraph, ref.target) in seen:
            continue
        seen.add((ref.paragraph, ref.target))
        clause_of[len(out)] = clause
        out.append(replace(ref, relation="recalls", rule=f"{rule}+{ref.rule}"))
    # "المهام المسندة إليه في المادة 32 من اتفاقية ...(1)، التي ... بما يشمل بروتوكول ...":
    # in a clause that recalls an article, the instruments it names (or its
    # footnote carries) locate or qualify the article: they are not recalled.
    articles = {i: a for i, r in enumerate(out) if isinstance(a := r.identifier, ids.Article)}
    with_article = {clause_of[i] for i in articles}
    located = {str(article.instrument) for article in articles.values()}
    return [r for i, r in enumerate(out) if r.target not in located
            and (clause_of[i] not in with_article or r.target_kind != "instrument")]


# --- from paragraphs to references ------------------------------------------------

@dataclass(frozen=True)
class ParagraphVerbs:
    """What one paragraph says through its verbs (kept for its sub-paragraphs)."""

    verb: str | None
    relation: str
    actors: tuple[str, ...]


def paragraph_references(source: Source, paragraph: Paragraph, *, visual: bool,
                         citations: Iterable[Reference] = (),
                         inherited: ParagraphVerbs | None = None) -> tuple[list[Reference], ParagraphVerbs]:
    """The verb records, addressee edges and recalls of one paragraph."""
    text = search_form(paragraph.normalized or paragraph.text)
    locator = Locator.of(source, paragraph, folded=True)
    locate = locator.original
    sub = paragraph.kind in SUB_KINDS
    verb = main_verb(text, visual=visual, sub=sub)
    refs: list[Reference] = []

    def ref(relation: str, target: str, kind: str, start: int, end: int, rule: str) -> Reference:
        return locator.reference(paragraph.identifier, Found(relation, target, kind, start, end, rule))

    if verb is None:
        if sub and inherited and inherited.verb:
            s, words = paragraph.span, source.text[paragraph.span.start:paragraph.span.end]
            refs.append(Reference(paragraph.identifier, "verb", inherited.verb, "verb", source.file, s,
                                  words, "verb:inherited"))
            for actor in inherited.actors:
                refs.append(Reference(paragraph.identifier, inherited.relation, actor, "actor", source.file, s,
                                      words, f"{inherited.relation}:inherited"))
            refs += _named_requests(text, None, refs, ref, inherited.verb)
            return refs, inherited
        return refs, ParagraphVerbs(None, "", ())
    refs.append(ref("verb", verb.verb, "verb", verb.start, verb.end, f"verb:{verb.form.form}"))
    actors: list[str] = []
    for am in addressees(text, verb, visual=visual):
        actors.append(am.actor)
        start, end = (min(verb.start, am.start), max(verb.end, am.end)) if visual else (am.start, am.end)
        refs.append(ref(verb.form.relation, am.actor, "actor", start, end, f"{verb.verb}:{verb.form.form}"))
    for vm in secondary_verbs(text, verb, visual=visual):
        for am in addressees(text, vm, visual=False) or (_visual_addressees(text, vm, after=True) if visual else []):
            if any(r.relation == vm.form.relation and r.target == am.actor for r in refs):
                continue
            refs.append(ref(vm.form.relation, am.actor, "actor", vm.start, am.end, f"{vm.verb}:{grammar()['conjunction']}{vm.form.form}"))
    refs += _named_requests(text, verb, refs, ref, verb.verb)
    recall_spans = [locate(c.start, c.end) for c in clauses(text, visual=visual)
                    if verb_families().get(c.verb, {}).get("objects")]
    if recall_spans:
        marks = {}
        for mark in paragraph.footnote_marks:
            at = text.find(f"({mark})")
            if at >= 0:
                marks[mark] = locate(at, at + len(mark) + 2)
        own = [r for r in citations if r.paragraph == paragraph.identifier]
        refs.extend(recalls_from(own, recall_spans, mark_spans=marks, rule=f"recalls:{verb.form.form}"))
    return refs, ParagraphVerbs(verb.verb, verb.form.relation, tuple(actors))


def extract_verbs(structured: Iterable[StructuredSource], citations: Iterable[Reference] = ()) -> list[Reference]:
    """Verb records, addressee edges and recalls for every paragraph of every source.

    ``citations`` are the references the citations extractor already found; the
    recalling clauses turn theirs into ``recalls`` edges.
    """
    by_paragraph: dict[str, list[Reference]] = {}
    for r in citations:
        by_paragraph.setdefault(r.paragraph, []).append(r)
    out: list[Reference] = []
    for item in structured:
        visual = is_visual_source(item.source.text)
        for document in item.documents:
            out.extend(document_references(item.source, document, visual=visual, citations=by_paragraph))
    return out


def document_references(source: Source, document: Document, *, visual: bool,
                        citations: dict[str, list[Reference]] | None = None) -> list[Reference]:
    """The verb references of one document's paragraphs, parents before children."""
    said: dict[str, ParagraphVerbs] = {}
    out: list[Reference] = []
    for p in document.paragraphs:
        if p.kind in SKIPPED_KINDS:
            continue
        refs, verbs = paragraph_references(source, p, visual=visual,
                                           citations=(citations or {}).get(p.identifier, ()),
                                           inherited=said.get(p.parent))
        said[p.identifier] = verbs
        out.extend(refs)
    return out
