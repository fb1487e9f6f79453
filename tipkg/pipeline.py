"""The whole job, top to bottom: corpus → normalize → structure → references →
graph → text reuse → validate → outputs. Each stage is one module with one entry function;
this module only calls them in order and times them. Structure and references are
per-source work units (``tipkg.units``), extracted in a process pool and cached on disk,
so a rebuild redoes only the sources that changed. Text reuse, which needs only the
structure, runs in a forked child beside the graph stage (``tipkg.parallel``); with an OUT the child
makes the echoes' lines itself and hands back file names (``network.reuse_spill``), having announced the file of
its echoes first, from which the parent finds the repeated mandates while the child makes the lines. With a cache and an OUT
the parent holds no unit and no source text, only a brief of each (``tipkg.held``): the global passes read
each unit's view, cached beside it (``tipkg.views``), and the few units a view cannot answer for one at a
time, so what it holds — and what every child it forks inherits — stays small whatever the corpus's size.

>>> result = build(out_dir=None)
>>> result.documents["A/RES/61/180"]
30
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import cast
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path

from rdflib import Graph

from tipkg.graph.build import build_graph
from tipkg.graph.mandates import add_repeats
from tipkg.graph.store import fingerprint, kept_seconds, store_path
from tipkg.graph.streams import SpilledTriples
from tipkg.ontology.namespace import PREFIXES
from tipkg.cache_keys import BuildStamp, build_key, build_recipe
from tipkg.cache_use import CacheUse, Pruned
from tipkg.units import default_cache, extract_units, graph_parts
from tipkg.network.alignment import add_alignments, align, align_documents
from tipkg.network.reuse import add_echoes
from tipkg.network.reuse_spill import Spilled, add_spilled, read_echoes, spilled_reuse
from tipkg.network.reuse_index import SummaryCache, reuse_stage
from tipkg.graph.triples import TripleSet
from tipkg.graph.uris import base_iri, forget_minted
from tipkg.model import StructuredSource
from tipkg.errors import ValidationFailed
from tipkg.graph.outputs import preparations, scratch_folder, staged_output, sweep_beside, write_dumps
from tipkg.parallel import Forked, frozen_heap, lean_server, stop_lean_server
from tipkg.progress import stderr_progress
from tipkg.references import References
from tipkg.references.mandates import mandates_by_source, requests_by_paragraph
from tipkg.references.thematic_index import index_report_lines
from tipkg.shapes.validate import LocalPass, ValidationReport, in_memory, local_pass, validate, validation_store
from tipkg.sources import read_corpus
from tipkg.graph.writers import DumpSettings, writers
from tipkg.views import Views, store_view
from tipkg.held import (UNRESOLVED_RELATION, Brief, StreamedReferences, StreamedUnits, Structures, counted_paragraphs,
                        first_verbs, held, paragraph_digests, reference_counts)

__all__ = ["DEFAULT_CACHE", "DEFAULT_OUT", "UNRESOLVED_RELATION", "BuildResult", "build", "merged_references",
           "paragraph_counts", "reference_counts", "stderr_progress", "write_report"]

DEFAULT_OUT = "out"
#: ``build(cache=DEFAULT_CACHE)``: ``.tipkg-cache`` beside the output folder (no cache without one)
DEFAULT_CACHE = "default"


@dataclass
class BuildResult:
    """What a build produced: the graph's triples, per-document paragraph counts, timings."""

    triples: TripleSet
    structured: Sequence[StructuredSource]  # with a cache and an OUT, each read back from the cache when asked for
    documents: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    references: References = field(default_factory=References)
    validation: ValidationReport | None = None
    cached: int = 0  # sources whose unit was read back from the cache
    extracted: int = 0  # sources extracted by this build
    parts: int = 0  # sources whose graph part (graph/parts.py) this build computed, not read back
    up_to_date: str | None = None  # the validation line of the build whose outputs were current (nothing done)
    pruned: Pruned | None = None  # the cache's entries no build uses, removed after the build (tipkg/cache_use.py)

    @cached_property
    def graph(self) -> Graph:
        """The graph as an rdflib ``Graph`` (made on first use: the build itself never needs one)."""
        return self.triples.rdflib()


def build(corpus_dir: str | Path | None = None, out_dir: str | Path | None = DEFAULT_OUT, *,
          base: str | None = None, progress=None, check: bool = True, cache: str | Path | None = DEFAULT_CACHE,
          jobs: int | None = None, prune: bool = True) -> BuildResult:
    """Build the graph of a corpus and, if ``out_dir`` is given, validate it and write its dumps there.

    Data that does not conform to the SHACL shapes is never written (``ValidationFailed``);
    ``check=False`` skips validation (``tipkg build --no-validate``). Per-source units are
    kept in ``cache`` (default: ``.tipkg-cache`` beside ``out_dir``; None: no cache) and
    extracted by ``jobs`` processes (default: the machine's cores). Once OUT is written, the
    cache's entries that no output folder's last build used are removed (``tipkg.cache_use``;
    ``prune=False``: ``tipkg build --no-prune``).
    """
    if cache == DEFAULT_CACHE:
        cache = default_cache(out_dir) if out_dir is not None else None
    if cache is None or out_dir is None:
        return _build(corpus_dir, out_dir, base, progress, check, cache, jobs, None)
    with CacheUse(cache) as use:  # held shared to the end: no other build removes an entry meanwhile
        result = _build(corpus_dir, out_dir, base, progress, check, cache, jobs, use)
        if prune:
            result.pruned = use.prune()
        return result


def _build(corpus_dir: str | Path | None, out_dir: str | Path | None, base: str | None, progress, check: bool,
           cache: str | Path | None, jobs: int | None, use: CacheUse | None) -> BuildResult:
    say = progress or (lambda message: None)
    base = base_iri(base)  # read $TIPKG_BASE_IRI once, not once per minted URI
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    # with a cache and an OUT, each unit's graph part is made in its extraction task and the parent holds only a
    # brief of each unit (ids and counts, no text: tipkg/held.py); its global passes read back, one unit at a
    # time, what they read of a unit (``held``), and the whole unit when asked for. It never holds the corpus's
    # texts: each is let go once checked, read again by the worker that extracts it and with a unit read back
    light = cache is not None and out_dir is not None
    say("reading corpus")
    sources = read_corpus(corpus_dir, texts=not light)
    lean = out_dir is not None and lean_outputs(len(sources))
    if lean:  # a fresh interpreter: started now, its imports are done by the time the store's load needs it
        lean_server()
    lap("corpus")
    say(f"structure and references of {len(sources)} sources" + (f" (cache {cache})" if cache else ""))
    with ExitStack() as scratch:  # without a cache, the tasks put the graph parts in the scratch folder beside OUT
        chunks = scratch.enter_context(scratch_folder(out_dir)) if cache is None and out_dir is not None else None
        extraction = extract_units(sources, cache, jobs, say, base=base if out_dir is not None else None,
                                   meanwhile=partial(_ahead, check) if out_dir is not None else None,
                                   keep=held if light else None, brief=Brief.of, parts=chunks,
                                   beside=store_view if light else None)
        scratch = scratch.pop_all()  # kept: the graph stage's ExitStack removes it
    briefs = extraction.briefs
    units = StreamedUnits(sources, extraction.keys, cache, keep=held) if light else extraction.units
    whole = StreamedUnits(sources, extraction.keys, cache) if light else units
    structured = Structures(units) if light else [unit.structured for unit in units]
    # the whole references, read back when asked for; the summary's counts from the tallies held made of each unit
    references = StreamedReferences(whole, [b.tally for b in briefs]) if light else merged_references(units)
    # what the graph stage reads of them: nothing where the parts are made in the pool and the mandates found below
    found = () if light else references.found
    documents = counted_paragraphs(b.paragraphs for b in briefs)
    lap("extract")
    stamp = BuildStamp(cache, out_dir) if cache is not None and out_dir is not None else None
    key = build_key(sources, base, check) if stamp else None
    record = stamp.current(key, [w.name for w in writers()]) if stamp else None
    if record is not None:  # the same corpus, code and settings as the build that wrote OUT: it is current
        say(f"nothing changed since the last build of {out_dir}: its outputs are current")
        sweep_beside(out_dir)  # what killed builds left beside OUT goes, as after any build
        if lean:
            stop_lean_server()
        triples = SpilledTriples.written(PREFIXES, Path(out_dir) / "graph.nt", store_path(out_dir), record["triples"])
        return BuildResult(triples, structured, documents=documents, timings=timings,
                           references=references, cached=extraction.cached, extracted=extraction.extracted,
                           written=[Path(out_dir) / w.name for w in writers()], up_to_date=record["validation"])
    if use is not None:  # what of each unit this build does not read is still its own (tipkg/cache_use.py)
        use.keep(cache, extraction.keys)  # type: ignore[arg-type]
        summaries = SummaryCache(cache)  # type: ignore[arg-type]
        use.keep(summaries.folder, [summaries.path(k).name for k in extraction.keys])
    with ExitStack() as cleanup:
        cleanup.enter_context(scratch)
        cleanup.enter_context(frozen_heap())  # the children forked from here on share the parent's heap (tipkg.parallel)
        sink = None
        if out_dir is not None:  # the graph goes to sorted chunk files beside OUT, merged into graph.nt
            chunks = chunks or cleanup.enter_context(scratch_folder(out_dir))  # removed by the next build if killed
            sink = SpilledTriples(PREFIXES, chunks)
            sink.memo = Path(cache or chunks)  # the global pass's lines by group, made again where changed
        # text reuse needs only the structure: it runs beside the graph stage, through the on-disk index
        # of the cache when there is one (network/reuse_index.py)
        reuse_keys = extraction.keys if cache else None
        # with an OUT the child makes the echoes' lines itself and hands back file names (network/reuse_spill.py)
        reuse = (Forked(spilled_reuse, structured, reuse_keys, cache, say, sink.memo, chunks, base, jobs)
                 if sink is not None
                 else Forked(reuse_stage, structured, reuse_keys, cache, say))
        parts = None
        if sink is not None:  # each source's share of the graph, computed in the pool and cached (graph/parts.py)
            parts = graph_parts(briefs, extraction.keys, cache or chunks, base, whole.__getitem__, jobs, say,
                                extraction.fresh)
            lap("parts")
        say("building graph")
        # once, for the graph stage and add_repeats: each unit with its own requests, every paragraph's first verb;
        # with the units' views (tipkg/views.py), so is what find_answers reads first and the drafts' alignment
        answering = aligned = None
        if light:
            views = Views(extraction.keys, cache, units)  # type: ignore[arg-type]
            mandates = views.mandates(first_verbs(briefs))
            answering = views.answering(mandates, briefs)
            aligned = views.aligned(align_documents)
        else:
            mandates = mandates_by_source(((u.structured, requests_by_paragraph(u.found)) for u in units),
                                          first_verbs(briefs))
        graph = build_graph(structured, base, references=found, index=None if light else references.index, graph=sink,
                            parts=parts.parts if parts else None, mandates=mandates, answering=answering)
        # let go of what only the graph stage reads, before the children forked from here on inherit it: the
        # parts' claims (×30: 27 KB a source), the briefs (10 KB; ``references`` holds the counts of their tallies)
        answering = views = None  # type: ignore[assignment]
        computed = parts.computed if parts else 0
        parts = briefs = extraction.briefs = None  # type: ignore[assignment]
        lap("graph")
        if sink is not None:  # the parts are all in: their share of graph.nt's merge begins (graph/early_merge.py)
            sink.merge_early()
        say("text reuse")
        # draft paragraph -> adopted paragraph (network/alignment.py): it does not wait for the reuse child
        add_alignments(graph, aligned if aligned is not None else align(structured), base)
        aligned = None
        if out_dir is not None:  # what the extraction's idle core left of preparing the outputs (``_ahead``)
            _ahead(check)
        # with an OUT the child announces its echoes' file once it is whole, then makes their lines: the
        # repeats are found here meanwhile (network/reuse_spill.py); graph.nt is the same either way
        # mandates that repeat earlier ones (graph/mandates.py), the echoes read once
        if sink is not None:  # nothing announced: the child failed first, and result() raises its error
            echoes_file = reuse.announced() or cast(Spilled, reuse.result()).echoes
            add_repeats(graph, structured, found, read_echoes(echoes_file), base, mandates)
            add_spilled(graph, cast(Spilled, reuse.result()))
        else:
            echoes, attested = reuse.result()
            add_echoes(graph, echoes, attested, base)
            add_repeats(graph, structured, found, echoes, base, mandates)
        del mandates  # let go before the outputs' children are forked
        forget_minted()  # the graph's URIs minted (×30: 27,000, 11 MB; at most 65,536): no stage after reads them
        for streamed in (units, whole) if light else ():  # two StreamedUnits with a cache and an OUT
            streamed.forget()  # type: ignore[union-attr]  # the last units the passes read back
        lap("reuse")
        result = BuildResult(graph, structured, documents=documents, timings=timings,
                             references=references, cached=extraction.cached, extracted=extraction.extracted,
                             parts=computed)
        if out_dir is not None:
            recipe = build_recipe(base, check) if stamp else None
            previous = stamp.previous(recipe, [w.name for w in writers()]) if stamp else None
            if previous is not None:  # OUT is a build of the same code and settings: graph.nt is diffed
                graph.against(stamp.out, previous)  # against its graph.nt, the writers may start from it
            _write(result, out_dir, base, check, say, lap, jobs=jobs, cache=cache, lean=lean)
            if stamp is not None:
                stamp.record(key, recipe=recipe, triples=len(result.triples), validation=_validation_line(result),
                             store=fingerprint(store_path(out_dir)), out=str(Path(out_dir).resolve()),
                             started=use.started if use is not None else 0)  # the next build checks its base by it
    return result


def _ahead(check: bool, busy: Callable[[], bool] = lambda: True) -> None:
    """What this process does on the core an extraction worker left idle (``extract_units(meanwhile=)``):
    load numpy, which the text-reuse child forked next needs and the workers did not (it is bound lazily,
    ``tipkg.network.lazily``, so the pool started without it), and prepare the outputs (``preparations``),
    one step at a time while ``busy()`` (a task of the pool still runs). What is left once the pool is done
    is done after the graph stage, while the text-reuse child runs (``build`` calls this again; a step done
    already costs nothing): on a quiet machine the compendium's worker ended first, and its core sat idle
    while this process went on preparing (×1: 0.16 of the stage's 0.75 s)."""
    for step in [_numpy, *preparations(check)]:
        if not busy():
            return
        step()


def _numpy() -> None:
    import numpy

    numpy.ndarray  # a lazily bound module loads on its first attribute


def _validation_line(result: BuildResult) -> str:
    return result.validation.text().splitlines()[0] if result.validation else "SKIPPED"


def _write(result: BuildResult, out_dir, base: str, check: bool, say, lap, jobs: int | None = None,
           cache=None, lean: bool = False) -> None:
    """graph.nt and the store first; validation in a child beside the store's load (a small graph.nt is
    validated in memory) and the other dumps (``write_dumps``): all in a staged folder that replaces
    ``out_dir`` only if everything succeeded and the graph conforms. With a delta against a previous
    build that conformed, only the focus nodes the delta can affect are validated (shapes/affected.py).
    A whole graph validated over the persistent store has its local checks answered from graph.nt in a
    child forked before the store's load begins (``local_pass``: beside the load, not after it; no
    fork is ever made while a RocksDB load runs in this process). ``lean``: the children start from the lean
    server (``lean_outputs``)."""

    before_store: list[Forked[LocalPass]] = []  # the local checks' pass, forked before the store's load
    passed: list[LocalPass] = []

    def written(triples) -> None:  # graph.nt is whole, the store not begun: no RocksDB open in this process
        if check and triples.path is not None and not in_memory(triples) and triples.delta is None:
            before_store.append(Forked(local_pass, triples.path, lean=lean))

    def judged(report: ValidationReport) -> None:
        result.validation = report
        timings["validate"] = sum(report.timings.values())  # its own time, run beside the others (not added)
        if not report.conforms:
            raise ValidationFailed(out_dir, "the graph does not conform to the SHACL shapes; nothing written\n"
                                   + report.text(), report=report)

    def fed() -> None:
        lap("graph.nt+store")
        if before_store:  # the validating child is forked next and inherits the answers
            passed.append(before_store.pop().result())
        say("validating against the SHACL shapes, beside writing the other dumps" if check else
            f"writing the other dumps into {out_dir}")

    timings = result.timings
    say(f"writing graph.nt into {out_dir} and loading the embedded store")
    try:
        with staged_output(out_dir) as stage:
            settings = DumpSettings(base=base, validated=check, jobs=jobs, lean=lean)
            checked = partial(_checked, cache=cache, passed=passed)  # picklable: a lean child runs it
            outputs = write_dumps(result.triples, stage, settings, written=written,
                                  fed=fed, check=checked if check else None, judge=judged, early=_early, say=say)
    finally:  # a build failing before fed() still waits for the pass (it only reads graph.nt)
        for forked in before_store:
            try:
                forked.result()
            except Exception:  # noqa: BLE001 — the build's own error is the one raised
                pass
        if lean:
            stop_lean_server()  # its children's time and memory counted among this process's children
    result.written = [Path(out_dir) / p.name for p in outputs]
    if isinstance(result.triples, SpilledTriples):
        result.triples.relocate(Path(out_dir) / "graph.nt", store_path(out_dir))
    lap("outputs")  # validation's own time is "validate"; it ran within the wall time of these two stages


def _checked(triples, cache=None, passed: Sequence[LocalPass] = ()) -> ValidationReport:
    """The build's validation, in the outputs' child (``write_dumps(check=)``): over graph.nt loaded in memory
    (``_early``), or the store, or the delta's focus nodes; ``passed``: the local checks' pass, made before the
    store's load."""
    start = time.perf_counter()
    delta = triples.delta
    memory = _early(triples)
    store = validation_store(triples) if memory else triples.store()
    loaded = time.perf_counter() - start + (kept_seconds(triples.path) if memory else 0.0)  # shared, loaded before
    reopen = (lambda: store) if memory else triples.store
    report = None
    if delta is not None:  # imported here: a whole build never reads the checks' algebra (×1: 10 ms of its start)
        from tipkg.shapes.affected import validate_delta

        report = validate_delta(store, delta, reopen=reopen, cache=cache)
    if report is None:  # no delta, or it cannot be used: the whole graph
        report = validate(store, reopen=reopen, triples=len(triples), nt=triples.path,
                          done=passed[0] if passed else None)
    report.timings = {"store": loaded, **report.timings}
    return report


def _early(triples) -> bool:
    """Whether the graph is validated in memory, beside the store's making: a small graph, and no delta
    (a delta's few focus nodes are checked over the store made for OUT: loading the whole graph.nt
    into memory for them cost most of a small rebuild's validation, ×10: 13 s of wall on a loaded
    machine)."""
    return in_memory(triples) and triples.delta is None


#: sources from which a build's outputs start their children from the lean server (``lean_outputs``)
LEAN_SOURCES = 100


def lean_outputs(sources: int) -> bool:
    """Whether a build of ``sources`` sources loads its store and forks its outputs' children from the lean
    server (``tipkg.parallel.lean_server``) rather than from itself; ``$TIPKG_LEAN`` = 1 or 0 says so
    whatever the size. Why by size: a child forked from the build carries the build's resident memory,
    which grows with the sources (×1000: ~650 MB, in each of the store's loader, validation and its
    worker, the precomputed answers); the server costs a fresh interpreter and its imports
    (about half a CPU second) and each of its children compiles the shapes again, which a small
    build's two cores would pay on their busiest stretch for no memory worth having (×1: the parent
    holds about 100 MB)."""
    said = os.environ.get("TIPKG_LEAN")
    if said in ("0", "1"):
        return said == "1"
    return sources >= LEAN_SOURCES


def merged_references(units) -> References:
    """The references of every unit, in manifest order; thematic indexes after the first
    add their entries and notations to it (the bundled corpus prints one)."""
    out = References()
    for unit in units:
        out.found += unit.found
        out.unresolved += unit.unresolved
        if unit.index is None:
            continue
        if out.index is None:
            out.index = unit.index
        else:
            out.index = replace(out.index, entries=out.index.entries + unit.index.entries,
                                notations={**out.index.notations, **unit.index.notations})
    return out


def write_report(references: References, path: str | Path) -> Path:
    """The review report as TSV: the references left unresolved (paragraph, kind,
    text, reason, span), then the thematic index's per-meeting offsets and the
    rows whose two numberings do not reconcile."""
    path = Path(path)
    rows = ["paragraph\tkind\ttext\treason\tspan"]
    for u in references.unresolved:
        text = " ".join(u.text.split())
        rows.append(f"{u.paragraph}\t{u.kind}\t{text}\t{u.reason}\t{u.source_file}#char={u.span.start},{u.span.end}")
    if references.index is not None:
        rows += ["", *index_report_lines(references.index)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def paragraph_counts(structured: Iterable[StructuredSource]) -> dict[str, int]:
    """Distinct paragraph identifiers per document, over all sources (``build`` counts them from its units'
    briefs, made the same way: ``tipkg.held.paragraph_digests``)."""
    return counted_paragraphs(paragraph_digests(item) for item in structured)
