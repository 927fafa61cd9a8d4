"""The demo dataset: BasicMotions in the demo project, fast and idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.data import service
from backend.data.models import Sample
from backend.demo import seed_demo

pytestmark = pytest.mark.slow


def test_demo_project_gets_basic_motions_split_as_sktime_splits_it(session: Session) -> None:
    project = seed_demo(session)
    session.commit()
    samples = list(session.scalars(select(Sample).where(Sample.project_id == project.id)))
    assert len(samples) == 80
    per = {
        (c, lab): 0
        for c in ("training", "testing")
        for lab in ("standing", "walking", "running", "badminton")
    }
    for s in samples:
        per[(s.category, s.label)] += 1
    assert set(per.values()) == {10}
    first = samples[0]
    assert (first.frames, first.axes, first.interval_ms, first.duration_ms) == (100, 6, 100.0, 10_000.0)
    assert [s["name"] for s in first.sensors] == ["accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ"]
    assert service.load_values(first).shape == (100, 6)


def test_seeding_twice_adds_nothing(session: Session) -> None:
    project = seed_demo(session)
    session.commit()
    seed_demo(session)
    session.commit()
    count = session.scalar(select(func.count()).select_from(Sample).where(Sample.project_id == project.id))
    assert count == 80
