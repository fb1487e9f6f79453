"""Show what a build cache holds and which output folders use it; remove what none uses.

The cache (default: the one `tipkg build --out DIR` keeps beside DIR, ./out's
unless --out is given; or --cache DIR), its files and size, each output folder
whose builds used it (when its last build started, its triples, whether the
folder is still there), and how much no output folder's last build used. A
build removes that itself once it succeeded (unless --no-prune); --prune
removes it now, by the same rule (tipkg/cache_use.py), and never while a build
uses the cache.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tipkg.cache_use import CacheUse, stamps
from tipkg.faults import size_text
from tipkg.errors import TipkgError
from tipkg.pipeline import DEFAULT_OUT
from tipkg.units import CACHE_NAME, default_cache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                       help=f"the output folder whose default cache ({CACHE_NAME} beside it) to show (default: ./{DEFAULT_OUT})")
    where.add_argument("--cache", metavar="DIR", help="the cache folder to show (as given to tipkg build --cache)")
    parser.add_argument("--prune", action="store_true", help="remove the entries no output folder's last build used")


def run(args: argparse.Namespace) -> int:
    cache = Path(args.cache) if args.cache else default_cache(args.out)
    if not (cache / "builds").is_dir():
        near = sorted(str(p.parent) for p in cache.parent.glob("*/builds") if p.is_dir())
        raise TipkgError(cache, "no build cache here (a build with --cache DIR, or --out DIR for the one beside it, "
                                "makes one)" + (f"; caches beside it: {', '.join(near)}" if near else ""))
    with CacheUse(cache) as use:
        if args.prune:
            print(use.prune().text())
        unused = use.unused()
        found = stamps(cache)
    entries, size = unused.kept + unused.removed, unused.kept_bytes + unused.removed_bytes
    print(f"cache: {cache}: {entries:,} entries ({size_text(size)})"
          + (f", of which {unused.removed:,} ({size_text(unused.removed_bytes)}) no output folder's last build used"
             + ("" if args.prune else ": tipkg cache --prune removes them; a build does once it succeeded")
             if unused.removed else ""))
    for stamp in found:
        if not stamp.out:
            print("  an output folder built by an older tipkg (which did not say which; its entries do not count)")
        elif not stamp.held:
            print(f"  {stamp.out}: removed (its entries no longer count)")
        else:
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp.started / 1e9)) if stamp.started else "?"
            print(f"  {stamp.out}: last build started {when}, {stamp.triples:,} triples")
    return 0
