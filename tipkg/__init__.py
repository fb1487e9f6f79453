"""tipkg: a knowledge graph of UN instruments on trafficking in persons.

The one package ``tipkg`` is laid out over the user's top-level folders
(``graph/`` is ``tipkg.graph``, ``shapes/`` is ``tipkg.shapes``, …; see
``pyproject.toml``). In a source checkout those folders sit beside this one,
so the checkout's own root is put on this package's search path: a
sub-package is then always found in the checkout that ``tipkg`` itself came
from, never in another clone's editable install. An installed wheel has the
sub-packages inside ``tipkg/`` and needs nothing of this.

This folder holds the pipeline and what it shares: ``pipeline`` (the stages
in order), ``cli`` and the ``commands`` package (one module per sub-command),
``sources`` (stage 1, the corpus), ``normalize`` (stage 2), ``reading_order`` (visual-order
paragraphs put back in reading order for tip:normalizedText), ``reading_model`` (the word
model it reads, and the tables it is made from), ``reading_measure`` (its
measures: fragment rate, word-order agreement, hand-read lines), ``model`` (the
plain data between stages), ``identifiers`` (the one grammar of canonical
identifiers), the ``references`` package (stage 4), ``units`` (per-source work
units and their cache), ``cache_entries`` (a cache entry written atomically, sealed with its SHA-256,
verified on read), ``cache_keys`` (what the caches are keyed by: the code version, a unit's and a build's
keys, the stamp of an output folder's build), ``cache_use`` (which entries builds still use, the
others removed once a build succeeded), ``part_cache`` (each source's graph part cached beside its unit), ``held`` (what the build's parent keeps of each unit), ``views`` (each unit's share of
the parent's global passes, cached beside it), ``parallel`` (a stage in a forked child), ``progress`` (what a
long build says while it runs: counts with a rate and an ETA), ``replica``
(replicated sources for the benchmarks), ``errors`` (located errors), ``faults`` (when the
machine stops a build — a disk full or read-only, a process killed — said in one line), the
``server`` package (linked data and /sparql) and the ``tables`` package (the
patterns, as TOML data).
"""

from pathlib import Path as _Path

__version__ = "0.1.0"

_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "graph" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 -- a package's __path__
