"""Trains the BasicMotions demo classifiers and prints training time, float vs int8 accuracy and model sizes.

Run from the repository root: ``python -m bench.train.run [--epochs N]``. Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.workers.learn.factories import make_motion_data
from workers.learn.evaluate import classify_tflite, metrics
from workers.learn.export import export_tflite
from workers.learn.train import TrainSettings, train_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    data = make_motion_data()
    # The first fit in a process pays for TensorFlow's start-up and graph tracing; keep that out.
    train_classifier(data.train, data.y_train, data.class_names, TrainSettings(epochs=1))
    runs = [
        ("dense, 24 summary features", data.train, data.test, TrainSettings(architecture="dense")),
        (
            "conv1d, raw 100x6 window",
            data.raw_train,
            data.raw_test,
            TrainSettings(architecture="conv1d", channels=6),
        ),
    ]
    header = f"{'model':<28} {'train s':>8} {'cpu s':>8} {'export s':>8} {'float acc':>9} {'int8 acc':>8} {'float B':>8} {'int8 B':>7}"
    load = os.getloadavg()[0]
    print(
        f"BasicMotions: {len(data.train)} train / {len(data.test)} test windows, {args.epochs} epochs, "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print(header)
    for name, train, test, base in runs:
        settings = TrainSettings(
            epochs=args.epochs,
            batch_size=8,
            seed=args.seed,
            architecture=base.architecture,
            channels=base.channels,
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        trained = train_classifier(train, data.y_train, data.class_names, settings)
        train_seconds = time.perf_counter() - started
        # CPU seconds (all threads) say more than wall time on a machine shared with other jobs.
        train_cpu = time.process_time() - cpu_started
        started = time.perf_counter()
        exported = export_tflite(trained.model, train)
        export_seconds = time.perf_counter() - started
        float_acc = metrics(data.y_test, classify_tflite(exported.float32, test), data.class_names)[
            "accuracy"
        ]
        int8_acc = metrics(data.y_test, classify_tflite(exported.int8, test), data.class_names)["accuracy"]
        print(
            f"{name:<28} {train_seconds:>8.2f} {train_cpu:>8.2f} {export_seconds:>8.2f} {float_acc:>9.3f} {int8_acc:>8.3f} "
            f"{len(exported.float32):>8} {len(exported.int8):>7}"
        )


if __name__ == "__main__":
    main()
