"""Validation: the SHACL shapes (``tipkg-shapes.ttl``) and the code that checks them.

``validate`` (stage 6) checks a graph or the build's store against the shapes
and reports by shape and node; ``shacl_sparql`` compiles the shapes to SPARQL,
one query per constraint over all focus nodes, run in pyoxigraph (its parts: ``components``, the SHACL terms
it knows and their messages; ``conditions``, conformance as boolean expressions; ``conforming_sets``, as
joins and anti-joins; ``local_forms``, what a check local to its focus node needs; ``anti_joins``, NOT
EXISTS as MINUS; ``joins``: a ``sh:sparql``
constraint's triple patterns joined by hash, not looked up one solution at a time); ``affected`` validates a
rebuild over its delta: only the focus nodes a removed or added triple can affect, read off
each compiled check's query (``check_reads``: the triples it reads, along which paths from
``?this``), with the report a whole validation gives. ``unions`` runs a ``sh:sparql`` UNION on one class's
nodes a branch at a time (no table of the class's members). ``local`` answers the checks that read only
the focus node's own triples in one pass over the sorted ``graph.nt`` (read as runs of subjects by
``runs``), with exactly their queries' rows;
``edges`` finds, for its checks of kind "edge", the triples a focus node describes that the graph lacks;
``parents`` what the pass reads of other nodes: a part's parent (tipsh:PartExtendsParent,
tipsh:InDocumentIsTop), a value's types (``sh:class``); ``nodes`` the checks of a node's own shape and of the
shapes its values must have (an ``sh:or`` on the node, ``sh:node``: tipsh:EchoesEnds, tipsh:Exists,
tipsh:InIndexScheme), reading the values' runs the same way; ``shared`` the values two nodes share
(tipsh:UniqueIdentifier), by sorting a file of (value, node) written as the pass reads; ``numbering`` what
reads the document a node is in and its meeting (tipsh:RecommendationNumbering), the constraint's expressions
evaluated by pyoxigraph over the solutions the pass joins.
"""
