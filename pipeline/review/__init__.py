"""The review workspace: a local web app where reviewers post-edit a run into the memory.

``tmpipe review RUN_DIR --serve`` (see :mod:`.server`) serves the page in ``static/`` and
the JSON API of :mod:`.app` over one :class:`.workspace.Workspace`; :mod:`.store` is the
only door to the translation memory. ``--export`` rebuilds the run's outputs from it.
"""

from __future__ import annotations

from ..units import STATES
from .server import BackgroundServer, access_token, is_loopback, open_workspace, serve
from .store import MemoryStore, Record, Store
from .workspace import Workspace

__all__ = ["BackgroundServer", "MemoryStore", "Record", "STATES", "Store", "Workspace",
           "access_token", "is_loopback", "open_workspace", "serve"]
