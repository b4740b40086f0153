"""Safe argos package handling: validation before extraction, atomic install, find, remove."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest
from argos_fixture import PACKAGE_NAME, argos_package_file  # noqa: F401

from pipeline.engines import argos_packages as ap
from pipeline.errors import UserError

META = {"from_code": "zh", "to_code": "en", "package_version": "1.0"}


@pytest.fixture
def pkgdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ARGOS_PACKAGES_DIR for one test."""
    root = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(root))
    return root


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def package_members(root: str = "pkg", meta: dict | None = None) -> dict[str, bytes]:
    return {
        f"{root}/metadata.json": json.dumps(META if meta is None else meta).encode(),
        f"{root}/model/model.bin": b"model bytes " * 10,
        f"{root}/sentencepiece.model": b"spm",
    }


def assert_nothing_installed(pkgdir: Path, tmp_path: Path) -> None:
    assert not pkgdir.exists() or list(pkgdir.iterdir()) == []
    assert not (tmp_path / "evil").exists() and not Path("/tmp/tmpipe-evil").exists()


def test_packages_dir_follows_env_then_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "p"))
    assert ap.packages_dir() == tmp_path / "p"
    monkeypatch.delenv("ARGOS_PACKAGES_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert ap.packages_dir() == tmp_path / "data/argos-translate/packages"
    (tmp_path / "cfg/argos-translate").mkdir(parents=True)
    settings = {"ARGOS_PACKAGES_DIR": str(tmp_path / "s")}
    (tmp_path / "cfg/argos-translate/settings.json").write_text(json.dumps(settings))
    assert ap.packages_dir() == tmp_path / "s"


def test_install_fixture_list_find_verify_uninstall(
    pkgdir: Path,
    argos_package_file: Path,  # noqa: F811
) -> None:
    assert ap.installed() == [] and ap.find_package() is None
    info = ap.install(argos_package_file)
    model = pkgdir / PACKAGE_NAME / "model/model.bin"
    assert info.name == PACKAGE_NAME and info.path == pkgdir / PACKAGE_NAME
    assert (info.from_code, info.to_code, info.version) == ("zh", "en", "0.1")
    assert info.sha256 == hashlib.sha256(model.read_bytes()).hexdigest()
    assert info.size >= model.stat().st_size
    assert ap.installed() == [info]
    assert ap.find_package("zh-CN", "en_US") == info
    assert ap.find_package("en", "de") is None
    assert ap.verify(info) is None
    assert [p.name for p in pkgdir.iterdir()] == [PACKAGE_NAME]  # no temp folder left
    with pytest.raises(UserError, match="already installed"):
        ap.install(argos_package_file)
    ap.uninstall(PACKAGE_NAME)
    assert ap.installed() == [] and list(pkgdir.iterdir()) == []


def test_verify_detects_tampered_model(pkgdir: Path, tmp_path: Path) -> None:
    info = ap.install(make_zip(tmp_path / "p.argosmodel", package_members()))
    (info.path / "model/model.bin").write_bytes(b"tampered")
    assert "differs" in (ap.verify(info) or "")
    (info.path / "model/model.bin").unlink()
    assert "missing" in (ap.verify(info) or "")


EVIL = [
    ("../evil", "'..'"),
    ("pkg/../../evil", "'..'"),
    ("/tmp/tmpipe-evil", "absolute"),
    ("C:/evil", "absolute"),
    ("pkg\\..\\evil", "backslash"),
]


@pytest.mark.parametrize(("name", "why"), EVIL)
def test_zip_slip_members_are_refused(pkgdir: Path, tmp_path: Path, name: str, why: str) -> None:
    archive = make_zip(tmp_path / "evil.argosmodel", {**package_members(), name: b"x"})
    with pytest.raises(UserError, match=why) as err:
        ap.install(archive)
    assert str(archive) in str(err.value)
    assert_nothing_installed(pkgdir, tmp_path)


def test_symlink_member_is_refused(pkgdir: Path, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "link.argosmodel", package_members())
    with zipfile.ZipFile(archive, "a") as zf:
        info = zipfile.ZipInfo("pkg/link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UserError, match="symbolic link"):
        ap.install(archive)
    assert_nothing_installed(pkgdir, tmp_path)


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({k: v for k, v in package_members().items() if "metadata" not in k}, "no pkg/metadata"),
        (package_members(meta={"from_code": "zh"}), "lacks to_code"),
        (package_members(meta={"from_code": "zh", "to_code": " "}), "lacks to_code"),
        ({**package_members(), "pkg/metadata.json": b"{not json"}, "not valid JSON"),
        ({**package_members(), "pkg/metadata.json": b"[]"}, "JSON object"),
        ({k: v for k, v in package_members().items() if "model.bin" not in k}, "model.bin"),
        ({k: v for k, v in package_members().items() if "sentencepiece" not in k}, "tokenizer|bpe"),
        ({**package_members(), **package_members("other")}, "exactly one package folder"),
        ({**package_members(), "stray.txt": b"x"}, "exactly one package folder"),
        (package_members(".hidden"), "hidden"),
    ],
)
def test_bad_package_contents_are_refused(
    pkgdir: Path, tmp_path: Path, members: dict[str, bytes], why: str
) -> None:
    archive = make_zip(tmp_path / "bad.argosmodel", members)
    with pytest.raises(UserError, match=why) as err:
        ap.install(archive)
    assert str(archive) in str(err.value)
    assert_nothing_installed(pkgdir, tmp_path)


def test_not_a_zip_and_missing_file(pkgdir: Path, tmp_path: Path) -> None:
    text = tmp_path / "model.argosmodel"
    text.write_text("this is not a zip\n")
    with pytest.raises(UserError, match="not a zip") as err:
        ap.install(text)
    assert str(text) in str(err.value)
    with pytest.raises(UserError, match="no such package file"):
        ap.install(tmp_path / "absent.argosmodel")


def test_truncated_zip_is_refused(
    pkgdir: Path,
    tmp_path: Path,
    argos_package_file: Path,  # noqa: F811
) -> None:
    data = argos_package_file.read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        truncated = tmp_path / f"cut{cut}.argosmodel"
        truncated.write_bytes(data[:cut])
        with pytest.raises(UserError, match="zip") as err:
            ap.install(truncated)
        assert str(truncated) in str(err.value)
    assert_nothing_installed(pkgdir, tmp_path)


def test_corrupt_member_data_leaves_nothing_behind(pkgdir: Path, tmp_path: Path) -> None:
    payload = b"MODEL-PAYLOAD-" * 50
    members = {**package_members(), "pkg/model/model.bin": payload}
    archive = make_zip(tmp_path / "crc.argosmodel", members, zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    at = raw.index(payload) + 100
    raw[at] ^= 0xFF
    archive.write_bytes(bytes(raw))
    with pytest.raises(UserError, match="corrupt") as err:
        ap.install(archive)
    assert str(archive) in str(err.value)
    assert_nothing_installed(pkgdir, tmp_path)


def test_size_and_member_limits(pkgdir: Path, tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.argosmodel", package_members())
    with pytest.raises(UserError, match="over the 50 limit"):
        ap.install(archive, max_bytes=50)
    with pytest.raises(UserError, match="too many members"):
        ap.install(archive, max_members=2)
    assert_nothing_installed(pkgdir, tmp_path)
    assert ap.install(archive).name == "pkg"


def test_zip_bomb_ratio_is_bounded_by_declared_size(pkgdir: Path, tmp_path: Path) -> None:
    members = {**package_members(), "pkg/model/zeros.bin": bytes(2_000_000)}
    archive = make_zip(tmp_path / "bomb.argosmodel", members)
    assert archive.stat().st_size < 50_000
    with pytest.raises(UserError, match="limit"):
        ap.install(archive, max_bytes=1_000_000)


def test_install_accepts_any_pair_but_find_package_wants_zh_en(
    pkgdir: Path, tmp_path: Path
) -> None:
    meta = {"from_code": "en", "to_code": "de", "package_version": "1.0"}
    ap.install(make_zip(tmp_path / "ende.argosmodel", package_members("ende", meta)))
    assert [p.name for p in ap.installed()] == ["ende"]
    assert ap.find_package("zh", "en") is None
    assert ap.find_package("en", "de").name == "ende"


def test_find_package_prefers_zh_and_newest(pkgdir: Path, tmp_path: Path) -> None:
    variants = [
        ("zt_en", {"from_code": "zt", "to_code": "en", "package_version": "9.0"}),
        ("zh_en_old", {"from_code": "zh-CN", "to_code": "en", "package_version": "1.2"}),
        ("zh_en_new", {"from_code": "zh_Hans", "to_code": "EN", "package_version": "1.10"}),
    ]
    for name, meta in variants:
        ap.install(make_zip(tmp_path / f"{name}.argosmodel", package_members(name, meta)))
    assert ap.find_package().name == "zh_en_new"
    ap.uninstall("zh_en_new")
    ap.uninstall("zh_en_old")
    assert ap.find_package().name == "zt_en"


def test_installed_skips_broken_and_hidden_folders(pkgdir: Path, tmp_path: Path) -> None:
    ap.install(make_zip(tmp_path / "p.argosmodel", package_members()))
    (pkgdir / "broken").mkdir()
    (pkgdir / "broken/metadata.json").write_text("{")
    (pkgdir / ".tmpipe-leftover").mkdir()
    assert [p.name for p in ap.installed()] == ["pkg"]


@pytest.mark.parametrize("name", ["", "../pkg", ".tmpipe-x", "a/b", "absent"])
def test_uninstall_refuses_bad_or_unknown_names(pkgdir: Path, tmp_path: Path, name: str) -> None:
    ap.install(make_zip(tmp_path / "p.argosmodel", package_members()))
    with pytest.raises(UserError):
        ap.uninstall(name)
    assert [p.name for p in ap.installed()] == ["pkg"]
