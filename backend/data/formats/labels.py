"""Labels and train/test categories derived without asking the user: from file names and content hashes."""

from __future__ import annotations

import re

from backend.data.formats.types import Category

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

# Share of samples that auto_category sends to training, in percent.
TRAINING_PERCENT = 80


def label_from_filename(filename: str) -> str | None:
    """Label the way Edge Impulse names files: the text before the first dot of the base name.

    `"idle.01.csv"` -> `"idle"`, `"wave.s1234.json"` -> `"wave"`, `"data/up.3.wav"` -> `"up"`. Suffixes such
    as `.s1234` or an export's random id need no special case since everything after the first dot is
    dropped. A name with nothing before its first dot (`".hidden"`) gives None.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    label = base.split(".", 1)[0].strip()
    return label or None


def auto_category(sha256_hex: str) -> Category:
    """Stable 80/20 training/testing split keyed by the sample's content hash.

    The same content always lands in the same category, whatever the upload order, and the hash is
    uniform, so the first 32 bits taken modulo 100 split the data 80/20.
    """
    if not _HEX64.fullmatch(sha256_hex):
        raise ValueError(f"expected a sha256 hex digest (64 hex characters), got {sha256_hex!r}")
    bucket = int(sha256_hex[:8], 16) % 100
    return "training" if bucket < TRAINING_PERCENT else "testing"
