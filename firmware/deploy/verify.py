"""Checking a downloaded bundle: the manifest's Ed25519 signature and the sha256 of every file, naming what
was changed, added or removed."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from firmware.deploy import manifest


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)


def verify_bundle(zip_path: Path, *, public_key: str | None = None) -> VerifyReport:
    """Whether the bundle is as Moteforge signed it; each problem names the file concerned.

    The manifest carries its own public key, so anyone can check integrity; pass the project's deploy key
    (hex) as ``public_key`` to also check who signed it (a re-signed bundle carries another key)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError) as exc:
        return VerifyReport(False, [f"not a readable zip: {exc}"])
    body = files.get(manifest.MANIFEST)
    signature = files.get(manifest.SIGNATURE)
    if body is None:
        return VerifyReport(False, [f"{manifest.MANIFEST} is missing"])
    if signature is None:
        return VerifyReport(False, [f"{manifest.SIGNATURE} is missing"])
    try:
        document = json.loads(body)
        listed: dict[str, str] = document["files"]
        embedded_key = str(document["signature"]["public_key"])
    except (ValueError, KeyError, TypeError) as exc:
        return VerifyReport(False, [f"{manifest.MANIFEST} is not a Moteforge manifest: {exc}"])
    problems = []
    if public_key is not None and public_key.lower() != embedded_key.lower():
        problems.append(f"signed by another key: {embedded_key}, expected {public_key}")
    if not manifest.signature_valid(body, signature, embedded_key):
        problems.append(f"bad signature: {manifest.MANIFEST} does not match {manifest.SIGNATURE}")
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"removed file: {name}")
        elif manifest.sha256(files[name]) != digest:
            problems.append(f"changed file: {name}")
    for name in sorted(set(files) - set(listed) - {manifest.MANIFEST, manifest.SIGNATURE}):
        problems.append(f"added file: {name}")
    return VerifyReport(not problems, problems)
