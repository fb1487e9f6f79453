"""The ``tipkg`` command. Each sub-command is a module of ``tipkg.commands``
with ``add_arguments(parser)`` and ``run(args) -> int``; this module only
finds them, parses the command line and turns errors into one clear line and
a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import sys
from importlib import import_module

from tipkg import __version__, commands
from tipkg.errors import TipkgError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tipkg", description=__doc__.split("\n")[0].replace("``", ""))
    top.add_argument("--version", action="version", version=f"tipkg {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = import_module(f"{commands.__name__}.{info.name}")
        command = sub.add_parser(info.name.replace("_", "-"), help=module.__doc__.strip().splitlines()[0],
                                 description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except TipkgError as exc:
        print(f"tipkg {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (`tipkg analyze … | head`): what it read was enough; outputs
        # (an --export file) are written before printing. Silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"tipkg {args.command}: interrupted; outputs left as they were", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
