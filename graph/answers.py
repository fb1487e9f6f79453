"""What answered a mandate, in the graph: ``tip:restates`` (an agenda item's
paraphrase → the decision paragraph it restates), ``tip:answers`` (a document →
the mandate it answers) and ``tip:reportsAnswer`` (a later paragraph → the
mandate it says was carried out), each described by a citation node with the
Arabic words and their span (``graph.references.add_citation``)."""

from __future__ import annotations

from tipkg.references.answers import Answers
from tipkg.references.types import Reference

from .references import add_citation, tip
from .triples import TripleSet
from .uris import mint


def add_answers(graph: TripleSet, found: Answers, base: str | None = None) -> TripleSet:
    from tipkg.ontology.namespace import TIP

    for r in found.restatements:
        subject, target = mint(r.paragraph, base), mint(r.target, base)
        graph.add((subject, TIP.restates, target))
        add_citation(graph, Reference(r.paragraph, "restates", r.target, "paragraph", r.words.source_file,
                                      r.words.span, r.words.text, r.rule), subject, target, base)
    for a in found.answers:
        subject, target = mint(a.subject, base), mint(a.mandate, base)
        graph.add((subject, tip(a.relation), target))
        add_citation(graph, Reference(a.subject, a.relation, a.mandate, "mandate", a.words.source_file,
                                      a.words.span, a.words.text, a.rule), subject, target, base)
    return graph
