"""Train the demo project (BasicMotions) with the suggested impulse and default settings, end to end.

Runs the real services and job handlers in this process on a scratch data directory: seed the dataset,
save the suggested impulse, train, test the int8 model on the test set. Prints float32 vs int8
accuracy on the validation split, test-set accuracy and the time each step took.

    python bench/e2e/train_demo.py [--epochs N] [--architecture dense|conv1d]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the block's epochs")
    parser.add_argument("--architecture", default=None, help="dense, conv1d, conv2d")
    args = parser.parse_args()
    # Settings are read once, at first use: point them at a scratch directory before importing the app.
    os.environ["MOTEFORGE_DATA_DIR"] = tempfile.mkdtemp(prefix="moteforge-bench-")
    os.environ.setdefault("MOTEFORGE_ENV", "development")

    from backend import models as _models  # noqa: F401 - every table in the metadata
    from backend.core.db import session_scope
    from backend.core.migrate import upgrade_db
    from backend.core.principal import Principal
    from backend.data.demo import seed_basic_motions
    from backend.impulses import service as impulses
    from backend.jobs.models import Job
    from backend.jobs.runner import run_job
    from backend.projects import service as projects
    from backend.projects.permissions import Action
    from backend.training import service
    from backend.training.models import ModelTest, TrainedModel

    upgrade_db()
    from backend.auth import service as auth

    started = time.perf_counter()
    with session_scope() as s:
        user = auth.create_user(s, "bench@moteforge.dev", "bench-password-123", "Bench")
        project = projects.create(s, Principal(user=user), "BasicMotions bench")
        seed_basic_motions(s, project)
        ctx = projects.get_context(s, Principal(user=user), project.id, Action.write)
        impulse = impulses.save(s, ctx, impulses.suggest(s, ctx))
        design = (impulse.input_block, impulse.dsp_blocks, impulse.learn_blocks)
        overrides = {k: v for k, v in (("epochs", args.epochs), ("architecture", args.architecture)) if v}
        train_job = service.start_training(s, ctx, overrides)
        pid, uid, train_id = project.id, user.id, train_job.id
    seeded = time.perf_counter()
    print(f"dataset and impulse: {seeded - started:.1f} s")
    print(f"input block: {design[0]}")
    print(f"processing: {design[1]}")
    print(f"learning: {design[2]}")

    status = run_job(train_id)
    trained = time.perf_counter()
    with session_scope() as s:
        job = s.get(Job, train_id)
        if status != "succeeded":
            raise SystemExit(f"training {status}: {job.error}")
        model = s.query(TrainedModel).filter_by(job_id=train_id).one()
        ctx = projects.get_context(s, Principal(user=s.get(type(user), uid)), pid, Action.write)
        test_id = service.start_test(s, ctx, model.id).id
        metrics, sizes, seconds = model.metrics, model.sizes, model.train_seconds
    status = run_job(test_id)
    tested = time.perf_counter()
    with session_scope() as s:
        test = s.query(ModelTest).filter_by(job_id=test_id).one()
        test_metrics = test.metrics

    f32, i8 = metrics["float32"]["accuracy"], metrics["int8"]["accuracy"]
    print(f"training job: {trained - seeded:.1f} s (fit {seconds:.1f} s), settings {model.settings}")
    print(f"validation split ({metrics['samples']} windows): float32 {f32:.2%}  int8 {i8:.2%}  "
          f"difference {100 * (f32 - i8):+.2f} pp")  # fmt: skip
    print(f"test set ({test_metrics['windows']} windows, {test_metrics['dtype']} via TFLM): "
          f"{test_metrics['accuracy']:.2%}; samples right {test_metrics['samples_correct']}/{test_metrics['samples']}"
          f" ({tested - trained:.1f} s)")  # fmt: skip
    print(f"sizes: {sizes}")


if __name__ == "__main__":
    main()
