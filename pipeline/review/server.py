"""Running the workspace: access token, address rules, uvicorn in the foreground or a thread."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .app import create_app
from .store import MemoryStore, Store
from .workspace import Workspace

LOOPBACK_NAMES = frozenset({"localhost"})
MIN_TOKEN = 8


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access_token(host: str, chosen: str | None) -> str:
    """The token to require: the user's, or a random one on a loopback address.

    Any other address needs a token chosen by the user, never an empty or short one.
    """
    if chosen is not None:
        if len(chosen.strip()) < MIN_TOKEN or chosen != chosen.strip():
            raise UserError(f"the access token must have at least {MIN_TOKEN} characters "
                            "and no surrounding spaces")
        return chosen
    if not is_loopback(host):
        raise UserError(f"serving on {host} needs an access token chosen by you: --token or "
                        "TMPIPE_REVIEW_TOKEN")
    return secrets.token_urlsafe(32)


def open_workspace(run_dir: Path, tm_path: Path, glossary: Path | None, reviewer: str,
                   store: Store | None = None) -> Workspace:
    """The workspace for ``run_dir`` over the memory at ``tm_path``."""
    from ..glossary import load_glossary

    if not Path(run_dir).is_dir():
        raise UserError("not a folder (expected a run's output folder)", run_dir)
    if store is None and not Path(tm_path).is_file():
        raise UserError("translation memory not found (the run's --tm)", tm_path)
    loaded = load_glossary(glossary) if glossary is not None else None
    return Workspace(Path(run_dir), store or MemoryStore(tm_path), glossary=loaded,
                     reviewer=reviewer)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket, host: str, token: str) -> str:
    """The address to open, with the access token (as Jupyter prints it)."""
    from urllib.parse import quote

    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={quote(token, safe='')}"


def _server(workspace: Workspace, token: str):
    import uvicorn

    config = uvicorn.Config(create_app(workspace, token), log_level="warning",
                            access_log=False, lifespan="off", server_header=False)
    return uvicorn.Server(config)


def serve(workspace: Workspace, host: str, port: int, token: str, *, announce,
          open_browser: bool = False) -> None:
    """Serve ``workspace`` until interrupted; ``announce(url)`` is called once listening."""
    sock = bind(host, port)
    url = url_for(sock, host, token)
    server = _server(workspace, token)
    announce(url)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    with sock:
        server.run(sockets=[sock])


@dataclass
class BackgroundServer:
    """The workspace served from a thread (for scripts that drive it: tests, benchmarks)."""

    workspace: Workspace
    token: str
    host: str = "127.0.0.1"
    port: int = 0

    def __enter__(self) -> BackgroundServer:
        self.sock = bind(self.host, self.port)
        self.url = url_for(self.sock, self.host, self.token)
        self.base = self.url.split("/?")[0]
        self.server = _server(self.workspace, self.token)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the review server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
