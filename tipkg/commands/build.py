"""Build the graph of a corpus and write its dumps.

Reads the corpus (default: the bundled one), builds the graph, and writes
graph.nt (sorted, byte-identical across runs) and graph.ttl into --out
(default: ./out). Outputs appear only when the whole build succeeded.
"""

from __future__ import annotations

import argparse
import sys

from tipkg.pipeline import DEFAULT_OUT, build, stderr_progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder with a manifest.toml (default: bundled corpus)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    parser.add_argument("--base", metavar="IRI", help="base IRI of minted URIs (default: $TIPKG_BASE_IRI or https://w3id.org/tipkg/id/)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary")
    parser.add_argument("--report", metavar="FILE", help="write the review report (thematic index offsets, "
                        "unreconciled and unplaced index rows) as TSV to FILE")


def run(args: argparse.Namespace) -> int:
    result = build(args.corpus, args.out, base=args.base, progress=None if args.quiet else stderr_progress)
    if getattr(args, "report", None):
        with open(args.report, "w", encoding="utf-8") as fh:
            fh.write("\n".join(result.report) + "\n")
    if not args.quiet:
        print(summary(result, args.out))
    return 0


def summary(result, out: str) -> str:
    """The table printed after a build: paragraphs per document, triples, time."""
    width = max(len(doc) for doc in result.documents) if result.documents else 10
    lines = [f"{'document':<{width}}  paragraphs", f"{'-' * width}  ----------"]
    lines += [f"{doc:<{width}}  {count:>10}" for doc, count in result.documents.items()]
    total = sum(result.documents.values())
    lines += [f"{'-' * width}  ----------",
              f"{'documents: ' + str(len(result.documents)):<{width}}  {total:>10}",
              f"triples: {result.triples}",
              "time: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.timings.items())
              + f" (total {sum(result.timings.values()):.2f}s)",
              f"written: {', '.join(str(p) for p in result.written)}"]
    lines += [line for line in result.report if line.startswith(("# thematic index", "offset\t"))]
    return "\n".join(lines)
