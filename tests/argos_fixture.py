"""Build a tiny but real argos package (``.argosmodel``) for the argos tests.

The package holds a SentencePiece model trained on a few hundred lines and a
one-layer CTranslate2 Transformer with random weights. Its translations are
nonsense, but installing, loading, batch translation and placeholders run the
real code path. Import :func:`argos_package_file` into a test module to use it.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

PACKAGE_NAME = "translate-zh_en-0_1"
SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared/data/jiyu-zh-en.tsv.gz"
D_MODEL = 32
FFN = 64

METADATA = {
    "package_version": "0.1",
    "argos_version": "1.11.0",
    "from_code": "zh",
    "from_name": "Chinese",
    "to_code": "en",
    "to_name": "English",
    "type": "translate",
    "links": [],
}

_CACHE: dict[str, Path] = {}


def training_lines(pairs: int = 200) -> list[str]:
    """Chinese and English lines to train the tokenizer: the shared corpus, else generated."""
    lines: list[str] = []
    if SHARED_CORPUS.exists():
        with gzip.open(SHARED_CORPUS, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                if number >= pairs:
                    break
                lines.extend(line.rstrip("\n").split("\t")[:2])
    else:
        zh = "我们今天参加世界互联网大会网络空间命运共同体浙江乌镇经济发展合作"
        for i in range(pairs):
            lines.append(zh[i % 20 :] + zh[: i % 20] + "。")
            lines.append(f"We attended the conference number {i} in Wuzhen, Zhejiang.")
    lines.append("ZX0 ZX1 ZX2 QX0 XZ0 0123456789 TERM")
    return lines


def train_sentencepiece() -> bytes:
    """Train a small SentencePiece unigram model in memory and return its bytes."""
    import sentencepiece as spm

    lines = training_lines()
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=1000,
        character_coverage=0.98,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _random_weights(spec: object, vocab_size: int, seed: int = 7) -> None:
    """Fill every required weight of a TransformerSpec with small random values."""
    import numpy as np
    from ctranslate2.specs import model_spec

    rng = np.random.default_rng(seed)

    def shape(name: str) -> tuple[int, ...] | None:
        if name.endswith(("gamma", "beta")):
            return (D_MODEL,)
        if "embeddings" in name or "projection" in name:
            return (vocab_size, D_MODEL)
        if "/ffn/linear_0" in name:
            return (FFN, D_MODEL)
        if "/ffn/linear_1" in name:
            return (D_MODEL, FFN)
        if "self_attention/linear_0" in name:
            return (3 * D_MODEL, D_MODEL)
        if "/attention/linear_1" in name:
            return (2 * D_MODEL, D_MODEL)
        if "attention/linear_" in name:
            return (D_MODEL, D_MODEL)
        return None

    def fill(layer: object, name: str, value: object) -> None:
        if value is not None:
            return
        dims = shape(name)
        if dims is None:
            raise AssertionError(f"no shape rule for {name}")
        if name.endswith("gamma"):
            array = np.ones(dims, dtype=np.float32)
        else:
            array = (rng.standard_normal(dims) * 0.2).astype(np.float32)
        setattr(layer, name.rsplit("/", 1)[-1], array)

    model_spec.visit_spec(spec, fill)


def write_model(model_dir: Path, vocabulary: list[str]) -> None:
    """Write a one-layer CTranslate2 Transformer with random weights to ``model_dir``."""
    from ctranslate2.specs import TransformerSpec

    spec = TransformerSpec.from_config(1, 2)
    _random_weights(spec, len(vocabulary))
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization="float32")
    model_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(model_dir))


def build_package(dest: Path, metadata: dict | None = None) -> Path:
    """Build ``dest/<name>.argosmodel`` laid out as argos packages are; return its path."""
    import sentencepiece as spm

    work = dest / "build" / PACKAGE_NAME
    work.mkdir(parents=True)
    sp_bytes = train_sentencepiece()
    (work / "sentencepiece.model").write_bytes(sp_bytes)
    processor = spm.SentencePieceProcessor(model_proto=sp_bytes)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    write_model(work / "model", vocabulary)
    (work / "metadata.json").write_text(json.dumps(metadata or METADATA, indent=2))
    (work / "README.md").write_text("Test package with random weights. Output is nonsense.\n")
    archive = dest / f"{PACKAGE_NAME}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(work.rglob("*")):
            zf.write(path, path.relative_to(work.parent).as_posix())
    return archive


@pytest.fixture(scope="session")
def argos_package_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture ``.argosmodel`` file, built once per session (shared across modules)."""
    if "package" not in _CACHE:
        _CACHE["package"] = build_package(tmp_path_factory.mktemp("argos-fixture"))
    return _CACHE["package"]
