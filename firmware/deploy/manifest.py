"""Bundle integrity: the manifest's canonical bytes, Ed25519 signing, and reproducible zip writing (fixed
timestamps, order and permissions, so identical inputs give byte-identical archives)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "moteforge-bundle/1"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
EXECUTABLE_MODE = 0o755
FILE_MODE = 0o644


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """Sorted keys, fixed separators, a final newline: the bytes that are hashed and signed."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def public_key_hex(signing_key: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(signing_key)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(manifest_bytes: bytes, signing_key: bytes) -> bytes:
    """The detached signature file's content: the Ed25519 signature in hex and a newline."""
    signature = Ed25519PrivateKey.from_private_bytes(signing_key).sign(manifest_bytes)
    return (signature.hex() + "\n").encode("ascii")


def signature_valid(manifest_bytes: bytes, signature_file: bytes, public_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_file.decode("ascii").strip()), manifest_bytes)
    except (InvalidSignature, ValueError, UnicodeDecodeError):
        return False
    return True


def write_zip(path: Any, files: Mapping[str, bytes], executables: set[str]) -> None:
    """Write ``files`` sorted by name with fixed timestamps and Unix permissions."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the permission bits
            mode = EXECUTABLE_MODE if name in executables else FILE_MODE
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, files[name], compresslevel=9)
