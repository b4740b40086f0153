"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests using it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present on this machine")
    return SHARED


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _model_cache_outside_home(request: pytest.FixtureRequest,
                              tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Model hash stamps written by tests go to a temporary ``TMPIPE_HOME``, not the user's
    cache; a session that runs real-model tests keeps the real one (the model lives there)."""
    if any(item.get_closest_marker("model") for item in request.session.items):
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPIPE_HOME", str(tmp_path_factory.mktemp("tmpipe-home")))
        yield
