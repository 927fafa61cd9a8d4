"""Demo dataset: sktime's BasicMotions (smartwatch accelerometer and gyroscope, 4 activities) in the demo project.

80 recordings of 6 axes x 100 frames at 10 Hz; sktime's train split becomes training data, its test split
testing data. Each recording goes in as an Edge Impulse acquisition document through the normal ingestion
path, so the demo samples look exactly like uploaded ones. Seeding twice adds nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.data import formats
from backend.data.ingest import IngestOptions, ingest_upload
from backend.data.models import Sample
from backend.demo import DEMO_SEEDERS
from backend.projects.models import Project
from backend.projects.permissions import Role
from backend.projects.service import ProjectContext

INTERVAL_MS = 100.0  # sampled once every tenth of a second
DEVICE_TYPE = "SMARTWATCH"
# The dataset does not state units. Gravity is removed (standing has |a| ~ 0.5) and running peaks near 20,
# which reads as m/s2; the gyroscope's range reads as rad/s.
SENSORS = [
    {"name": "accX", "units": "m/s2"},
    {"name": "accY", "units": "m/s2"},
    {"name": "accZ", "units": "m/s2"},
    {"name": "gyrX", "units": "rad/s"},
    {"name": "gyrY", "units": "rad/s"},
    {"name": "gyrZ", "units": "rad/s"},
]
SPLITS = (("train", "training"), ("test", "testing"))


def load_recordings() -> list[tuple[str, str, np.ndarray]]:
    """(category, label, values [100, 6]) for every BasicMotions recording, train split first."""
    from sktime.datasets import load_basic_motions  # heavy import, only when seeding

    out = []
    for split, category in SPLITS:
        X, y = load_basic_motions(split=split, return_type="numpy3D")
        for values, label in zip(X, y, strict=True):
            out.append((category, str(label).lower(), np.ascontiguousarray(values.T, dtype=np.float32)))
    return out


def seed_basic_motions(session: Session, project: Project) -> None:
    """Fill the demo project with BasicMotions unless it already has samples."""
    if session.scalar(select(func.count()).select_from(Sample).where(Sample.project_id == project.id)):
        return
    ctx = ProjectContext(project=project, role=Role.owner, principal=Principal())
    with tempfile.TemporaryDirectory(prefix="moteforge-demo-") as scratch:
        counters: dict[str, int] = {}
        for category, label, values in load_recordings():
            counters[label] = counters.get(label, 0) + 1
            name = f"{label}.{counters[label]:02d}.json"
            doc = {
                "payload": {
                    "device_name": "basicmotions",
                    "device_type": DEVICE_TYPE,
                    "interval_ms": INTERVAL_MS,
                    "sensors": SENSORS,
                    "values": values.astype(float).round(6).tolist(),
                }
            }
            path = Path(scratch) / name
            path.write_bytes(formats.sign_acquisition(doc, None, "json"))
            options = IngestOptions(
                label=label, category=category, metadata={"source": "sktime BasicMotions"}
            )
            outcome = ingest_upload(session, ctx, [(path, name)], options)[0]
            outcome.raise_if_failed()


if seed_basic_motions not in DEMO_SEEDERS:
    DEMO_SEEDERS.append(seed_basic_motions)
