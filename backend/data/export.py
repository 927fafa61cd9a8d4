"""Dataset export: a zip in Edge Impulse's layout (training/, testing/, anomaly/ and info.labels).

Time series become JSON acquisition documents, audio becomes 16-bit PCM WAV and images keep their
original bytes, so the archive uploads back into Moteforge or Edge Impulse as it is.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
import wave
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.blobs import get_blob_store
from backend.data import formats, repository
from backend.data.formats.detect import extension_of
from backend.data.models import Sample
from backend.data.service import load_values
from backend.data.upload import upload_dir
from backend.projects.service import ProjectContext

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "sample"


def acquisition_json(sample: Sample, values: np.ndarray) -> bytes:
    """A sample as an unsigned Edge Impulse acquisition document."""
    doc = {
        "protected": {"ver": "v1", "iat": int(sample.created_at.timestamp())},
        "payload": {
            "device_name": sample.device_name or "",
            "device_type": sample.device_type or "",
            "interval_ms": sample.interval_ms,
            "sensors": [{"name": s["name"], "units": s["units"]} for s in sample.sensors],
            "values": values.astype(float).tolist(),
        },
    }
    return formats.sign_acquisition(doc, None, "json")


def wav_bytes(sample: Sample, values: np.ndarray) -> bytes:
    rate = int(round(1000.0 / sample.interval_ms))
    pcm = np.clip(np.round(values * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(values.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _entry(sample: Sample) -> tuple[str, bytes]:
    """The file name (without folder) and bytes a sample is exported as."""
    stem = f"{_safe(sample.name)}.{sample.id}"
    if sample.kind == "image":
        ext = extension_of(sample.filename) or ".png"
        return stem + ext, get_blob_store().read_bytes(sample.original_sha256)
    values = load_values(sample)
    if sample.kind == "audio":
        return stem + ".wav", wav_bytes(sample, values)
    return stem + ".json", acquisition_json(sample, values)


def _metadata(meta: dict[str, Any]) -> dict[str, str]:
    """Edge Impulse metadata is string to string; structured values (CSV mappings, crops) are left out."""
    return {
        k: str(v) for k, v in meta.items() if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


def export_zip(session: Session, ctx: ProjectContext, *, enabled_only: bool = False) -> Path:
    """Write the project's dataset to a temporary zip and return its path (the caller deletes it)."""
    fd, name = tempfile.mkstemp(dir=upload_dir(), suffix=".zip")
    path = Path(name)
    files: list[dict[str, Any]] = []
    try:
        with open(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for sample in repository.for_training(session, ctx.project.id, None, enabled_only=enabled_only):
                filename, data = _entry(sample)
                member = f"{sample.category}/{filename}"
                zf.writestr(member, data)
                files.append(
                    {
                        "path": member,
                        "name": sample.name,
                        "category": sample.category,
                        "label": {"type": "label", "label": sample.label}
                        if sample.label is not None
                        else {"type": "unlabeled"},
                        "metadata": _metadata(sample.meta),
                        # Edge Impulse's SDK reads this key on every entry, boxes or not.
                        "boundingBoxes": sample.meta.get("bounding_boxes") or [],
                        "enabled": sample.enabled,
                    }
                )
            labels = {"version": 1, "files": files, "exportedAt": int(time.time())}
            zf.writestr(formats.LABELS_FILE, json.dumps(labels, indent=1))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    audit.record(session, ctx.principal, "sample.export", project_id=ctx.project.id, samples=len(files))
    return path
