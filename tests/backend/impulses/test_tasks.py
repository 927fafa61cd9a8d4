"""The generate-features job end to end on a real Celery worker, with BasicMotions-like recordings."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from backend.impulses import features, service
from backend.impulses.models import FeatureExplorer, FeatureSet
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import basic_motions
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_generate_features_caches_training_and_testing_and_stores_the_explorer(
    celery_worker, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    basic_motions(session, owned.project, per_class=4, testing_per_class=1)
    impulse = service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    job_id = service.start_feature_generation(session, owned.ctx).id
    session.commit()

    job = wait_for(session, job_id, timeout=120)
    assert job.status == "succeeded", job.error
    # 16 training samples x 17 windows, 4 testing samples x 17; spectral: 6 axes x (1 + 2 x 3 + 8).
    assert job.result["training"]["windows"] == 272 and job.result["training"]["features"] == 90
    assert job.result["testing"]["windows"] == 68
    assert job.result["training"]["per_label"] == {
        "standing": 68,
        "walking": 68,
        "running": 68,
        "badminton": 68,
    }
    assert job.progress == 100

    session.expire_all()
    sets = {
        (f.category, f.dsp_id): f.rows for f in session.query(FeatureSet).filter_by(impulse_id=impulse.id)
    }
    assert sets == {("training", "dsp1"): 272, ("testing", "dsp1"): 68}
    explorer = session.query(FeatureExplorer).filter_by(impulse_id=impulse.id).one()
    assert explorer.total_points == 272 and len(explorer.points) == 272
    assert {p["label"] for p in explorer.points} == {"standing", "walking", "running", "badminton"}
    # The cache the job wrote is what the trainer reads, equal to features computed afresh.
    cached = features.load_or_build(session, impulse, "training")
    fresh = features.build_features(session, impulse, "training")
    np.testing.assert_array_equal(cached.X, fresh.X)

    # Standing barely moves and running moves a lot: in the 2-D explorer each point lies nearer its own
    # class centre than the other's.
    xy = {
        label: np.array([[p["x"], p["y"]] for p in explorer.points if p["label"] == label])
        for label in ("standing", "running")
    }
    centres = {label: pts.mean(axis=0) for label, pts in xy.items()}
    for label, other in (("standing", "running"), ("running", "standing")):
        own = np.linalg.norm(xy[label] - centres[label], axis=1)
        far = np.linalg.norm(xy[label] - centres[other], axis=1)
        assert (own < far).mean() >= 0.95


def test_a_dataset_that_changed_after_queueing_fails_with_the_reason(
    celery_worker, session: Session, owned: Owned
) -> None:  # type: ignore[no-untyped-def]
    rows = basic_motions(session, owned.project, per_class=2, testing_per_class=0)
    service.save(session, owned.ctx, service.suggest(session, owned.ctx))
    job_id = service.start_feature_generation(session, owned.ctx).id
    # Every sample but one class disappears before the worker runs: the job re-checks and says why.
    for sample in rows:
        if sample.label != "walking":
            sample.enabled = False
    session.commit()
    job = wait_for(session, job_id, timeout=120)
    assert job.status == "failed"
    assert "at least 2 labelled classes" in (job.error or "")
