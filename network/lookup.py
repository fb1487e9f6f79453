"""What a person typed, as the node they meant: identifier, English or Arabic label, with suggestions.

``--focus victims``, ``--topic Victims``, ``--topic "Victims, identification"``,
``--topic الضحايا``, ``--focus "A/RES/61/180"`` and ``--focus "Member States"``
all name a node. Tried in order: the identifier as typed; with the prefix its
kind takes (``topic:``, ``actor:``); the slug of the words (``victims
identification`` -> ``topic:victims-identification``); the English label
(case and punctuation ignored); the Arabic label (in search form: no
diacritics, alef/yaa/taa marbuta folded). Nothing found is an error that
names the value and the closest valid ones — never an empty page.

>>> import networkx as nx
>>> g = nx.Graph()
>>> g.add_node("topic:victims", kind="topic", label_en="Victims", label_ar="الضحايا")
>>> resolve(g, "Victims", "--topic"), resolve(g, "الضحايا", "--topic")
('topic:victims', 'topic:victims')
"""

from __future__ import annotations

import difflib
import re

import networkx as nx

from tipkg.errors import TipkgError
from tipkg.normalize import search_form

_PREFIXES = {"topic": "topic:", "actor": "actor:"}


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def resolve(g: nx.Graph, text: str, option: str, kinds: tuple[str, ...] = ()) -> str:
    """The node of ``g`` that ``text`` names (of one of ``kinds`` if given), or a TipkgError with suggestions."""
    candidates = {n: d for n, d in g.nodes(data=True) if not kinds or d.get("kind") in kinds}
    typed = text.strip()
    if typed in candidates:
        return typed
    for kind, prefix in _PREFIXES.items():
        if (not kinds or kind in kinds) and not typed.startswith(prefix):
            for guess in (prefix + typed, prefix + _slug(typed)):
                if guess in candidates:
                    return guess
    key, arabic = _key(typed), search_form(typed)
    for n, d in sorted(candidates.items()):
        if key and _key(d.get("label_en", "")) == key:
            return n
    for n, d in sorted(candidates.items()):
        if d.get("label_ar") and search_form(d["label_ar"]).strip() == arabic.strip():
            return n
    names = {}
    for n, d in candidates.items():
        names[n.casefold()] = n
        if d.get("label_en"):
            names[d["label_en"].casefold()] = n
    close = difflib.get_close_matches(typed.casefold(), list(names), n=5, cutoff=0.5)
    contains = sorted(n for n, d in candidates.items() if key and (key in _key(n) or key in _key(d.get("label_en", ""))))
    suggestions = list(dict.fromkeys([names[c] for c in close] + contains))[:6]
    what = "/".join(kinds) if kinds else "node"
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else \
        f"; e.g. {', '.join(repr(n) for n in sorted(candidates)[:4])}"
    raise TipkgError(option, f"no {what} {typed!r} in this view (identifier, English or Arabic label){hint}")
