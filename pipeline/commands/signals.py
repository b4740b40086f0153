"""SIGTERM handled like Ctrl-C, so a command stopped by a service manager says so."""

from __future__ import annotations

import signal


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt (the CLI reports it and exits 130)."""
    signal.signal(signal.SIGTERM, _terminate)
