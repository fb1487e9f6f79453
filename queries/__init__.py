"""Questions to the graph: the SPARQL catalog (``*.rq``) and the code that runs it.

``catalog`` reads the ``.rq`` files with their questions and parameters and
binds values safely; ``sparql`` runs a query on the embedded store or on a
remote SPARQL 1.1 endpoint; ``querypool`` runs queries with a time limit in
worker processes that can be killed; ``params`` checks and resolves a
parameter against the graph before the query runs (no silent empty answers);
``examples`` rewrites each header's example answer from a build;
``precomputed`` answers the whole-graph queries (and those asked of one actor
or topic, for every one) when the store is built, so a page of them is read,
not computed: the files' format and how a page is read; ``precompute`` how the
build makes them (one run per query, split by value; copied from the previous
build when a delta cannot change them), with ``batches`` (a query whose memory grows with the corpus
run in batches of one variable's values, ``batches.toml``) and ``shares`` (the queries answered by two
processes, the most costly first); ``streamed`` writes a run's answer
files as its rows come, sorted in runs on disk past a budget (memory that does
not grow with the corpus); ``ordering`` sorts rows in Python by a
query's own ORDER BY (cheaper than the store's sort); ``algebra`` parses a
query into rdflib's SPARQL algebra and walks it (nodes, variables, property
paths), for the three readers of what a query reads: ``reads`` the triple
patterns a query can read and whether a delta touches them; ``probe`` which
values of a query of every actor or topic a delta can change (only those are
run again); and the validation checks' reads (``shapes/check_reads.py``).
"""
