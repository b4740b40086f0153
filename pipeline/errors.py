"""Errors that reach the user as one line and an exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Bad input or usage. The CLI prints ``tmpipe: error: <message>`` and exits 2."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.message = message
        self.path = path
        self.line = line


class Interrupted(UserError):
    """The user stopped a run (Ctrl-C); what was saved is kept. Exit code 130."""

    exit_code = 130
