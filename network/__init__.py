"""Networks drawn from the RDF graph, for analysts: projections, metrics, reuse, pictures.

``network`` is the analyst's entry point (an RDF graph in, annotated networks
and tables out); ``projections`` turns the graph into the networkx graphs asked
for by name; ``centrality``, ``communities`` and ``trends`` hold one family of
algorithms each; ``reuse`` finds paragraphs that echo earlier wording (the
``tip:echoes`` edges of the build), ``reuse_index`` keeps its MinHash/LSH index on disk
and updates it with the sources that changed, ``reuse_spill`` makes the echoes' lines in the
forked reuse child and hands the build's parent files, not echoes; ``alignment`` pairs a draft's paragraphs
with those of the text adopted from it, by content (``tip:adoptedAs``); ``lookup``
resolves what a person typed (identifier, English or Arabic label) to the node
meant, with suggestions; ``viz`` writes the self-contained interactive page
from ``viz_template.html``.
"""
