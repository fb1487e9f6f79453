"""A whole-graph query answered in batches of one variable's values, where its working memory grows with the corpus.

The counts per topic and year (topic-year-counts.rq) count, in a sub-select, the distinct paragraphs of every
topic and document: Oxigraph holds every topic's groups at once, ~0.7 GB at ×1000, and that query alone made the
precomputed answers' process the build's largest. Run for a few topics at a time, each run holds only those
topics' groups (×100: five batches 39–44 MB each, the whole 78 MB, the same CPU).

Which queries, which variable and where the batch goes are data (``batches.toml``; a query's file cannot say
it, its text names its answer's file). A batch is the query (without its ORDER BY: the writer sorts the rows,
streamed.py) with ``VALUES ?variable { … }`` put just before the entry's pattern, in the pattern's own group.
The rows are exactly the whole answer's when

* the batches' values are every value the pattern binds (asked of the store: one scan of the pattern, its rows
  counted by value, ``_weights``) and each value is in one batch: the pattern's group then gives, over the
  batches, exactly its rows, each once;
* each answer row comes from the rows of one value (the entry's ``why``): the other rows of a batch do not
  change it.

The writer (``streamed.write_whole``) takes the batches' rows as one run's, and falls back to the whole query
when two rows have the same keys (a group split over two batches gives the same keys twice: the second claim
broken), when a key cannot be ordered here, or when a value cannot be written in a VALUES table (a blank
node). Batches are made of the values in their order (the store's ``STR``), up to ``ROWS`` rows of the pattern
each (a value with more goes alone); one batch is the whole query, run as it is.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
import tomllib

import pyoxigraph

from tipkg.ontology.namespace import PREFIXES

from .sparql import with_prefixes

#: rows of the pattern per batch: the topics' links at ×100 (~240,000) in one batch, as the whole query ran,
#: ×1000 in about ten (each then holds what ×100 held)
ROWS = 250_000


@lru_cache(maxsize=None)
def table() -> dict:
    """``batches.toml``: ``batch`` (query name -> variable, pattern, why) and ``cost`` (query name -> CPU s)."""
    with resources.files(__package__).joinpath("batches.toml").open("rb") as fh:
        return tomllib.load(fh)


def entry(name: str) -> dict | None:
    """The batching entry of the query ``name``, None when it is answered whole."""
    return table().get("batch", {}).get(name)


def anchored(text: str, pattern: str) -> int | None:
    """Where ``pattern`` starts in ``text``, if it occurs exactly once outside comments; else None."""
    found, at = [], text.find(pattern)
    while at >= 0:
        line = text[text.rfind("\n", 0, at) + 1:at]
        if "#" not in line:
            found.append(at)
        at = text.find(pattern, at + 1)
    return found[0] if len(found) == 1 else None


def batched(store, name: str, bare: str | None, rows: int | None = None) -> list[str] | None:
    """The texts of the batches of ``bare`` (the query ``name`` without its ORDER BY) on ``store``, or None
    when it is answered whole: no entry, its pattern not found once, one batch, or a value a VALUES table
    cannot hold. ``rows``: the rows of the pattern per batch (default: the entry's ``rows``, else ``ROWS``)."""
    found = entry(name)
    if found is None or bare is None or (at := anchored(bare, found["pattern"])) is None:
        return None
    weights = _weights(store, found["variable"], found["pattern"])
    if weights is None:
        return None
    limit = rows if rows is not None else found.get("rows", ROWS)
    batches: list[list[str]] = []
    size = 0
    for term, n in weights:
        if not batches or size + n > limit:
            batches.append([])
            size = 0
        batches[-1].append(term)
        size += n
    if len(batches) < 2:
        return None
    variable = found["variable"]
    return [bare[:at] + f"VALUES ?{variable} {{ {' '.join(values)} }}\n    " + bare[at:] for values in batches]


def _weights(store, variable: str, pattern: str) -> list[tuple[str, int]] | None:
    """Each value ``pattern`` binds ``?variable`` to (as a SPARQL term), with its rows, ordered by value;
    None when a value cannot be written in a VALUES table (a blank node) or the pattern does not parse."""
    text = with_prefixes(f"SELECT ?{variable} (COUNT(*) AS ?n) WHERE {{ {pattern} }} GROUP BY ?{variable} "
                         f"ORDER BY STR(?{variable})", PREFIXES)[0]
    try:
        answer = store.query(text)
    except (SyntaxError, OSError):
        return None
    out = []
    for value, n in answer:  # type: ignore[misc]
        if not isinstance(value, (pyoxigraph.NamedNode, pyoxigraph.Literal)) or n is None:
            return None
        out.append((str(value), int(n.value)))
    return out
