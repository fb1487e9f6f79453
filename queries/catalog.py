"""The query catalog (``queries/*.rq``) and safe parameter binding.

A catalog query is a plain SPARQL file that runs as it is: each parameter is a
one-variable ``VALUES ?name { default }`` block, so any SPARQL client can run
the file unchanged. Its opening comment block states the question, the
parameters and an example answer from the bundled corpus.

Binding a parameter never pastes the user's text into the query: the value
becomes one RDF term, written with the SPARQL escapes, and replaces the
default inside that variable's ``VALUES`` block only — an IRI if it looks like
one (``<…>`` or ``scheme://…``), otherwise a literal of the default's kind
(plain, language-tagged, typed or integer). A ``VALUES ?x { UNDEF }`` block is
a required parameter.

>>> q = 'SELECT ?p WHERE {\\n  VALUES ?doc { "A/RES/61/180" }\\n  ?p ?x ?doc }'
>>> print(bind(q, {"doc": 'x" } ?s ?p ?o { "'}).splitlines()[1])
  VALUES ?doc { "x\\" } ?s ?p ?o { \\"" }
>>> rdf_term("http://example.org/a b", '"x"')
Traceback (most recent call last):
...
ValueError: not a valid IRI: 'http://example.org/a b'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tipkg.errors import TipkgError

#: ``VALUES ?name { term }`` on one line: the parameter ``name`` and its default
_VALUES = re.compile(r"VALUES\s+\?(?P<name>\w+)\s*\{\s*(?P<default>(?:\"(?:[^\"\\]|\\.)*\"\S*|<[^>]*>|\S+))\s*\}",
                     re.IGNORECASE)
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>|([a-zA-Z][a-zA-Z0-9+.-]*://[^<>\"{}|^`\\\x00-\x20]+)")


@dataclass(frozen=True)
class Query:
    """A SPARQL query file: its name, text and the documentation in its header."""

    name: str
    path: str
    text: str

    @property
    def header(self) -> list[str]:
        """The opening comment block, without the ``#``."""
        lines = []
        for line in self.text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line[1:].removeprefix(" "))
        return lines

    @property
    def question(self) -> str:
        words, inside = [], False
        for line in self.header:
            if line.lower().startswith("question:"):
                inside, line = True, line.split(":", 1)[1]
            elif inside and not line.strip():
                break
            if inside:
                words.append(line.strip())
        return " ".join(words)

    @property
    def parameters(self) -> dict[str, str]:
        """Parameter name -> its default term as written in the query."""
        return {m["name"]: m["default"] for m in values_blocks(self.text)}


def values_blocks(text: str):
    """The one-value ``VALUES ?name { default }`` blocks of a query outside comment lines, each with
    its ``name`` and ``default`` and their spans in ``text``: how a catalog query declares its
    parameters. ``Query.parameters`` and ``bind`` read them here, and the precomputed answers
    (``queries.precomputed``) free or restrict a parameter by editing its block."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            for m in _VALUES.finditer(line):
                yield _Match(m, offset)
        offset += len(line)


@dataclass(frozen=True)
class _Match:
    match: re.Match
    offset: int

    def __getitem__(self, group: str) -> str:
        return self.match[group]

    def span(self, group: str) -> tuple[int, int]:
        a, b = self.match.span(group)
        return a + self.offset, b + self.offset


def catalog_folder():
    return resources.files("tipkg.queries")


def catalog() -> dict[str, Query]:
    """Every query of the catalog by name (file name without ``.rq``)."""
    out = {}
    for entry in sorted(catalog_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[:-3]
            out[name] = Query(name, f"queries/{entry.name}", entry.read_text(encoding="utf-8"))
    return out


def load_query(name_or_file: str) -> Query:
    """A catalog query by name, or any ``.rq`` file by path."""
    path = Path(name_or_file)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise TipkgError(path, "no such query file")
        try:
            return Query(path.stem, str(path), path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise TipkgError(path, f"query file is not UTF-8 ({exc.reason})") from None
    known = catalog()
    if name_or_file in known:
        return known[name_or_file]
    near = [n for n in known if name_or_file.lower() in n or n in name_or_file.lower()]
    near += [n for n in difflib.get_close_matches(name_or_file.lower(), list(known), n=3, cutoff=0.6) if n not in near]
    hint = f"; did you mean {', '.join(near[:3])}?" if near else "; `tipkg query --list` shows the catalog"
    raise TipkgError(name_or_file, f"unknown query name{hint}")


def escape_literal(value: str) -> str:
    """``value`` as a SPARQL double-quoted string (every special character escaped)."""
    table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    return '"' + "".join(table.get(ch, ch) for ch in value) + '"'


def rdf_term(value: str, default: str) -> str:
    """The RDF term a parameter value stands for, shaped like the query's default term."""
    if value.startswith("<") or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        m = _IRI.fullmatch(value)
        if not m:
            raise ValueError(f"not a valid IRI: {value!r}")
        return f"<{m[1] if m[1] is not None else m[2]}>"
    if re.fullmatch(r"[+-]?\d+", default) and re.fullmatch(r"[+-]?\d+", value):
        return str(int(value))
    m = re.fullmatch(r"\"(?:[^\"\\]|\\.)*\"(?P<suffix>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*|\^\^\S+)?", default)
    suffix = m["suffix"] if m and m["suffix"] else ""
    return escape_literal(value) + suffix


def bind(text: str, params: dict[str, str], *, path: str = "query") -> str:
    """``text`` with each parameter's VALUES default replaced by the given value."""
    blocks = list(values_blocks(text))
    declared = {m["name"] for m in blocks}
    unknown = sorted(set(params) - declared)
    if unknown:
        have = ", ".join(sorted(declared)) or "none"
        raise TipkgError(path, f"unknown parameter {unknown[0]!r} (this query's parameters: {have})")
    missing = sorted(m["name"] for m in blocks if m["default"].upper() == "UNDEF" and m["name"] not in params)
    if missing:
        raise TipkgError(path, f"missing parameter {missing[0]!r}: give it with --param {missing[0]}=VALUE")
    out = text
    for m in sorted(blocks, key=lambda b: b.span("default")[0], reverse=True):
        if m["name"] in params:
            try:
                term = rdf_term(params[m["name"]], m["default"])
            except ValueError as exc:
                raise TipkgError(path, f"parameter {m['name']!r}: {exc}") from None
            a, b = m.span("default")
            out = out[:a] + term + out[b:]
    return out


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """``["k=v", …]`` from the command line -> a dict (the value may contain ``=``)."""
    params = {}
    for pair in pairs or []:
        name, eq, value = pair.partition("=")
        if not eq or not re.fullmatch(r"\w+", name):
            raise TipkgError("--param", f"expected NAME=VALUE, got {pair!r}")
        params[name] = value
    return params
