"""Sub-commands of the tipkg command line (one module each).

``build``, ``cache``, ``validate``, ``query``, ``serve``, ``publish``, ``analyze``,
``viz`` and ``ontology_doc`` (``tipkg ontology-doc``); ``tipkg.cli`` finds them
by listing this package.
"""
