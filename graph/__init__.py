"""The RDF graph: built from the pipeline's plain dataclasses, then written out.

Building: ``build`` (stage 5, ``build_graph``) builds source by source — ``parts`` (what one
source adds on its own, and its claims — labels, texts — resolved in manifest order) — and calls ``uris`` (the one function
that mints every URI), ``triples`` (the set of pyoxigraph triples the build
collects), ``streams`` (that set spilled to sorted chunk files and merged k-way into
``graph.nt``, then read back as a stream), ``merge`` (sorted files merged, by GNU sort where it is
installed; ``early_merge`` begins graph.nt's merge with the parts' files while the build goes on), ``labels`` (English and Arabic labels from identifiers and text),
``references`` (each edge asserted and described by a citation node) and
``thematic_index`` (the index as a SKOS scheme), ``mandates`` (one mandate
node per creating paragraph), ``answers`` (what answered a mandate) and
``gists`` (English gists of paragraphs, their facts read
back a node at a time from ``gist_facts``, an SQLite file indexed by node).

Writing (stage 7): ``writers`` is the one table of output writers that the
pipeline and the streaming build share; ``outputs`` writes them into a staged
folder that replaces ``OUT`` whole; ``dumps`` (TriG, VoID + DCAT), ``jsonld``
(``graph.jsonld``) and ``store`` (the persistent pyoxigraph store) are writers; ``turtle`` writes
the Turtle of ``graph.ttl`` and of TriG's blocks from the N-Triples lines' bytes.

Rebuilding from the previous ``OUT`` (same code and settings, other sources): ``delta`` diffs the
new ``graph.nt`` against the previous one while it is merged (the lines removed and added), the
store starts from a hard-link checkpoint of the previous one plus the delta; ``segments`` writes the
text dumps and VoID a content-defined segment of ``graph.nt`` at a time and copies the segments
that did not change from the previous files, which ``previous_segments`` verifies and reads; ``void_stats`` keeps VoID's distinct counts right after
a delta without a pass over the whole graph; ``memo`` keeps the build's own global lines (mandates,
answers, echoes, repeats) by group in the cache, so a rebuild makes only the groups whose records changed.
"""
