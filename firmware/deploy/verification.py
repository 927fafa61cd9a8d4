"""Checking a bundle's code against the studio: test recordings as CSV, the ``classify`` JSON or the
harness's int8 scores compared with the studio's classification (same label, scores within one int8 step)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TestSample:
    """A test recording and the studio's classification of it (``summarize_sample``'s shape)."""

    __test__ = False  # a data record, not a pytest class

    name: str
    values: np.ndarray  # float32 [T, axes] in the impulse's axis order
    interval_ms: float
    expected: dict[str, Any]


class VerificationFailed(Exception):
    """The bundle's code did not reproduce the studio's outputs; no bundle was written."""

    def __init__(self, problems: list[str], log: str) -> None:
        super().__init__("verification failed: " + "; ".join(problems[:5]))
        self.problems = problems
        self.log = log


def to_csv(sample: TestSample, axes: Sequence[str]) -> str:
    """The recording as the ``classify`` example reads it: a header, a timestamp column, the axes."""
    values = np.asarray(sample.values, dtype=np.float32)
    lines = ["timestamp," + ",".join(axes)]
    for i, row in enumerate(values):
        # Nine significant digits bring every float32 back exactly.
        lines.append(f"{i * sample.interval_ms:.6g}," + ",".join(f"{float(v):.9g}" for v in row))
    return "\n".join(lines) + "\n"


# Anomaly scores are floats computed from features that match the studio's within 1e-4 relative.
ANOMALY_RTOL = 1e-3


@dataclass(frozen=True)
class Scoring:
    """How a bundle's scores are compared with the studio's: int8 steps of a classifier's output, or a
    relative tolerance for an anomaly score, and how the overall label follows from the mean scores."""

    names: tuple[str, ...]
    scale: float = 1.0
    zero_point: int = 0
    threshold: float | None = None  # anomaly blocks only

    def steps(self, scores: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(scores, dtype=np.float64) / self.scale).astype(np.int64) + self.zero_point

    def close(self, mine: np.ndarray, theirs: np.ndarray) -> bool:
        if self.threshold is None:
            return bool(np.abs(self.steps(mine) - self.steps(theirs)).max() <= 1)
        return bool(np.all(np.abs(mine - theirs) <= ANOMALY_RTOL * np.maximum(1.0, np.abs(theirs))))

    def label(self, mean: np.ndarray) -> str:
        if self.threshold is None:
            return self.names[int(np.argmax(mean))]
        return "anomaly" if float(mean[0]) > self.threshold else "normal"


def _windows(result: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    return np.array([[w["scores"][n] for n in names] for w in result["windows"]], dtype=np.float64)


def compare_scores(
    sample: TestSample, scores: np.ndarray, scoring: Scoring, label: str | None = None
) -> list[str]:
    """Problems with per-window scores ``[W, classes]`` (and the overall label, by default the one the mean
    scores give) against the studio's result for the sample."""
    want = sample.expected
    theirs = _windows(want, scoring.names)
    if len(scores) != len(theirs):
        return [f"{sample.name}: {len(scores)} windows, studio has {len(theirs)}"]
    problems = []
    for index, (a, b) in enumerate(zip(np.asarray(scores, dtype=np.float64), theirs, strict=True)):
        if not scoring.close(a, b):
            problems.append(
                f"{sample.name} window {index}: scores {a.round(5).tolist()}, studio {b.tolist()}"
            )
    got_label = (
        label if label is not None else scoring.label(np.asarray(scores, dtype=np.float64).mean(axis=0))
    )
    if got_label != want["label"]:
        problems.append(f"{sample.name}: label {got_label!r}, studio says {want['label']!r}")
    return problems


def compare_result(sample: TestSample, got: dict[str, Any], scoring: Scoring) -> list[str]:
    """Problems with a ``classify`` program's JSON against the studio's result for the sample."""
    try:
        mine = _windows(got, scoring.names)
    except (KeyError, TypeError) as exc:
        return [f"{sample.name}: classify printed an unexpected result ({exc})"]
    return compare_scores(
        sample, mine.reshape(len(mine), len(scoring.names)), scoring, label=got.get("label")
    )


def parse_classify_output(text: str) -> dict[str, Any]:
    return json.loads(text)
