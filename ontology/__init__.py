"""The ontology and everything derived from it, beside ``tipkg.ttl``.

``namespace`` holds the ``TIP`` ``DefinedNamespace``, the one prefix table
``PREFIXES`` and ``curie``; ``files`` finds this folder's data files as package
resources; ``context`` generates the published JSON-LD context
(``context.jsonld``) and ``doc`` the HTML documentation (``tipkg.html``).
``identifiers.md`` is the grammar of the canonical identifiers, and
``instruments`` writes ``instruments.md``, the table of instrument codes, from
``tipkg/tables/instruments.toml``.
"""
