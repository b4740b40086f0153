"""``tmpipe models``: list, install, remove, verify and prepare MT models."""

from __future__ import annotations

from pathlib import Path

import click

from .. import extras
from ..engines import argos_packages, modelstore
from ..errors import UserError
from .jsonout import emit_json, json_option, to_stdout


def _llm_rows() -> list[dict]:
    path = modelstore.embedded_model_path()
    if modelstore.embedded_ready():
        status = "ready"
    elif path.exists():
        status = "not verified (run `tmpipe models verify`)"
    elif modelstore.parts_available():
        status = "not assembled (run `tmpipe models prepare`)"
    else:
        status = "not installed (install tmpipe[model])"
    rows = [{"engine": "llm", "model": modelstore.MODEL_NAME, "path": str(path),
             "size": modelstore.MODEL_SIZE, "sha256": modelstore.MODEL_SHA256,
             "status": status, "source": "embedded"}]
    choice = modelstore.choose_model()
    if not choice.embedded:
        custom = choice.path
        exists = custom.is_file()
        sha = modelstore.read_stamp(custom) if exists else None
        rows.append({"engine": "llm", "model": custom.name, "path": str(custom),
                     "size": custom.stat().st_size if exists else None, "sha256": sha or "",
                     "status": ("ready" if sha else "not hashed yet") if exists else "missing",
                     "source": choice.source})
    return rows


def _argos_rows() -> list[dict]:
    return [{"engine": "argos", "model": p.name, "path": str(p.path), "size": p.size,
             "sha256": p.sha256, "status": f"{p.from_code}→{p.to_code}", "source": "argos"}
            for p in argos_packages.installed()]


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
        chosen = models[1] if len(models) > 1 and models[1]["source"] == modelstore.ENV_MODEL \
            else models[0]
    elif default == "argos":
        info = argos_packages.find_package("zh", "en")
        chosen = next((m for m in models if info and m["path"] == str(info.path)), None)
    for m in models:
        m["default"] = m is chosen
    return {"default_engine": default, "engines": engines, "models": models}


@click.group("models")
def models_group() -> None:
    """List, install, remove, verify and prepare MT models."""


@models_group.command("list")
@json_option("the engines and models")
def list_command(json_path: Path | None) -> None:
    """Engines and models with paths, sizes and hashes; * marks the default."""
    inv = _inventory()
    emit_json(json_path, inv)
    if to_stdout(json_path):
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
def prepare_command(force: bool) -> None:
    """Assemble the embedded model from its installed parts (once; later runs reuse it)."""
    ready = not force and modelstore.embedded_ready()
    path = modelstore.prepare(force=force)
    click.echo(f"embedded model {'already ' if ready else ''}ready: {path}")
    click.echo(f"  {modelstore.MODEL_SIZE:,} bytes, sha256 {modelstore.MODEL_SHA256}")


@models_group.command("verify")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Also re-hash this GGUF file (default: ${modelstore.ENV_MODEL} if set).")
def verify_command(model_path: Path | None) -> None:
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
    choice = modelstore.choose_model(model_path)
    if not choice.embedded:
        custom = choice.path
        if not custom.is_file():
            problems.append(f"{custom}: model file not found")
        else:
            before = modelstore.read_stamp(custom)
            result = modelstore.verify(custom, before)
            if result.ok:
                click.echo(f"ok      llm {custom} sha256 {result.sha256}")
            else:
                problems.append(f"{custom}: sha256 {result.sha256} differs from {before}")
    for info in argos_packages.installed():
        why = argos_packages.verify(info)
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
def install_command(file: Path) -> None:
    """Validate and install an argos package (FILE.argosmodel)."""
    extras.require("argos", "installing an argos package")
    info = argos_packages.install(file)
    click.echo(f"installed {info.name} ({info.from_code}→{info.to_code}) at {info.path}")
    click.echo(f"  {info.size:,} bytes, model sha256 {info.sha256}")


@models_group.command("remove")
@click.argument("name")
def remove_command(name: str) -> None:
    """Remove the installed argos package NAME."""
    argos_packages.uninstall(name)
    click.echo(f"removed {name}")


COMMANDS: list[click.Command] = [models_group]
