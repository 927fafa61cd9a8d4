"""The explorer's queries at 100,000 samples: every filtered page is an index range scan in id order."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from backend.data import repository
from backend.data.models import Sample
from backend.data.repository import SampleFilter
from tests.backend.data.support import World

pytestmark = pytest.mark.slow
ROWS = 100_000
LABELS = ("idle", "walk", "run", "jump")


def _fill(session: Session, world: World) -> None:
    rows = [
        {
            "project_id": world.project.id, "name": f"s{i}", "filename": f"s{i}.csv", "label": LABELS[i % 4],
            "category": "training" if i % 5 else "testing", "kind": "timeseries",
            "sensors": [{"name": "accX", "units": "m/s2"}], "interval_ms": 10.0, "frames": 100, "axes": 1,
            "width": 0, "duration_ms": 1000.0, "content_sha256": f"{i:064x}", "original_sha256": "0" * 64,
            "values_sha256": "0" * 64, "meta": {}, "enabled": True, "verified": False,
        }
        for i in range(ROWS)
    ]  # fmt: skip
    session.execute(insert(Sample), rows)
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def _plan(session: Session, project_id: int, f: SampleFilter) -> str:
    stmt = repository.filtered(project_id, f).where(Sample.id < 50_000).order_by(Sample.id.desc()).limit(50)
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(r[-1]) for r in rows)
    return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")).all())


FILTERS = [
    SampleFilter(),
    SampleFilter(category="testing"),
    SampleFilter(label="run"),
    SampleFilter(category="training", label="walk"),
]


def test_deep_filtered_pages_are_index_scans_without_a_sort(session: Session, world: World) -> None:
    _fill(session, world)
    for filters in FILTERS:
        plan = _plan(session, world.project.id, filters)
        upper = plan.upper()
        assert "INDEX" in upper or "PRIMARY KEY" in upper, (filters, plan)
        # No full scan (SQLite "SCAN samples", PostgreSQL "Seq Scan") and no sort of the matching rows.
        assert "SCAN SAMPLES" not in upper and "SEQ SCAN" not in upper, (filters, plan)
        assert "TEMP B-TREE" not in upper and "SORT" not in upper, (filters, plan)
    page = repository.page(session, world.project.id, FILTERS[3], limit=50, after_id=50_000, offset=0)
    assert [s.id for s in page] == sorted((s.id for s in page), reverse=True) and len(page) == 50
    assert all(s.label == "walk" and s.category == "training" and s.id < 50_000 for s in page)
