"""Installed argostranslate packages: list, find, install safely, verify, remove.

Packages live where argostranslate looks for them: ``$ARGOS_PACKAGES_DIR``, else the
``ARGOS_PACKAGES_DIR`` key of argos' ``settings.json``, else
``$XDG_DATA_HOME/argos-translate/packages``. We do not import argostranslate here (importing
its settings creates folders and loads slowly) and never call its ``install_from_path``,
which extracts archives blindly. :func:`install` validates every member before writing a
byte, extracts into a hidden temp folder inside the packages folder and renames it into
place, so a package is either fully installed or absent.

Install accepts any language pair (it is package management); :func:`find_package` and the
``argos`` engine only use zh→en packages.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import UserError
from .modelstore import file_sha256, hash_file

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_METADATA_BYTES = 1024**2
MODEL_FILE = "model/model.bin"
TOKENIZERS = ("sentencepiece.model", "bpe.model")
RECORD = ".tmpipe-install.json"  # install-time hash of model.bin, for ``verify``
_TMP_PREFIX = ".tmpipe-"


@dataclass
class PackageInfo:
    """An installed package. ``sha256`` is the hash of its ``model/model.bin``."""

    name: str
    from_code: str
    to_code: str
    path: Path
    size: int
    sha256: str
    version: str


def packages_dir() -> Path:
    """The folder argostranslate installs packages into (it may not exist yet)."""
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        setting = json.loads((config / "argos-translate/settings.json").read_text()).get(
            "ARGOS_PACKAGES_DIR"
        )
        if setting:
            return Path(setting).expanduser()
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share")
    return data / "argos-translate" / "packages"


def _metadata(data: bytes, where: str | Path) -> dict:
    """Parse and check ``metadata.json`` content."""
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"metadata.json is not valid JSON: {exc}", where) from exc
    if not isinstance(meta, dict):
        raise UserError("metadata.json must hold a JSON object", where)
    for key in ("from_code", "to_code"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise UserError(f"metadata.json lacks {key}", where)
    return meta


def read_metadata(path: Path) -> dict:
    """The checked ``metadata.json`` of the package folder ``path``."""
    meta_path = path / "metadata.json"
    try:
        return _metadata(meta_path.read_bytes(), meta_path)
    except OSError as exc:
        raise UserError(f"not an argos package: {exc.strerror or exc}", path) from exc


def read_package(path: Path) -> PackageInfo:
    """Describe the package folder ``path`` (UserError when it is not a package)."""
    meta = read_metadata(path)
    model = path / MODEL_FILE
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return PackageInfo(
        name=path.name,
        from_code=meta["from_code"],
        to_code=meta["to_code"],
        path=path,
        size=size,
        sha256=file_sha256(model) if model.is_file() else "",  # stamped: hashed once
        version=str(meta.get("package_version", "")),
    )


def installed() -> list[PackageInfo]:
    """Installed packages, sorted by name; unreadable folders are skipped."""
    root = packages_dir()
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        with contextlib.suppress(UserError, OSError):
            found.append(read_package(path))
    return found


def lang(code: str) -> str:
    """Primary language subtag: ``zh-CN``, ``zh_Hans``, ``ZH`` → ``zh``."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.replace("_", ".").split(".") if p.isdigit())


def find_package(from_code: str = "zh", to_code: str = "en") -> PackageInfo | None:
    """The best installed package for the pair, or None.

    Codes match on the primary subtag (``zh``, ``zh-CN``, ``zh_Hans``…); for Chinese,
    argos' ``zt`` (Traditional) is accepted when no ``zh`` package exists. Among equals the
    highest ``package_version`` wins. Packages without ``model/model.bin`` are ignored.
    """
    want_from, want_to = lang(from_code), lang(to_code)
    fallback = {"zh": "zt"}.get(want_from)
    best: tuple[tuple, PackageInfo] | None = None
    for info in installed():
        if lang(info.to_code) != want_to or not info.sha256:
            continue
        src = lang(info.from_code)
        if src == want_from:
            rank = 1
        elif src == fallback:
            rank = 0
        else:
            continue
        key = (rank, _version_key(info.version), info.name)
        if best is None or key > best[0]:
            best = (key, info)
    return best[1] if best else None


def _member_parts(info: zipfile.ZipInfo, where: Path) -> tuple[str, ...]:
    """Validated path parts of a zip member; refuse anything that could escape or mislead."""
    name = info.filename
    if "\\" in name or "\x00" in name:
        raise UserError(f"member {name!r} has a backslash or NUL in its name", where)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UserError(f"member {name!r} has an absolute path", where)
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", ".") for p in parts) or ".." in name.split("/"):
        raise UserError(f"member {name!r} has a '..' or empty path", where)
    kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
    if kind == stat.S_IFLNK:
        raise UserError(f"member {name!r} is a symbolic link", where)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no unix file type recorded
        raise UserError(f"member {name!r} is not a regular file or folder", where)
    if info.flag_bits & 0x1:
        raise UserError(f"member {name!r} is encrypted", where)
    return parts


def check_archive(
    path: Path, max_bytes: int = MAX_TOTAL_BYTES, max_members: int = MAX_MEMBERS
) -> tuple[str, dict, list[tuple[zipfile.ZipInfo, tuple[str, ...]]]]:
    """Validate an ``.argosmodel`` without extracting; return (root folder, metadata, members)."""
    if not path.is_file():
        raise UserError("no such package file", path)
    if not zipfile.is_zipfile(path):
        raise UserError("not an argos package: not a zip archive (or truncated)", path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            members = [(info, _member_parts(info, path)) for info in infos]
            if len(members) > max_members:
                raise UserError(f"too many members ({len(members)} > {max_members})", path)
            total = sum(info.file_size for info in infos)
            if total > max_bytes:
                raise UserError(f"unpacks to {total} bytes, over the {max_bytes} limit", path)
            names = [info.filename.rstrip("/") for info in infos]
            if len(set(names)) != len(names):
                raise UserError("archive has duplicate member names", path)
            roots = {parts[0] for _, parts in members}
            if len(roots) != 1 or any(len(p) == 1 and not i.is_dir() for i, p in members):
                raise UserError("archive must hold exactly one package folder", path)
            root = roots.pop()
            if root.startswith("."):
                raise UserError(f"package folder {root!r} is hidden", path)
            files = {"/".join(parts[1:]): info for info, parts in members if not info.is_dir()}
            if "metadata.json" not in files:
                raise UserError(f"no {root}/metadata.json in the archive", path)
            if files["metadata.json"].file_size > MAX_METADATA_BYTES:
                raise UserError("metadata.json is too large", path)
            meta = _metadata(zf.read(files["metadata.json"]), path)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError) as exc:
        raise UserError(f"corrupt or truncated zip archive: {exc}", path) from exc
    if meta.get("type", "translate") == "translate":
        if MODEL_FILE not in files:
            raise UserError(f"no {root}/{MODEL_FILE} (CTranslate2 model) in the archive", path)
        if not any(t in files for t in TOKENIZERS):
            raise UserError(f"no {root}/sentencepiece.model or bpe.model in the archive", path)
    return root, meta, members


def _extract(path: Path, members: list, dest: Path) -> None:
    """Write the validated members under ``dest``, refusing any size the headers hid."""
    with zipfile.ZipFile(path) as zf:
        for info, parts in members:
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, open(target, "xb") as out:
                for block in iter(lambda s=src: s.read(1 << 20), b""):
                    written += len(block)
                    if written > info.file_size:
                        raise UserError(f"member {info.filename!r} is larger than declared", path)
                    out.write(block)


def install(
    path: str | Path, max_bytes: int = MAX_TOTAL_BYTES, max_members: int = MAX_MEMBERS
) -> PackageInfo:
    """Validate then install an ``.argosmodel`` file atomically; return the installed package.

    Refuses (UserError naming the file) anything but a well-formed zip holding one package
    folder with ``metadata.json`` (from_code/to_code), a model and a tokenizer, with no
    absolute, ``..``, symlink or special members, within the size and member limits. A
    package of the same folder name must be removed first.
    """
    path = Path(path)
    root, meta, members = check_archive(path, max_bytes, max_members)
    target_root = packages_dir()
    final = target_root / root
    if final.exists():
        raise UserError(f"package {root} is already installed; remove it first", path)
    try:
        target_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=target_root))
    except OSError as exc:
        why = exc.strerror or exc
        raise UserError(f"cannot write packages folder: {why}", target_root) from exc
    try:
        _extract(path, members, tmp)
        staged = tmp / root
        model = staged / MODEL_FILE
        record = {"model_sha256": hash_file(model) if model.is_file() else ""}
        record["archive"] = path.name
        (staged / RECORD).write_text(json.dumps(record, indent=2))
        os.rename(staged, final)
    except (zipfile.BadZipFile, EOFError, RuntimeError, ValueError) as exc:
        raise UserError(f"corrupt zip archive: {exc}", path) from exc
    except OSError as exc:
        raise UserError(f"cannot install: {exc.strerror or exc}", path) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return read_package(final)


def _installed_path(name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UserError(f"not a package name: {name!r}")
    path = packages_dir() / name
    if not (path / "metadata.json").is_file():
        raise UserError(f"no installed argos package named {name!r} in {packages_dir()}")
    return path


def uninstall(name: str) -> None:
    """Remove the installed package folder ``name`` (renamed away first, then deleted)."""
    path = _installed_path(name)
    doomed = path.with_name(f"{_TMP_PREFIX}remove-{name}")
    try:
        shutil.rmtree(doomed, ignore_errors=True)
        os.rename(path, doomed)
    except OSError as exc:
        raise UserError(f"cannot remove package: {exc.strerror or exc}", path) from exc
    shutil.rmtree(doomed, ignore_errors=True)


def verify(info: PackageInfo) -> str | None:
    """Re-hash ``model.bin``; return what is wrong, or None when it matches the install record.

    Packages installed by other tools have no record; only their model's presence is checked.
    """
    model = info.path / MODEL_FILE
    if not model.is_file():
        return f"{model} is missing"
    actual = hash_file(model)
    try:
        recorded = json.loads((info.path / RECORD).read_text()).get("model_sha256")
    except (OSError, ValueError, AttributeError):
        return None
    if recorded and recorded != actual:
        return f"{model}: sha256 {actual} differs from {recorded} recorded at install"
    return None
