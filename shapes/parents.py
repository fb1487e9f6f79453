"""The ``sh:sparql`` constraints that read a focus node's parents, answered by the pass over the runs.

tipsh:PartExtendsParent (a part's identifier is its parent's plus a step) and tipsh:InDocumentIsTop
(``tip:inDocument`` is the end of the ``eli:is_part_of`` chain) were queries joining every node's
identifier, or walking the chain, over the store: ×100 1.18 and 0.83 CPU s, PartExtendsParent growing
with exponent 1.28 (its hash tables hold every identifier). The pass over the graph's runs of subjects
(``shapes/local.py``) reads each part anyway; what it needs of another node (the parent's identifier,
its own ``eli:is_part_of``) is found by ``Neighbours``, in this order:

- the runs read before it whose IRI is a prefix of the node's: a sorted graph.nt has a parent
  ``…/A/RES/61/180`` before its parts ``…/A/RES/61/180_para_5``, and every subject between them
  starts with the parent's IRI, so a stack of such prefixes (a few deep) holds it;
- the nodes looked up already (at most ``MEMO``: a recommendation's report is shared by its
  recommendations);
- else a lookup (``runs.Runs.values``): in graph.nt a binary search of the sorted file (a few seeks),
  in a store its index.

The rows are the queries' (tests/test_validate_local.py compares them on the corpus and on every broken
graph): the forms recognised (``_FORMS``) are exactly the shapes' constraints, their variables and
strings as written; a comparison of anything but two plain strings is asked of pyoxigraph
(``_Compared``).
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from tipkg.shapes.local import Local, Targets, ox_term
from tipkg.shapes.runs import RDF_TYPE, XSD_STRING, Asked, Canonical, Term, Unsorted, _object, read_iri

#: the constraints answered here: slots as in ``unions._LOCAL_FORMS``, read by ``unions.matched_forms`` (``path:x`` a predicate, ``var:x``
#: a variable, ``text:x`` a plain string; keywords in capitals, ``&&`` written ``& &`` as the tokens come)
_FORMS = {
    "extends": "SELECT ?this ?value var:pid WHERE { ?this path:up var:parent ; path:ids ?value . "
               "var:parent2 path:pids var:pid2 . FILTER NOT EXISTS { ?this A path:not } "
               "FILTER ( ! STRSTARTS ( ?value , CONCAT ( var:pid3 , text:s1 ) ) & & "
               "! STRSTARTS ( ?value , CONCAT ( var:pid4 , text:s2 ) ) ) }",
    "top": "SELECT ?this ?value WHERE { ?this path:down ?value . "
           "FILTER NOT EXISTS { ?this path:up + ?value . FILTER NOT EXISTS { ?value path:up2 var:above } } }",
}


def local_constraint(select: str, prefixes: list[str], targets: Targets) -> Local | None:
    """A ``sh:sparql`` constraint's SELECT (``$this`` written ``?this``) as a check answered by the pass over
    the runs, over the focus nodes ``targets``, when it is one of ``_FORMS``; None otherwise.

    >>> found = local_constraint('SELECT ?this ?value ?p WHERE { ?this <up> ?x ; <id> ?value . ?x <id> ?p . '
    ...     'FILTER NOT EXISTS { ?this a <R> } FILTER (!STRSTARTS(?value, CONCAT(?p, " ")) && '
    ...     '!STRSTARTS(?value, CONCAT(?p, "("))) }', [], Targets(frozenset({"C"}), (), ()))
    >>> found.kind, found.names
    (('extends', 'up', 'id', 'id', 'R', (' ', '('), 'p'), ['this', 'value', 'p'])
    >>> local_constraint('SELECT ?this ?value WHERE { ?this <in> ?value . FILTER NOT EXISTS { ?this <up>+ ?value . '
    ...     'FILTER NOT EXISTS { ?value <up> ?a } } }', [], Targets(frozenset(), ("in",), ())).kind
    ('top', ('in',), 'up')
    >>> local_constraint('SELECT ?this ?value WHERE { ?this <in> ?value . FILTER NOT EXISTS { ?this <up>+ ?value . '
    ...     'FILTER NOT EXISTS { ?value <other> ?a } } }', [], Targets(frozenset(), ("in",), ())) is None
    True
    """
    from tipkg.shapes.unions import matched_forms  # unions imports local: imported when used

    for name, paths, names, texts in matched_forms(select, prefixes, _FORMS):
        if name == "extends":
            pid = names["pid"]
            single = all(len(paths[k]) == 1 for k in ("up", "ids", "pids", "not"))
            if (single and names["parent"] == names["parent2"] and pid == names["pid2"] == names["pid3"] == names["pid4"]
                    and len({names["parent"], pid, "?this", "?value"}) == 4):
                return Local(targets, paths["ids"], ("extends", paths["up"][0], paths["ids"][0], paths["pids"][0],
                                                     paths["not"][0], (texts["s1"], texts["s2"]), pid[1:]))
        elif len(paths["up"]) == 1 and paths["up"] == paths["up2"] and names["above"] not in ("?this", "?value"):
            return Local(targets, paths["down"], ("top", paths["down"], paths["up"][0]))
    return None


class _Compared(Asked):
    """``!STRSTARTS(?value, CONCAT(?pid, s1)) && …`` for terms that are not both plain strings: asked of
    pyoxigraph (an IRI, a typed or tagged literal: errors and tags are its business)."""

    def __call__(self, value: Term, pid: Term, seps: tuple[str, ...]) -> bool:
        test = " && ".join(f"!STRSTARTS(?value, CONCAT(?pid, {ox.Literal(s)}))" for s in seps)
        ok = self.ask((value, pid, seps), len(value[1]) + len(pid[1]),
                      lambda: f"SELECT ({test} AS ?ok) WHERE {{ VALUES (?value ?pid) {{ ({ox_term(value)} {ox_term(pid)}) }} }}")
        return ok is not None and ok.value == "true"


#: nodes looked up (not found among the prefixes) remembered, at most this many (then the memory starts again)
MEMO = 1 << 14


class Neighbours:
    """What the checks here read of nodes other than the focus node: each run seen (``see``) is kept while
    its IRI is a prefix of the runs after it; any other node is looked up (``lookup``: a subject and a
    predicate -> its values) and remembered."""

    def __init__(self) -> None:
        self.key: str | None = None  # only the runs with this predicate are kept (a parent's identifier)
        self.stack: list[tuple[str, dict]] = []
        self.memo: dict[str, dict[str, list[Term]]] = {}
        self.lookup: Callable[[str, str], list[Term]] | None = None
        self.compared = _Compared()

    def see(self, s: str, props: dict) -> None:
        if self.key is not None and self.key not in props:
            return  # not a parent a check here reads (a citation, a text reuse: most runs): looked up if ever asked
        stack = self.stack
        while stack and not s.startswith(stack[-1][0]):
            stack.pop()
        stack.append((s, props))

    def values(self, node: str, predicate: str) -> list[Term]:
        for iri, props in reversed(self.stack):
            if iri == node:
                return props.get(predicate, [])
        known = self.memo.get(node)
        if known is None:
            if len(self.memo) >= MEMO:
                self.memo.clear()
            known = self.memo[node] = {}
        found = known.get(predicate)
        if found is None:
            if self.lookup is None:
                raise Unsorted("runs that cannot look a node up: the queries answer")
            found = known[predicate] = self.lookup(node, predicate)
        return found

    def check(self, i: int, local: Local) -> Callable[[str, dict, list[list]], None]:
        if local.kind[0] == "extends":
            self.key = local.kind[3]
            return self._extends(i, local.kind)
        return self._top(i, local.kind)

    def _extends(self, i: int, kind: tuple) -> Callable[[str, dict, list[list]], None]:
        _, up, ids, pids, excluded, seps, _ = kind
        excluded_term = ("I", excluded, "")

        def run(s: str, props: dict, found: list[list]) -> None:
            parents, values = props.get(up), props.get(ids)
            if not parents or not values or excluded_term in props.get(RDF_TYPE, ()):
                return
            for parent in dict.fromkeys(parents):
                if parent[0] != "I":
                    continue  # a literal is no subject: it has no identifier
                for pid in self.values(parent[1], pids):
                    for value in dict.fromkeys(values):
                        if value[0] == "L" and pid[0] == "L" and not value[2] and not pid[2]:
                            bad = not any(value[1].startswith(pid[1] + sep) for sep in seps)
                        else:
                            bad = self.compared(value, pid, seps)
                        if bad:
                            found[i].append((s, value, pid))
        return run

    def _top(self, i: int, kind: tuple) -> Callable[[str, dict, list[list]], None]:
        _, down, up = kind

        def run(s: str, props: dict, found: list[list]) -> None:
            values = [v for p in down for v in props.get(p, ())]
            if not values:
                return
            reached, todo = set(), [v for v in props.get(up, ())]
            while todo:  # the nodes ?this eli:is_part_of+ reaches
                node = todo.pop()
                if node not in reached:
                    reached.add(node)
                    if node[0] == "I":
                        todo += self.values(node[1], up)
            for value in dict.fromkeys(values):
                top = value in reached and (value[0] != "I" or not self.values(value[1], up))
                if not top:
                    found[i].append((s, value))
        return run


def file_lookup(nt: Path) -> Callable[[str, str], list[Term]]:
    """A subject's values of a predicate in the sorted N-Triples file ``nt``, by a binary search of its lines
    (the pass that calls it reads the same file, and raises ``Unsorted`` where it is not sorted). A subject
    with no line as ``<iri>`` writes it is looked for among the lines that escape a character, gathered by one
    scan of the file at the first such miss (a scan each was a read of the whole graph.nt per absent node)."""
    from tipkg.graph.dumps import release_pages

    canonical = Canonical()
    held: list[mmap.mmap] = []
    escaped: list[dict[str, list[bytes]]] = []  # made at the first miss (``_escaped``)
    done = [0]

    def lookup(node: str, predicate: str) -> list[Term]:
        if not held:
            with open(nt, "rb") as f:
                held.append(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        m = held[0]
        done[0] += 1
        if done[0] % RELEASE == 0:  # the pages the searches read stay in the page cache, not in this process
            release_pages(m, 0, len(m))
        key = f"<{node}> ".encode("utf-8")
        lines = _run(m, key)
        if not lines:
            if not escaped:
                escaped.append(_escaped(m))
                release_pages(m, 0, len(m))  # the scan read every page
            lines = escaped[0].get(node, [])
        want = f"<{predicate}>".encode("utf-8")
        return [_object(rest, canonical) for line in lines
                for _, p, rest in [line.split(b" ", 2)] if p == want]
    return lookup


#: the mapped pages of graph.nt the searches read are let go of every this many lookups (each reads ten to twenty
#: pages of its own: without it the pass's resident set grew by the pages read, ×100 +79 MB, ×300 to 0.85 GB)
RELEASE = 256


def _run(m: mmap.mmap, key: bytes) -> list[bytes]:
    """The lines of the sorted ``m`` that start with ``key`` (a subject as written and a space)."""
    lo, hi, size = 0, len(m), len(m)
    while lo < hi:  # the first line not before ``key`` starts at ``lo``
        mid = (lo + hi) // 2
        start = m.rfind(b"\n", 0, mid) + 1
        end = m.find(b"\n", start)
        end = size if end < 0 else end
        if m[start:end] < key:
            lo = end + 1
        else:
            hi = start
    out = []
    while lo < size and m[lo:lo + len(key)] == key:
        end = m.find(b"\n", lo)
        end = size - 1 if end < 0 else end
        out.append(m[lo:end + 1])
        lo = end + 1
    return out


def _escaped(m: mmap.mmap) -> dict[str, list[bytes]]:
    """The lines of ``m`` whose subject escapes a character, by that subject as read (one scan of ``m``)."""
    out: dict[str, list[bytes]] = {}
    at = 0
    while (at := m.find(b"\\", at)) >= 0:
        start = m.rfind(b"\n", 0, at) + 1
        end = m.find(b"\n", at)
        end = len(m) if end < 0 else end + 1
        line = m[start:end]
        subject = line.split(b" ", 1)[0]
        if b"\\" in subject:
            out.setdefault(read_iri(subject.decode("utf-8")), []).append(line)
        at = end
    return out


def store_lookup(store: ox.Store) -> Callable[[str, str], list[Term]]:
    """A subject's values of a predicate in ``store``'s default graph."""
    def lookup(node: str, predicate: str) -> list[Term]:
        out: list[Term] = []
        for q in store.quads_for_pattern(ox.NamedNode(node), ox.NamedNode(predicate), None, ox.DefaultGraph()):
            o = q.object
            if isinstance(o, ox.NamedNode):
                out.append(("I", o.value, ""))
            elif isinstance(o, ox.Literal):
                lang, datatype = o.language, o.datatype.value
                out.append(("L", o.value, "@" + lang if lang else "" if datatype == XSD_STRING else "^^" + datatype))
            else:
                raise Unsorted("a blank node")
        return out
    return lookup
