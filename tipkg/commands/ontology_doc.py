"""Regenerate the HTML documentation of the ontology and its JSON-LD context.

Writes ontology/tipkg.html, ontology/context.jsonld and ontology/instruments.md
(the table of instrument codes, from tipkg/tables/instruments.toml).

The page is generated from ontology/tipkg.ttl (labels and definitions in
English and Arabic, alignments, domains and ranges); commit the result — a
test fails when the committed page is stale.
"""

from __future__ import annotations

import argparse

from tipkg.ontology.context import CONTEXT_FILE, write_context
from tipkg.ontology.doc import write_html
from tipkg.ontology.files import ONTOLOGY_HTML
from tipkg.ontology.instruments import write_instruments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", default=str(ONTOLOGY_HTML), help="where to write (default: ontology/tipkg.html)")


def run(args: argparse.Namespace) -> int:
    print(f"written: {write_html(args.out)}, {write_context(CONTEXT_FILE)}, {write_instruments()}")
    return 0
