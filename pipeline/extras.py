"""The optional parts of tmpipe (pip extras) and the one-line refusal when one is missing.

The core install (segment, glossary, memory, TMX/XLIFF, check, score, review) imports
none of them; only the MT engines do, inside the code that runs them. Presence is tested
with :func:`importlib.util.find_spec`, which finds a module without importing it.
"""

from __future__ import annotations

import importlib.util

from .errors import UserError

#: Extra → the top-level modules of it that tmpipe imports.
EXTRAS: dict[str, tuple[str, ...]] = {
    "llm": ("xllamacpp",),
    "argos": ("argostranslate", "ctranslate2", "sentencepiece"),
    "cluster": ("ray",),
}

#: The extras that each provide an MT engine, in the order ``auto`` tries them.
ENGINE_EXTRAS = ("llm", "argos")


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` is importable."""
    return all(_found(module) for module in EXTRAS[extra])


def install_hint(*extras: str) -> str:
    """``install tmpipe[llm] or tmpipe[argos]`` for ``("llm", "argos")``."""
    return "install " + " or ".join(f"tmpipe[{extra}]" for extra in extras)


def require(extra: str, what: str) -> None:
    """UserError (exit 2) naming the extra when ``extra`` is not installed."""
    if not installed(extra):
        raise UserError(f"{what} needs the {extra} extra: {install_hint(extra)}")


def require_engine() -> None:
    """UserError when no MT engine's extra is installed (the core install)."""
    if not any(installed(extra) for extra in ENGINE_EXTRAS):
        raise UserError(f"no MT engine installed: {install_hint(*ENGINE_EXTRAS)}")
