"""The ``tipkg`` command. Each sub-command is a module of ``tipkg.commands``
with ``add_arguments(parser)`` and ``run(args) -> int``; this module only
finds them, parses the command line and turns errors into one clear line and
a non-zero exit. ``console`` is the command's entry point (``python -m tipkg``
and the installed ``tipkg`` script); ``main`` is what tests call in-process.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import multiprocessing
import os
import pkgutil
import sys
import threading
import tokenize
from importlib import import_module
from typing import NoReturn

from tipkg import __version__, commands
from tipkg.errors import TipkgError


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command`` named, only that sub-command's module is imported (the
    others are listed by their docstrings, read without importing them): ``tipkg build`` does not
    pay for the server's, the network analysis' or the notebooks' imports."""
    top = argparse.ArgumentParser(prog="tipkg", description=__doc__.split("\n")[0].replace("``", ""))
    top.add_argument("--version", action="version", version=f"tipkg {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        name = info.name.replace("_", "-")
        if command is not None and name != command:
            sub.add_parser(name, help=_docstring(info).strip().splitlines()[0])
            continue
        module = import_module(f"{commands.__name__}.{info.name}")
        parsed = sub.add_parser(name, help=module.__doc__.strip().splitlines()[0], description=module.__doc__)
        module.add_arguments(parsed)
        parsed.set_defaults(run=module.run)
    return top


def _docstring(info: pkgutil.ModuleInfo) -> str:
    """A command module's docstring, read from its source without importing it: its first token, not the
    whole module parsed (``ast.parse`` of the seven others took 8.5 ms of every ``tipkg build``'s start,
    before anything runs beside it; this 1 ms)."""
    spec = info.module_finder.find_spec(info.name, None)
    with open(spec.origin, "rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.STRING:
                return inspect.cleandoc(ast.literal_eval(token.string)) or info.name
            if token.type not in (tokenize.ENCODING, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                break  # code first: no docstring
    return info.name


def _command(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(_command(argv)).parse_args(argv)
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
    except Exception as exc:  # the machine stopped the command (a disk full or read-only, a process killed): one line
        from tipkg.faults import disk_fault, killed_fault

        if (fault := disk_fault(exc) or killed_fault(exc)) is None:
            raise
        print(f"tipkg {args.command}: error: {fault}", file=sys.stderr)
        return fault.exit_code


def console() -> NoReturn:
    """The command run as a program: ``main``, then the process ends at once (``exit_now``)."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code``, skipping the interpreter's teardown, once nothing is left to finish.

    Why: the teardown frees every object and module one by one (rdflib, numpy, the compiled shapes, the
    tables), memory the kernel takes back at once anyway; after a ×1 build it took about a tenth of a
    second of a run of under two. By then the command's outputs are written and closed (each in a
    ``with`` block, renamed into place), so only the standard streams are flushed here. While a thread
    other than this one, or a child process, is still running, the usual exit waits for them
    (``sys.exit``: it joins such threads, and ends and joins a pool's or stage's children); so it does where
    ``os._exit`` is missing. Daemon threads are left, as the usual exit leaves them."""
    busy = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if busy or multiprocessing.active_children() or not hasattr(os, "_exit"):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (BrokenPipeError) or a stream closed: nothing to flush into
            pass
    os._exit(code)


if __name__ == "__main__":
    console()
