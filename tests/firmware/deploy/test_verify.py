"""verify_bundle on an intact bundle and on each kind of tampering, which it names."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.deploy.bundle import BundleResult
from firmware.deploy.manifest import sign
from firmware.deploy.verify import verify_bundle

pytestmark = pytest.mark.slow


def _rewrite(src: Path, dst: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(src) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return dst


@pytest.fixture(scope="module")
def signed(bundle: Callable[[str, str], BundleResult]) -> Path:
    return bundle("linux-x86_64", "c-library").path


def test_an_intact_bundle_verifies(signed: Path) -> None:
    assert verify_bundle(signed).ok and verify_bundle(signed).problems == []


def test_a_changed_file_is_named(signed: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files["impulse/mf_model.c"] = files["impulse/mf_model.c"].replace(b"static", b"static ", 1)

    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", edit))
    assert not report.ok and report.problems == ["changed file: impulse/mf_model.c"]


def test_an_added_file_is_named(signed: Path, tmp_path: Path) -> None:
    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", lambda f: f.update({"extra.c": b"int x;\n"})))
    assert report.problems == ["added file: extra.c"]


def test_a_removed_file_is_named(signed: Path, tmp_path: Path) -> None:
    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", lambda f: f.pop("Makefile")))
    assert report.problems == ["removed file: Makefile"]


def test_an_edited_manifest_has_a_bad_signature(signed: Path, tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files["manifest.json"] = files["manifest.json"].replace(
            b'"kind": "c-library"', b'"kind": "c-librarx"'
        )

    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", edit))
    assert not report.ok and any(p.startswith("bad signature") for p in report.problems)


def test_a_manifest_re_signed_with_another_key_has_a_bad_signature(signed: Path, tmp_path: Path) -> None:
    # An attacker who rewrites hashes and signs with their own key still fails against the embedded key.
    def edit(files: dict[str, bytes]) -> None:
        files["manifest.sig"] = sign(files["manifest.json"], bytes(32))

    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", edit))
    assert report.problems == ["bad signature: manifest.json does not match manifest.sig"]


def test_a_missing_signature_is_named(signed: Path, tmp_path: Path) -> None:
    report = verify_bundle(_rewrite(signed, tmp_path / "t.zip", lambda f: f.pop("manifest.sig")))
    assert report.problems == ["manifest.sig is missing"]


def test_a_file_that_is_not_a_zip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"not a zip")
    assert not verify_bundle(path).ok


def test_a_bundle_re_signed_with_its_own_key_fails_against_the_projects_key(
    signed: Path, tmp_path: Path
) -> None:
    from firmware.deploy.manifest import public_key_hex
    from tests.firmware.deploy.conftest import SIGNING_KEY

    other = bytes([7] * 32)

    def edit(files: dict[str, bytes]) -> None:
        files["manifest.json"] = files["manifest.json"].replace(
            public_key_hex(SIGNING_KEY).encode(), public_key_hex(other).encode()
        )
        files["manifest.sig"] = sign(files["manifest.json"], other)

    tampered = _rewrite(signed, tmp_path / "t.zip", edit)
    assert verify_bundle(tampered).ok  # self-consistent...
    report = verify_bundle(tampered, public_key=public_key_hex(SIGNING_KEY))
    assert report.problems == [
        f"signed by another key: {public_key_hex(other)}, expected {public_key_hex(SIGNING_KEY)}"
    ]
    assert verify_bundle(signed, public_key=public_key_hex(SIGNING_KEY)).ok
