"""The answers of the whole-graph catalog queries, computed when the store is built.

A catalog query that names no node — counts per topic and year, topics filed
together, the documents overview, verbs per document … — reads every
paragraph of the graph whatever page is asked: its first page costs the whole
aggregate (0.3–2.4 s on the corpus ×100), and no rewriting of the SPARQL can
avoid that. So the build runs each such query (its parameters at their
defaults) on the store it has just loaded and writes the answer beside it,
``OUT/precomputed/<sha256 of the query text>.jsonl`` (SPARQL JSON bindings).
``tipkg query NAME`` on that store pages the file when the text it would send
is exactly the one answered (same query, same parameter values); any other
text — another ``--param minimum``, an edited query, a remote endpoint — runs
live. The files sit in the same staged folder as the store, so they are
replaced with it or not at all, and they are exact: the same query on the same
store (or, for a small graph, on graph.nt loaded into memory beside the store's
load: the same triples). graph.nt does not change.

A query asked of one actor or one topic (requests to an actor, paragraphs
filed under a topic) grows with the corpus in the same way: at ×100 an actor
is asked thousands of times and a topic files tens of thousands of
paragraphs, and the first page of an answer sorted by year or identifier
needs every row. Actors and topics are few (16 and 82), so these are
answered for every one of them too — in one run of the query with the
parameter given every value of its kind (every node typed an actor or a
topic: a value of another node is never asked, a parameter is resolved to a
node of its kind first), its value put first in the projection and the order,
the rows then split by value (the same rows, in the same order, as the query
bound to each value: the parameter is joined at the top of the WHERE clause;
the build checks it on the default value, and a query whose split differs
from its live answer stays live).

The one free-text query (search-arabic: paragraphs whose folded text contains
the folded phrase, by document and paragraph) scans every paragraph's text
whatever the phrase: ~57,000 texts at ×100, seconds before the first row.
Its rows for the empty phrase — every paragraph, in the answer's order — are
kept with the folded text each is searched in (``TEXT_SEARCH``); a page is
the first rows, in that order, whose text contains the phrase folded by the
query's own BINDs (run on the store, so the folding is SPARQL's). Reading
stops at the end of the page.

This module is the files' format and how a page is read from them; how the
build makes them cheaply, and copies them from the previous build when a
delta of the graph cannot change them, is ``precompute.py``.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import mmap
import os
import re
from array import array
from pathlib import Path
from typing import BinaryIO

from tipkg.errors import TipkgError
from tipkg.ontology.namespace import PREFIXES

from .catalog import Query, bind, catalog, rdf_term, values_blocks
from .params import KINDS
from .sparql import XSD_STRING, Results, results_from_json, with_prefixes

#: the folder inside OUT
FOLDER = "precomputed"


#: kinds of parameter whose every value is answered at build time: small, closed sets of nodes
EVERY_VALUE = ("actor", "topic")


#: the free-text query -> (its parameter, the variable of the text searched, the variable of the
#: folded parameter): its rows for every text are kept, and filtered when a page is read
TEXT_SEARCH = {"search-arabic": ("phrase", "folded", "needle")}


def whole_graph(query: Query) -> bool:
    """A query none of whose parameters names a node: its answer is an aggregate of the graph."""
    return all(KINDS.get(name) == "integer" for name in query.parameters)


def every_value(query: Query) -> str | None:
    """The parameter of ``query`` answered for every value: its one parameter, of an EVERY_VALUE kind."""
    names = list(query.parameters)
    return names[0] if len(names) == 1 and KINDS.get(names[0]) in EVERY_VALUE else None


def _first_projected(text: str, variable: str) -> str:
    select = re.search(r"(?im)^\s*SELECT\s+(DISTINCT\s+)?", text)
    if select is None:
        raise TipkgError("precomputed", f"no SELECT to put ?{variable} in")
    return text[:select.end()] + f"?{variable} " + text[select.end():]


def text_view(query: Query) -> str:
    """The free-text query for the empty phrase (every text contains it) with the searched
    text first in its projection: the rows a page of any phrase is filtered from."""
    parameter, searched, _ = TEXT_SEARCH[query.name]
    return with_prefixes(_first_projected(bind(query.text, {parameter: ""}, path=query.path), searched),
                         PREFIXES)[0]


def text_view_restricted(query: Query, variables: list[str], rows: list[tuple]) -> str | None:
    """``text_view(query)`` with only the rows whose ``variables`` take one of ``rows`` (tuples of
    pyoxigraph terms): a VALUES table after the parameter's, at the top of the WHERE group, where a join
    with it keeps exactly those rows of the whole (variables bound by its required patterns:
    probe.Shape); None when the parameter's block is not there."""
    parameter, searched, _ = TEXT_SEARCH[query.name]
    text = bind(query.text, {parameter: ""}, path=query.path)
    blocks = [m for m in values_blocks(text) if m["name"] == parameter]
    if len(blocks) != 1 or _depth(text, blocks[0].span("default")[0]) != 2 or not rows:
        return None
    end = blocks[0].match.end() + blocks[0].offset
    table = " ".join("(" + " ".join(str(term) for term in row) + ")" for row in rows)
    text = text[:end] + f"\n  VALUES ({' '.join('?' + v for v in variables)}) {{ {table} }}" + text[end:]
    return with_prefixes(_first_projected(text, searched), PREFIXES)[0]


def folded(run, query: Query, value: str | None) -> str | None:
    """``value`` (None: the query's default) folded as the free-text query folds its parameter:
    the VALUES line and the BIND lines of the query, run on the store (no data read)."""
    parameter, _, needle = TEXT_SEARCH[query.name]
    given = {} if value is None else {parameter: value}
    lines = [line for line in bind(query.text, given, path=query.path).splitlines()
             if re.match(rf"\s*(VALUES\s+\?{parameter}\b|BIND\s*\()", line)]
    rows = run(with_prefixes(f"SELECT ?{needle} WHERE {{\n" + "\n".join(lines) + "\n}", PREFIXES)[0]).rows
    return rows[0][0].value if rows and rows[0][0] is not None else None


def free_text(query: Query, name: str) -> str:
    """``query`` with parameter ``name`` free: its VALUES block removed, ``?name`` first in the
    (outer) projection and order, so the rows of every value come out grouped by it."""
    text = query.text
    for m in sorted(values_blocks(text), key=lambda b: b.span("default")[0], reverse=True):
        if m["name"] == name:
            a, b = m.match.span()
            text = text[:a + m.offset] + text[b + m.offset:]
    text = _first_projected(text, name)
    orders = list(re.finditer(r"(?i)\bORDER\s+BY\s+", text))
    if orders:  # (without an order the rows are split all the same; the check below decides)
        text = text[:orders[-1].end()] + f"?{name} " + text[orders[-1].end():]
    return with_prefixes(text, PREFIXES)[0]


def restricted_text(query: Query, name: str, values: list[str]) -> str | None:
    """``free_text(query, name)`` restricted to ``values`` of parameter ``name`` (plain strings): its
    VALUES block kept, with those values, where the query file puts it — at the top of the WHERE
    group, where a join with it keeps exactly the free rows of those values; None when the block is
    not there (inside a nested group its join would mean something else)."""
    text = query.text
    blocks = [m for m in values_blocks(text) if m["name"] == name]
    if len(blocks) != 1 or _depth(text, blocks[0].span("default")[0]) != 2 or not values:
        return None
    a, b = blocks[0].span("default")
    text = text[:a] + " ".join(rdf_term(value, blocks[0]["default"]) for value in values) + text[b:]
    text = _first_projected(text, name)
    orders = list(re.finditer(r"(?i)\bORDER\s+BY\s+", text))
    if orders:
        text = text[:orders[-1].end()] + f"?{name} " + text[orders[-1].end():]
    return with_prefixes(text, PREFIXES)[0]


def _depth(text: str, at: int) -> int:
    """How many braces are open at ``text[at]`` (outside strings, IRIs and comments): 2 inside the
    VALUES block of the WHERE group's top level, more in a nested group."""
    depth, i = 0, 0
    while i < at:
        ch = text[i]
        if ch == "#":
            i = text.find("\n", i)
            if i < 0:
                break
        elif ch in "\"'":
            m = re.compile(ch + r"(?:[^" + ch + r"\\\n]|\\.)*" + ch).match(text, i)
            i = m.end() - 1 if m else i
        elif ch == "<":
            m = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>").match(text, i)
            i = m.end() - 1 if m else i
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    return depth


def answer_file(text: str) -> str:
    """The name of the file holding the answer of exactly ``text``."""
    return f"{_key(text)}.jsonl"


def text_of(query: Query, given: dict[str, str] | None = None) -> str:
    """The text `tipkg query` sends for ``query`` with ``given`` parameters (before paging)."""
    return with_prefixes(bind(query.text, given or {}, path=query.path), PREFIXES)[0]


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_precomputed(triples, path: Path, settings=None) -> dict:
    """The writers' table entry: answer every whole-graph catalog query, the free-text query's
    searched rows, and each query of one actor or topic for all of them, on the store just loaded
    beside ``path``, into ``path`` (precompute.py: how, and what a ``settings.delta`` lets it copy
    from the previous build instead); what it did, by query. With ``settings.memory`` (a small whole
    graph: ``outputs.in_memory_queries``), on the graph.nt beside ``path`` loaded into memory instead (the
    store the validating child loaded and kept, in whose child this runs: ``store.memory_store``), the same
    triples: the answers need not wait for the store's load, and are made in about half the CPU."""
    from functools import partial

    from tipkg.graph.store import memory_store, open_store

    from .precompute import write

    path = Path(path)
    if getattr(settings, "memory", False):  # loaded once, here: the process answering beside this one inherits it
        loaded = memory_store(path.parent / "graph.nt")
        return write(None, path, catalog(), None, reopen=lambda: loaded, jobs=getattr(settings, "jobs", None))
    # opened by each process of the writer, and again when the queries' memory piles up (precompute.py)
    return write(None, path, catalog(), getattr(settings, "delta", None), reopen=partial(open_store, path.parent),
                 jobs=getattr(settings, "jobs", None))


def write_answer(path: Path, name: str, text: str, results: Results, terms: dict | None = None) -> str:
    """``results``, the answer of ``text``, to ``path/<key>.jsonl``: a first line naming the query,
    its key and variables, then one SPARQL JSON binding per row, in order — a page is read from
    the first lines without parsing the rest. The file's name. ``terms``: each term's JSON, kept
    from one answer to the next (a paragraph's gist recurs under each of its topics)."""
    lines = [answer_head(name, text, results.variables, len(results.rows)), *row_lines(results, terms)]
    (path / f"{_key(text)}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{_key(text)}.jsonl"


def answer_head(name: str, text: str, variables, rows: int) -> str:
    """The first line of an answer's file."""
    return json.dumps({"query": name, "sha256": _key(text), "vars": list(variables), "rows": rows},
                      ensure_ascii=False)


def row_lines(results: Results, terms: dict | None = None) -> list[str]:
    """Each row of ``results`` as its line in an answer's file (``terms``: each term's JSON, kept)."""
    # each row is json.dumps({var: binding}, sort_keys=True) — written from each variable's and each
    # term's JSON, made once (the same topics, documents and gists recur on thousands of rows). The
    # terms are looked up by identity, not by value: a Term's dataclass hash (a Python call building
    # a tuple) cost more than the rest of the line; run_local gives equal terms of one answer one
    # object, and each entry keeps its term alive, so an identity is never reused while it is kept.
    variables = results.variables
    order = sorted(range(len(variables)), key=variables.__getitem__)
    names = [(i, _encode(variables[i]) + ": ") for i in order]
    terms = {} if terms is None else terms
    get = terms.get
    lines = []
    for row in results.rows:
        parts = []
        for i, name in names:
            t = row[i]
            if t is not None:
                known = get(id(t))
                if known is None or known[0] is not t:
                    known = terms[id(t)] = (t, term_json(t))
                parts.append(name + known[1])
        lines.append("{" + ", ".join(parts) + "}")
    return lines


_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]  # json.dumps(s, ensure_ascii=False) of a str


def term_json(t) -> str:
    """``json.dumps(t.sparql_json(), ensure_ascii=False, sort_keys=True)`` of a ``Term``, written directly
    (the keys in sorted order: datatype, type, value, xml:lang); tests/test_precompute.py checks the two agree."""
    if t.kind == "iri":
        return '{"type": "uri", "value": ' + _encode(t.value) + "}"
    if t.kind == "bnode":
        return '{"type": "bnode", "value": ' + _encode(t.value) + "}"
    if t.kind != "literal":
        return json.dumps(t.sparql_json(), ensure_ascii=False, sort_keys=True)
    if t.lang:
        return '{"type": "literal", "value": ' + _encode(t.value) + ', "xml:lang": ' + _encode(t.lang) + "}"
    if t.datatype and t.datatype != XSD_STRING:
        return '{"datatype": ' + _encode(t.datatype) + ', "type": "literal", "value": ' + _encode(t.value) + "}"
    return '{"type": "literal", "value": ' + _encode(t.value) + "}"


def text_line(term) -> str:
    """A searched text's line in ``<key>.text``."""
    return json.dumps(term.value if term is not None else "", ensure_ascii=False)


def write_offsets(path: Path, key: str) -> str:
    """``<key>.offsets``: where each row's line of ``<key>.jsonl`` starts (8-byte integers)."""
    with open(path / f"{key}.jsonl", "rb") as file:
        starts = line_starts(file)
    (path / f"{key}.offsets").write_bytes(starts[1:-1].tobytes())
    return f"{key}.offsets"


#: bytes read at a time where an answer's file is scanned or copied (``line_starts``, ``Lines``)
BLOCK = 1 << 23


def line_starts(file: BinaryIO) -> array:
    """Where each line of the binary ``file`` starts, from its first (0) to its end (its size), read a
    block at a time: a free-text answer at ×1000 is 360 MB of rows and 210 MB of texts, never held whole.
    Line ``i`` is ``starts[i]:starts[i + 1]``, its newline included."""
    starts, at = array("Q", [0]), 0
    file.seek(0)
    while block := file.read(BLOCK):
        found = block.find(b"\n")
        while found >= 0:
            starts.append(at + found + 1)
            found = block.find(b"\n", found + 1)
        at += len(block)
    if starts[-1] != at:  # a last line without its newline
        starts.append(at)
    return starts


class Lines:
    """An answer's file as lines read where asked (``os.pread``) and copied a block at a time: a rebuild
    after one changed source patches the free-text answer's rows in place of the previous ones
    (``precompute._patched_search``) without holding the previous files, whose size grows with the corpus
    (×1000: 1.4 GB for the writer's child when they were read whole)."""

    def __init__(self, file: BinaryIO):
        self.fd = file.fileno()
        self.starts = line_starts(file)
        size = self.starts[-1]
        #: every line ends with its newline (a file cut short does not)
        self.whole = size == 0 or os.pread(self.fd, 1, size - 1) == b"\n"

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> bytes:
        """Line ``i`` without its newline."""
        start, end = self.starts[i], self.starts[i + 1]
        return os.pread(self.fd, end - start, start).rstrip(b"\n")

    def copy(self, lo: int, hi: int, out: BinaryIO) -> None:
        """Lines ``lo`` … ``hi - 1``, their newlines included, written to ``out``."""
        at, end = self.starts[lo], self.starts[hi]
        while at < end:
            block = os.pread(self.fd, min(BLOCK, end - at), at)
            if not block:
                raise OSError(f"{self.fd}: shorter than its lines")
            out.write(block)
            at += len(block)


def lookup(out_dir: str | Path, text: str, limit: int | None = None, offset: int = 0) -> Results | None:
    """Rows ``offset`` … ``offset + limit`` (one more than the page, to tell whether more
    follow; all when ``limit`` is None) of the answer the build wrote for exactly ``text``
    into ``out_dir``; None when it wrote none (run the query live)."""
    key = _key(text)
    try:
        with open(Path(out_dir) / FOLDER / f"{key}.jsonl", encoding="utf-8") as lines:
            head = json.loads(next(lines))
            if head.get("sha256") != key:
                return None
            rows = []
            for number, line in enumerate(lines):
                if limit is not None and number >= offset + limit + 1:
                    break
                if number >= offset:
                    rows.append(json.loads(line))
    except (OSError, ValueError, StopIteration):
        return None
    return results_from_json({"head": {"vars": head["vars"]}, "results": {"bindings": rows}})


def write_text_view(path: Path, name: str, text: str, results: Results) -> list[str]:
    """The rows without the searched text (``<key>.jsonl``), the searched texts alone, one JSON
    string a line in the same order (``<key>.text``: a third of the bytes, what a search reads),
    and where each row's line starts (``<key>.offsets``, 8-byte integers) to read a page's rows."""
    key = _key(text)
    write_answer(path, name, text, Results(results.variables[1:], tuple(row[1:] for row in results.rows)))
    texts = [text_line(row[0]) for row in results.rows]
    (path / f"{key}.text").write_text("\n".join([json.dumps(key), *texts]) + "\n", encoding="utf-8")
    return [f"{key}.jsonl", f"{key}.text", write_offsets(path, key)]


def search(out_dir: str | Path, run, query: Query, given: dict[str, str], limit: int | None = None,
           offset: int = 0) -> Results | None:
    """A page of the free-text ``query`` for ``given`` read from its kept rows: rows ``offset`` …
    ``offset + limit`` of those whose searched text contains the folded phrase (None when the
    build kept none for this query text: run it live). The texts are searched for the phrase's
    bytes as they stand in a JSON string (memory-mapped, found at memchr speed: a phrase found
    nowhere reads the 21 MB of texts of ×100 in tens of milliseconds); only the lines holding
    them are parsed and checked, and only the page's rows are read."""
    if query.name not in TEXT_SEARCH or out_dir is None:
        return None
    parameter, _, _ = TEXT_SEARCH[query.name]
    key = _key(text_view(query))
    folder = Path(out_dir) / FOLDER
    try:
        with open(folder / f"{key}.text", "rb") as file:
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        starts = array("Q")
        starts.frombytes((folder / f"{key}.offsets").read_bytes())
        rows_file = open(folder / f"{key}.jsonl", "rb")
    except (OSError, ValueError):
        return None
    with data, rows_file:
        first = data.find(b"\n")
        head = json.loads(rows_file.readline())
        if data[:first] != json.dumps(key).encode() or head.get("sha256") != key:
            return None
        needle = folded(run, query, given.get(parameter))
        if needle is None:
            return None
        raw = json.dumps(needle, ensure_ascii=False)[1:-1].encode("utf-8")  # as it stands in a JSON string
        wanted, found, at, line, counted = [], 0, first + 1, 0, first + 1
        while limit is None or found < offset + limit + 1:
            hit = data.find(raw, at)
            if hit < 0:
                break
            start = data.rfind(b"\n", 0, hit) + 1
            end = data.find(b"\n", hit)
            line += data[counted:start].count(b"\n")  # the row number of this text
            counted, at = start, end + 1
            if needle in json.loads(data[start:end]):
                if found >= offset:
                    wanted.append(line)
                found += 1
        rows = []
        for number in wanted:
            rows_file.seek(starts[number])
            rows.append(json.loads(rows_file.readline()))
    return results_from_json({"head": {"vars": head["vars"]}, "results": {"bindings": rows}})
