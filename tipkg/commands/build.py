"""Build the graph of a corpus and write its dumps.

Reads the corpus (default: the bundled one), builds the graph, validates it
against the SHACL shapes (shapes/tipkg-shapes.ttl), and writes graph.nt
(sorted, byte-identical across runs), graph.ttl, graph.jsonld, graph.trig,
void.ttl and context.jsonld into --out (default: ./out). Outputs appear only
when the whole build succeeded and the graph conforms (--no-validate skips
the check, loudly).

Each source's structure and references are a work unit, extracted by --jobs
processes (default: every core; from 4 the store's load takes two CPUs, one
below) and cached in --cache (default: the folder
.tipkg-cache beside --out), keyed by the source's sha256 and the version of
the code and tables: a rebuild re-extracts only the sources added or changed.
--no-cache extracts everything and writes no cache. Once a build succeeded, the
cache's entries that the last build of no output folder used (a source's old
text, an older tipkg's) are removed; --no-prune keeps them.

A disk that fills up or a folder that cannot be written ends the build with one
line naming the disk or file, the reason and, for a full disk, the space free
and what a rebuild needs; a process of the build killed, with the stage and
whether memory ran out (the kernel's OOM killer). Exit status 4; OUT and the
cache stay as they were.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tipkg.pipeline import DEFAULT_OUT, build, reference_counts, stderr_progress, write_report
from tipkg.faults import disk_fault, killed_fault, oom_kills
from tipkg.units import CACHE_NAME, default_cache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder with a manifest.toml (default: bundled corpus)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    parser.add_argument("--base", metavar="IRI", help="base IRI of minted URIs (default: $TIPKG_BASE_IRI or https://w3id.org/tipkg/id/)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary")
    parser.add_argument("--no-validate", action="store_true",
                        help="write the dumps WITHOUT checking them against the SHACL shapes (a warning is printed)")
    parser.add_argument("--jobs", metavar="N", type=int, help="processes extracting sources and writing the dumps' "
                        "segments; from 4 the store's load takes two CPUs, not one (default: every core)")
    parser.add_argument("--cache", metavar="DIR", help=f"where the per-source units are cached (default: {CACHE_NAME} "
                        "beside --out)")
    parser.add_argument("--no-cache", action="store_true", help="extract every source again and keep no cache")
    parser.add_argument("--no-prune", action="store_true", help="keep the cache's entries that no build uses any "
                        "longer (default: once the build succeeded, those no output folder's last build used go)")
    parser.add_argument("--report", metavar="FILE", help="write the review report to FILE (TSV): references seen but "
                        "left unresolved, the thematic index's per-meeting offsets and its unreconciled rows")


def run(args: argparse.Namespace) -> int:
    if args.no_validate:
        print("tipkg build: WARNING: --no-validate: the graph is NOT checked against the SHACL shapes; "
              "the dumps written may not conform", file=sys.stderr)
    if args.jobs is not None and args.jobs < 1:
        print(f"tipkg build: --jobs {args.jobs}: give a number of processes of 1 or more", file=sys.stderr)
        return 2
    cache = None if args.no_cache else (Path(args.cache) if args.cache else default_cache(args.out))
    oom_before = oom_kills()
    try:
        result = build(args.corpus, args.out, base=args.base, progress=None if args.quiet else stderr_progress,
                       check=not args.no_validate, cache=cache, jobs=args.jobs, prune=not args.no_prune)
    except Exception as exc:  # the machine stopped the build: a disk full or read-only, a process killed (faults.py)
        fault = disk_fault(exc, args.out, cache) or killed_fault(exc, args.out, cache, oom_before)
        if fault is None:
            raise
        raise fault from exc
    if args.report:  # OUT is the new one by now: a refused write here is the report's alone (cli.main says it)
        try:
            write_report(result.references, args.report)
        except OSError as exc:
            exc.filename = exc.filename or args.report  # a write refused names no file: it was the report's
            raise
    if not args.quiet:
        print(summary(result, args.out))
    return 0


#: the documents the summary lists, one a line: a larger corpus's (×100: 1,700; ×1000: 17,000) are counted, and
#: the catalog query that lists them all (with their kind and date) named, instead of filling the terminal or a
#: scheduled rebuild's log
LISTED_DOCUMENTS = 40
#: the catalog query the summary names for the documents it does not list
ALL_DOCUMENTS_QUERY = "documents-overview"


def summary(result, out: str) -> str:
    """The table printed after a build: paragraphs per document (the first ``LISTED_DOCUMENTS``), triples, time."""
    listed = list(result.documents.items())[:LISTED_DOCUMENTS]
    width = max([len(doc) for doc, _ in listed] + [len(f"documents: {len(result.documents)}")])
    lines = [f"{'document':<{width}}  paragraphs", f"{'-' * width}  ----------"]
    lines += [f"{doc:<{width}}  {count:>10}" for doc, count in listed]
    if len(result.documents) > len(listed):
        lines.append(f"… and {len(result.documents) - len(listed):,} more documents: "
                     f"tipkg query {ALL_DOCUMENTS_QUERY} --out {out} lists them all")
    total = sum(result.documents.values())
    lines += [f"{'-' * width}  ----------",
              f"{'documents: ' + str(len(result.documents)):<{width}}  {total:>10}",
              f"triples: {len(result.triples)}",
              f"sources: {result.extracted} extracted, {result.cached} from the cache"
              + (f"; graph parts: {result.parts} computed" if result.up_to_date is None else ""),
              *([result.pruned.text()] if result.pruned is not None else []),
              *([f"delta: {delta.removed_count} lines removed, {delta.added_count} added against the previous "
                 "build of OUT (the store and the writers started from its outputs)"]
                if (delta := getattr(result.triples, "delta", None)) is not None else []),
              "references (relation: edges found, seen but unresolved):"]
    lines += [f"  {rel}: {found} found, {missed} unresolved" for rel, (found, missed) in reference_counts(result.references).items()]
    lines += ["time: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.timings.items())
              + f" (total {sum(s for k, s in result.timings.items() if k != 'validate'):.2f}s; validation ran "
                "beside the store's load and the writers)",
              ("validation: " + (result.validation.text().splitlines()[0] if result.validation else "SKIPPED")
               if result.up_to_date is None else
               f"up to date: nothing changed since the last build, its outputs kept (validation: {result.up_to_date})"),
              f"written: {', '.join(str(p) for p in result.written)}"]
    return "\n".join(lines)
