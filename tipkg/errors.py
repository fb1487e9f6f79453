"""Errors that end a run with a clear, located message and a non-zero exit."""

from __future__ import annotations

from os import PathLike


class TipkgError(Exception):
    """A user-facing error: names the file, the line when known, and the reason.

    >>> str(TipkgError("corpus/manifest.toml", "no [[source]] entries", line=3))
    'corpus/manifest.toml:3: no [[source]] entries'
    """

    exit_code = 2

    def __init__(self, path: str | PathLike[str], reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class ValidationFailed(TipkgError):
    """The graph does not conform to the SHACL shapes (``report`` says where)."""

    exit_code = 3

    def __init__(self, path: str | PathLike[str], reason: str, line: int | None = None, report: object = None) -> None:
        super().__init__(path, reason, line)
        self.report = report
