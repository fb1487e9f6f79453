"""Citations: instruments, articles, resolutions, decisions, UN documents,
paragraphs of reports and the Treaty Series, read from one working text.

Eyecite-like: ``find_citations(text, context)`` tokenizes nothing it need not —
it matches the patterns of ``tables/citations.toml`` and ``tables/instruments.toml``
on the search form of the text (diacritics dropped, alef/yaa/taa folded), then
resolves each find to a canonical identifier of the spec: anaphora from the
instruments named before it, numbers put session first by the source's
orientation, a report paragraph by the symbol or year that follows. It is a
pure function of a string and a small context, so it is tested on the corpus's
own sentences; ``tipkg.references.extract_references`` runs it over every
paragraph and footnote and maps the finds back to original spans.

Decisions (documented because a reader could decide otherwise):
- a name inside the Conference's own name or a protocol's supplement clause
  ("المكمل لاتفاقية ...") is part of another name, not a reference;
- an annex of resolution 55/25 cited in a footnote is the instrument it adopts
  (and the resolution itself is referred to as well: the footnote names it);
  the resolution is only where it was published and is not emitted;
- "الفقرة N من <report or resolution>" refers to that document's paragraph
  node ``<symbol> para N`` (part of the document), not to the document itself;
- "الفقرة 15 من اتفاقية ..." (a paragraph of the Convention with no article) is
  reported as unresolved rather than guessed to be article 15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from collections.abc import Iterator
from functools import lru_cache

from tipkg import identifiers as ids
from tipkg.loaders.numbering import latin_letter, roman
from tipkg.normalize import cop_session_first, ga_session_first, normalize, search_form
from tipkg.tables import load, reports_by_year

from .types import Found

_L = load("citations")["clitics"]["letters"]
_NUMBER_PAIR = re.compile(load("citations")["orientation"]["pair"])


#: rule suffix of a resolution cited as the source of an annexed instrument: a
#: reference to it, but not what a recalling clause recalls.
ANNEXED = "+annexed"


@dataclass(frozen=True)
class CitationContext:
    """What resolution needs besides the text itself."""

    document_kind: str = ""
    year: int | None = None
    reversed_numbers: bool = False
    visual: bool = False
    footnote: bool = False
    previous_resolution: str | None = None


#: a resolved reference: ``[start, end)`` in the working text given (the first step of types.Found)
Citation = Found


@dataclass(frozen=True)
class Seen:
    """A reference seen but not resolved."""

    kind: str
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    targets: tuple[str, ...]
    rule: str


# ------------------------------------------------------------------ tables

def fold(pattern: str) -> str:
    """A pattern or form in search form (so table entries keep their spelling)."""
    return search_form(pattern)


@lru_cache(maxsize=None)
def _instrument_rows() -> tuple[dict, ...]:
    return tuple(load("instruments")["instrument"])


@lru_cache(maxsize=None)
def _tables() -> dict:
    return load("citations")


def _form_regex(form: str, visual: bool) -> str:
    body = fold(form)
    if visual:
        return re.escape(body)
    clitics = _tables()["clitics"]
    front, definite = clitics["front"], clitics["definite"]
    if body.startswith(definite):
        head = rf"(?:{front}{definite}|{clitics['lam_definite']})" + re.escape(body[len(definite):])
    else:
        head = front + re.escape(body)
    return rf"(?<![{_L}]){head}(?![{_L}])"


@lru_cache(maxsize=None)
def _name_rows() -> tuple[tuple[str, str, str, bool], ...]:
    """(form, target or anaphora kind, rule, visual) for every instrument form, longest first."""
    rows = []
    for row in _instrument_rows():
        for entry in row.get("forms", []):
            rows.append((entry["form"], row["identifier"], f"instrument:{row['identifier']}", entry.get("visual", False)))
    for entry in _tables()["anaphora"]["form"]:
        rows.append((entry["form"], "@" + entry["refers"], f"anaphora:{entry['refers']}", False))
    rows.sort(key=lambda r: -len(fold(r[0])))
    return tuple(rows)


@lru_cache(maxsize=None)
def _name_patterns() -> tuple[tuple[re.Pattern, str, str], ...]:
    """(regex, target or anaphora kind, rule) for every instrument form, longest first."""
    return tuple((regex, target, rule) for regex, target, rule, _ in _name_scans())


@lru_cache(maxsize=None)
def _name_scans() -> tuple[tuple[re.Pattern, str, str, str], ...]:
    """``_name_patterns`` with each one's ``_needle``."""
    return tuple((re.compile(_form_regex(form, visual)), target, rule, _needle(form, visual))
                 for form, target, rule, visual in _name_rows())


def _needle(form: str, visual: bool) -> str:
    """Text every match of ``_form_regex(form, visual)`` contains: its body after the clitics the regex
    lets vary. A text without it is not scanned with the regex (a substring test costs a fraction of
    a scan that tries the look-behind at every position: 33 forms × every paragraph)."""
    body = fold(form)
    definite = _tables()["clitics"]["definite"]
    return body[len(definite):] if not visual and body.startswith(definite) else body


@lru_cache(maxsize=None)
def required_text(pattern: re.Pattern) -> str:
    """The longest run of literal characters that every match of ``pattern`` contains ('' if none is
    certain): a text without it cannot match, and is not scanned. A pattern that opens with a
    look-behind ("no letter before": ``(?<![…])``, as the heads, articles and request phrases do)
    gives the regex engine no first character to look for, so it tries every position of every
    paragraph; the substring test that rules most paragraphs out is far cheaper (``_needle`` does the
    same for the instruments' names). Read off the compiled pattern's parse: literals in sequence,
    through zero-width assertions and groups that must match, broken by anything optional, repeated,
    alternative or a class; none under a case-insensitive flag.

    >>> required_text(re.compile(r"(?<![ا-ي])[وبل]{0,2}(?:ال)?ماد(?:ه|تين|تان)\\s+(?P<n>\\d+)"))
    'ماد'
    """
    from re import _constants as c, _parser  # the parse the re module compiles from (CPython)

    if pattern.flags & re.IGNORECASE:
        return ""
    runs: list[str] = []

    def walk(items) -> None:
        current: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                current.append(chr(av))
                continue
            if op in (c.ASSERT, c.ASSERT_NOT, c.AT):  # zero-width: the literals around stay adjacent
                continue
            runs.append("".join(current))
            current = []
            if op is c.SUBPATTERN and not av[1] and not av[2]:  # a group with no flags of its own
                walk(av[3])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:  # matched at least once
                walk(av[2])
        runs.append("".join(current))

    walk(_parser.parse(pattern.pattern, pattern.flags & ~re.UNICODE).data)
    return max(runs, key=len, default="")


@lru_cache(maxsize=None)
def _scanner(pattern: str, folded: bool) -> tuple[re.Pattern, str]:
    """A table's pattern compiled once (in search form if ``folded``), with its ``required_text``."""
    regex = re.compile(fold(pattern) if folded else pattern)
    return regex, required_text(regex)


def _scan(pattern: str, text: str, *, folded: bool = True) -> Iterator[re.Match]:
    """``re.finditer`` of a table's pattern (``fold`` ed unless ``folded=False``) over ``text``: compiled
    once (``_scanner``; each paragraph used to fold and look it up again, several times), and no scan at
    all of a text without the literal every match holds."""
    regex, needle = _scanner(pattern, folded)
    return regex.finditer(text) if needle in text else iter(())


@lru_cache(maxsize=None)
def _protocols() -> frozenset[str]:
    """The instruments an anaphoric "the Protocol" can stand for (instruments.toml ``protocol``)."""
    return frozenset(row["identifier"] for row in _instrument_rows() if row.get("protocol"))


def _is_protocol(identifier: str) -> bool:
    return identifier in _protocols()


# ------------------------------------------------------------ instruments

def _instruments(f: str) -> list[_Mention]:
    """Names and anaphora, non-overlapping (longest first), anaphora resolved."""
    taken: list[tuple[int, int, str, str]] = []
    for regex, target, rule, needle in _name_scans():
        if needle not in f:
            continue
        for m in regex.finditer(f):
            if any(m.start() < e and s < m.end() for s, e, _, _ in taken):
                continue
            taken.append((m.start(), m.end(), target, rule))
    taken.sort()
    frames = [fold(x["before"].strip()) + " " for x in _tables()["frame"]]
    defaults = _tables()["anaphora"]
    supplement = re.compile(fold(defaults["supplement"]))
    out: list[_Mention] = []
    protocols: list[str] = []
    for start, end, target, rule in taken:
        framed = any(f[max(0, start - 25):start].endswith(fr) for fr in frames)
        if target == "@convention" and supplement.match(f[end:]):
            continue
        if target.startswith("@"):
            targets = _resolve_anaphora(target[1:], protocols, defaults)
        else:
            targets = (target,)
            if _is_protocol(target):
                protocols.append(target)
        if framed:
            continue
        out.append(_Mention(start, end, targets, rule))
    return out


def _resolve_anaphora(kind: str, protocols: list[str], defaults: dict) -> tuple[str, ...]:
    if kind == "convention":
        return (defaults["default_convention"],)
    if kind == "last-two-protocols":
        distinct = list(dict.fromkeys(reversed(protocols)))[:2]
        return tuple(reversed(distinct)) or (defaults["default_protocol"],)
    return (protocols[-1] if protocols else defaults["default_protocol"],)


# --------------------------------------------------------------- articles

@lru_cache(maxsize=None)
def _article_regex() -> re.Pattern:
    t = _tables()["article"]
    sep, of, particles = t["list_separator"], t["of"], _tables()["clitics"]["particles"]
    part = r"(?:\d+(?:\s?\([" + _L + r"]{1,2}\))*|\([" + _L + r"]{1,2}\))"
    parts = rf"{part}(?:\s*(?:{sep})\s*{part})*"
    nums = rf"\d+(?:\s*(?:{sep})\s*\d+)*"
    return re.compile(rf"(?:{fold(t['paragraph_word'])}\s+(?P<paras>{parts})\s+{of}\s+)?"
                      rf"(?<![{_L}]){particles}{fold(t['article_word'])}\s+(?P<arts>{nums})(?![\d/])")


def _sub_parts(original: str) -> tuple[str, ...]:
    """'2 (ج)' -> ('2', 'c'); '(أ)' -> ('a',) (letters taken from the unfolded text).

    A letter that is no sub-paragraph letter ends the parts: the citation goes
    to the coarser node above it rather than to an identifier the grammar refuses.
    """
    out = []
    for number, letter in re.findall(r"(\d+)|\(([" + _L + r"]{1,2})\)", original):
        part = number or latin_letter(letter)
        if part is None:
            break
        out.append(part)
    return tuple(out)


def _articles(f: str, w: str, offsets, mentions: list[_Mention]) -> list[Citation]:
    found: list[Citation] = []
    if required_text(_article_regex()) not in f:
        return found
    link = re.compile(fold(_tables()["article"]["link"]))
    for m in _article_regex().finditer(f):
        after = link.match(f, m.end())
        named = None
        if after:
            named = next((x for x in mentions if m.end() <= x.start <= after.end()), None)
        if named is None:
            named = next((x for x in mentions if m.end() <= x.start <= m.end() + 2), None)
        if named is not None:
            instruments, rule = named.targets, "article.named"
        else:
            before = [x for x in mentions if x.end <= m.start()]
            instruments = before[-1].targets[-1:] if before else (_tables()["anaphora"]["default_protocol"],)
            rule = "article.context" if before else "article.default-protocol"
        arts = re.findall(r"\d+", m.group("arts"))
        subs: list[tuple[str, ...]] = [()]
        if m.group("paras"):
            original = w[offsets[m.start("paras")]:offsets[m.end("paras")]]
            split = _tables()["article"]["parts_split"]
            subs = [_sub_parts(tok) for tok in re.split(split, original) if tok.strip()]
        for instrument in instruments:
            for art in arts:
                for sub in subs:
                    found.append(Citation("citesArticle", str(ids.Article(instrument, int(art), sub)), "article",
                                          m.start(), m.end(), rule))
    return found


def _visual_articles(f: str, mentions: list[_Mention]) -> list[Citation]:
    found = []
    for rule in _tables()["visual_article"]:
        for m in _scan(rule["pattern"], f):
            instrument = rule.get("instrument")
            if instrument is None:
                near = sorted(mentions, key=lambda x: min(abs(x.end - m.start()), abs(x.start - m.end())))
                if not near:
                    continue
                instrument = near[0].targets[-1]
            para = m.groupdict().get("para")
            target = str(ids.Article(instrument, int(m.group("art")), (para,) if para else ()))
            found.append(Citation("citesArticle", target, "article", m.start(), m.end(), rule["name"]))
    return found


# ---------------------------------------------------- resolutions, decisions

@dataclass(frozen=True)
class _Head:
    kind: str
    start: int
    end: int


@lru_cache(maxsize=None)
def _heads() -> tuple[tuple[re.Pattern, dict], ...]:
    out = []
    for row in _tables()["resolution_head"]:
        particles = _tables()["clitics"]["particles"]
        regex = re.compile(rf"(?<![{_L}]){particles}(?:{fold(row['pattern'])})(?![{_L}])")
        if (regex.pattern, row["kind"]) not in {(r.pattern, k["kind"]) for r, k in out}:
            out.append((regex, row))
    return tuple(out)


@lru_cache(maxsize=None)
def _head_needles() -> tuple[str, ...]:
    """``required_text`` of each of ``_heads``' regexes."""
    return tuple(required_text(regex) for regex, _ in _heads())


def _find_heads(f: str, ctx: CitationContext) -> list[_Head]:
    heads: list[_Head] = []
    for (regex, row), needle in zip(_heads(), _head_needles()):
        if (row.get("only_in") and row["only_in"] != ctx.document_kind) or needle not in f:
            continue
        for m in regex.finditer(f):
            if row.get("after") and fold(row["after"]) not in f[max(0, m.start() - 60):m.start()]:
                continue
            if any(h.start <= m.start() < h.end or m.start() <= h.start < m.end() for h in heads):
                continue
            heads.append(_Head(row["kind"], m.start(), m.end()))
    return sorted(heads, key=lambda h: h.start)


def cop_max_session(year: int | None) -> int | None:
    """The last COP session held by ``year`` (tables: sessions.toml [cop.held])."""
    if year is None:
        return None
    held = [int(s) for s, y in load("sessions")["cop"]["held"].items() if y <= year]
    return max(held) if held else None


def session_first(kind: str, a: int, b: int, ctx: CitationContext) -> tuple[int, int] | None:
    """The number ``a/b`` of a body's resolution, session (or year) first; None if impossible."""
    t = load("sessions")
    if kind == "ecosoc":
        if is_year(a):
            return a, b
        if is_year(b):
            return b, a
        return None
    if kind == "ga":
        last = (ctx.year - t["ga"]["first_session_year"] + 1) if ctx.year else t["ga"]["last_session_when_undated"]
        s, n = ga_session_first(a, b, year=ctx.year, reversed_source=ctx.reversed_numbers)
        return (s, n) if t["ga"]["first_numbered_session"] <= s <= last else None
    if kind.startswith("cop"):
        limit = cop_max_session(ctx.year)
        s, n = cop_session_first(a, b, max_session=limit, reversed_source=ctx.reversed_numbers)
        return (s, n) if (limit is None or s <= limit) and s <= t["cop"]["last_session"] else None
    if kind == "ccpcj":
        s, n = (b, a) if ctx.reversed_numbers else (a, b)
        return (s, n) if t["ccpcj"]["first_session"] <= s <= t["ccpcj"]["last_session"] else None
    return None


def _paragraph_of(symbol: str, number: str) -> str:
    """``<symbol> para <n>``: an operative paragraph of a document the text names."""
    return str(ids.Paragraph(ids.Document(symbol), int(number)))


def is_year(n: int) -> bool:
    """Whether a number of an "a/b" pair is a year (sessions.toml [years])."""
    years = load("sessions")["years"]
    return years["first"] <= n <= years["last"]


def resolution_identifier(kind: str, session: int, number: int) -> tuple[str, str]:
    """(identifier, target kind) per the spec's table."""
    if kind == "ga":
        return f"A/RES/{session}/{number}", "ga-resolution"
    if kind == "ecosoc":
        if number >= _tables()["ecosoc"]["first_decision_number"]:
            return f"E/DEC/{session}/{number}", "ecosoc-decision"
        return f"E/RES/{session}/{number}", "ecosoc-resolution"
    if kind == "ccpcj":
        return f"E/CN.15/RES/{session}/{number}", "ccpcj-resolution"
    if kind == "cop-resolution":
        return f"CTOC/COP/RES/{session}/{number}", "cop-resolution"
    return f"CTOC/COP/DEC/{session}/{number}", "cop-decision"


def _resolutions(f: str, ctx: CitationContext, consumed: list[tuple[int, int]]) -> list[Citation]:
    heads = _find_heads(f, ctx)
    stop = re.compile(fold(_tables()["resolution_list"]["stop"]))
    gap_max, first_gap = _tables()["resolution_list"]["max_gap"], _tables()["resolution_list"]["first_gap"]
    pairs = [m for m in _scan(_NUMBER_PAIR.pattern, f, folded=False) if not _inside(m.start(), consumed)]
    claimed: dict[int, _Head] = {}
    if ctx.visual:
        for head in heads:
            for m in pairs:
                if m.start() not in claimed and 0 <= head.start - m.end() <= 4:
                    claimed[m.start()] = head
    for head in heads:
        cursor, first = head.end, True
        for m in pairs:
            if m.start() < head.end or m.start() in claimed:
                continue
            gap = f[cursor:m.start()]
            if (first and len(gap.strip(first_gap)) > 3) or len(gap) > gap_max or (not first and stop.search(gap)):
                break
            claimed[m.start()] = head
            cursor, first = m.end(), False
    found = []
    for m in pairs:
        a, b = int(m.group(1)), int(m.group(2))
        head = claimed.get(m.start())
        nearest = sorted(heads, key=lambda h: abs(h.start - m.start()))
        candidates = [head] + [h for h in nearest if h is not head] if head else nearest
        if not head and not heads:
            candidates = [_Head("ecosoc", m.start(), m.start())]
        for h in candidates:
            number = session_first(h.kind, a, b, ctx)
            if number is None:
                continue
            target, kind = resolution_identifier(h.kind, *number)
            rule = f"resolution.{h.kind}" + ("" if h is head else ".nearest-head")
            para = re.search(fold(_tables()["report_paragraph"]["resolution_paragraph"]), f[max(0, h.start - 30):h.start])
            if para and m.start() == min((p.start() for p in pairs if claimed.get(p.start()) == h), default=-1):
                target, kind, rule = _paragraph_of(target, para.group("n")), "paragraph", rule + ".paragraph"
            found.append(Citation("refersTo", target, kind, min(h.start, m.start()), max(h.end, m.end()), rule))
            break
    found += _ecosoc_sessions(f)
    return found


def _ecosoc_sessions(f: str) -> list[Citation]:
    t = _tables()["ecosoc"]
    found = []
    for key in ("session_decision", "session_decision_visual"):
        for m in _scan(t[key], f):
            target = f"E/DEC/{int(m.group('n'))}({roman(int(m.group('s'))).upper()})"
            found.append(Citation("refersTo", target, "ecosoc-decision", m.start(), m.end(), f"resolution.ecosoc.{key}"))
    return found


def _inside(at: int, ranges: list[tuple[int, int]]) -> bool:
    return any(s <= at < e for s, e in ranges)


# ------------------------------------------------------------ UN documents

def symbol_kind(symbol: str) -> str:
    for row in _tables()["symbol_kind"]:
        if symbol.startswith(row["prefix"]):
            return row["kind"]
    return "document"


def _symbols(f: str) -> list[Citation]:
    t = _tables()["symbol"]
    found = []
    matches = [(m.start(), m.end(), m.group(0).rstrip(".,")) for m in _scan(t["pattern"], f, folded=False)]
    for start, end, symbol in matches:
        found.append(Citation("refersTo", symbol, symbol_kind(symbol), start, end, "symbol"))
    for m in _scan(rf"(?<!/){t['addenda']}", f, folded=False):
        if not matches:
            break
        start, end, symbol = min(matches, key=lambda x: min(abs(x[0] - m.end()), abs(m.start() - x[1])))
        last = int(m.group("last") or m.group("first"))
        for k in range(int(m.group("first")), last + 1):
            found.append(Citation("refersTo", f"{symbol}/Add.{k}", "document", m.start(), m.end(), "symbol.addenda"))
    return found


def _report_paragraphs(f: str) -> tuple[list[Citation], list[Seen], list[tuple[int, int]]]:
    t = _tables()["report_paragraph"]
    found, seen, consumed = [], [], []
    symbol_re = re.compile(_tables()["symbol"]["pattern"])
    for m in _scan(t["pattern"], f):
        window = f[m.end():m.end() + t["symbol_within"]].split(_tables()["clitics"]["semicolon"])[0]
        sym = symbol_re.search(window)
        year = re.search(fold(t["year"]), window[:80])
        if sym:
            symbol = sym.group(0).rstrip(".,")
            consumed.append((m.end() + sym.start(), m.end() + sym.end()))
            found.append(Citation("refersTo", _paragraph_of(symbol, m.group("n")), "paragraph", m.start(),
                                  m.end() + sym.end(), "report-paragraph.symbol"))
        elif year and year.group("year") in reports_by_year():
            symbol = reports_by_year()[year.group("year")]
            found.append(Citation("refersTo", _paragraph_of(symbol, m.group("n")), "paragraph", m.start(),
                                  m.end() + year.end(), "report-paragraph.year"))
        else:
            seen.append(Seen("report-paragraph", m.start(), m.end(), "the report is named neither by symbol nor by a year with one meeting"))
    for m in _scan(t["symbol_then_paragraph"], f):
        consumed.append((m.start(), m.start() + len(m.group("symbol"))))
        found.append(Citation("refersTo", _paragraph_of(m.group("symbol"), m.group("n")), "paragraph", m.start(), m.end(),
                              "report-paragraph.symbol-first"))
    return found, seen, consumed


# ----------------------------------------------------------- footnote items

def _treaty_series(f: str) -> list[Citation]:
    t = _tables()["treaty_series"]
    if not re.search(fold(t["cue"]), f):
        return []
    volumes = {}
    for row in _instrument_rows():
        if "treaty_series" in row:
            volumes.setdefault(row["treaty_series"][0], row["identifier"])
    found = []
    stated = [(m.start(), m.end(), int(m.group("v") or m.group("w"))) for m in re.finditer(fold(t["volume"]), f)]
    stated = stated or [(m.start(), m.end(), int(m.group(0))) for m in re.finditer(r"\d+", f)]
    for start, end, volume in stated:
        if volume in volumes:
            found.append(Citation("refersTo", volumes[volume], "instrument", start, end, "treaty-series"))
    return found


def _annexes(f: str, resolutions: list[Citation], ctx: CitationContext) -> tuple[list[Citation], str | None]:
    t = _tables()["annex"]
    found, used = [], None
    for m in re.finditer(fold(t["pattern"]), f):
        res = resolutions[0].target if resolutions else None
        if res is None and re.search(fold(_tables()["treaty_series"]["ibid"]), f):
            res = ctx.previous_resolution
        annex = t["ordinals"][m.group("ordinal")]
        for row in _instrument_rows():
            if res and row.get("adopted_by") == res and row.get("annex") == annex:
                found.append(Citation("refersTo", row["identifier"], "instrument", m.start(), m.end(), "annex"))
                used = res
    return found, used


# --------------------------------------------------------------- the entry

def find_citations(text: str, ctx: CitationContext = CitationContext()) -> tuple[list[Citation], list[Seen]]:
    """Every citation of one working text; spans index ``text``."""
    folded = normalize(text, fold=True)
    f, offsets = folded.text, folded.offsets
    mentions = _instruments(f)
    found: list[Citation] = []
    for x in mentions:
        for target in x.targets:
            found.append(Citation("refersTo", target, "instrument", x.start, x.end, x.rule))
    found += _articles(f, text, offsets, mentions)
    if ctx.visual:
        visual = _visual_articles(f, mentions)
        found = [c for c in found if c.relation != "citesArticle"
                 or not any(v.start < c.end and c.start < v.end for v in visual)] + visual
    seen = [Seen("article", m.start(), m.end(), "a paragraph of an instrument is cited with no article")
            for m in _scan(_tables()["article_without_article"]["pattern"], f)]
    reports, unseen, consumed = _report_paragraphs(f)
    found += reports
    seen += unseen
    resolutions = _resolutions(f, ctx, consumed)
    if ctx.footnote:
        annexed, used = _annexes(f, resolutions, ctx)
        found += annexed + _treaty_series(f)
        resolutions = [replace(r, rule=r.rule + ANNEXED) if r.target == used else r for r in resolutions]
    found += resolutions
    found += [c for c in _symbols(f) if not _inside(c.start, consumed)]
    return _to_working(found, offsets), [Seen(s.kind, offsets[s.start], offsets[s.end], s.reason) for s in seen]


def _to_working(found: list[Citation], offsets) -> list[Citation]:
    return [Citation(c.relation, c.target, c.target_kind, offsets[c.start], offsets[max(c.start, c.end - 1)] + 1, c.rule)
            for c in found]


def footnote_resolution(text: str, ctx: CitationContext) -> str | None:
    """The resolution a footnote cites (even when it stands for an annex), for the next "ibid."."""
    folded = normalize(text, fold=True).text
    return next((c.target for c in _resolutions(folded, ctx, []) if c.target_kind == "ga-resolution"), None)
