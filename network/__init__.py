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

numpy is bound lazily (``lazily``) by the modules that use it: text reuse needs it, but a build's
extraction workers — forked before the parent has imported it — summarise passages without it, so
the pool starts without the interpreter's ~0.07 s of numpy import in front of it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazily(name: str) -> ModuleType:
    """Module ``name``, imported on first use of one of its attributes (``importlib.util.LazyLoader``,
    registered in ``sys.modules``, so a later plain ``import`` gets the same module); the module itself if
    it is already imported.

    >>> lazily("json") is __import__("json")
    True
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
