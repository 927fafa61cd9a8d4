"""Checking a bundle's code against the studio: test recordings as CSV, the ``classify`` JSON or the
harness's scores compared with the studio's result (same label and scores within one int8 step for a
classifier, values within one output step for a regression, anomaly scores within 1e-3 relative)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from firmware.deploy.anomaly import SCORE_NAME
from firmware.deploy.spec import VALUE_NAME

if TYPE_CHECKING:
    from firmware.deploy.sources import ImpulseTree
    from firmware.deploy.spec import ImpulseSpec


@dataclass(frozen=True)
class TestSample:
    """A test recording and the studio's classification of it (``summarize_sample``'s shape)."""

    __test__ = False  # a data record, not a pytest class

    name: str
    values: np.ndarray  # float32 [T, axes] in the impulse's axis order; an image's RGB888 frame [H, W, 3]
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
# The studio rounds the values it reports to five decimals.
REPORTED_ROUNDING = 1e-5


@dataclass(frozen=True)
class Scoring:
    """How a bundle's scores are compared with the studio's: int8 steps of a classifier's output, one
    output step of a regression's value, or a relative tolerance for an anomaly score; and how the overall
    result follows from the mean scores (argmax, the value itself, or the score against the threshold)."""

    names: tuple[str, ...]
    scale: float = 1.0
    zero_point: int = 0
    threshold: float | None = None  # anomaly blocks only
    regression: bool = False

    @classmethod
    def of(cls, spec: ImpulseSpec, tree: ImpulseTree) -> Scoring:
        """The scoring of a spec's learning block, with the output quantization of its written tree."""
        if spec.is_anomaly:
            names: tuple[str, ...] = (SCORE_NAME,)
        elif spec.is_regression:
            names = (VALUE_NAME,)
        else:
            names = spec.class_names
        return cls(
            names=names,
            scale=tree.output_scale,
            zero_point=tree.output_zero_point,
            threshold=tree.anomaly_threshold,
            regression=spec.is_regression,
        )

    def steps(self, scores: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(scores, dtype=np.float64) / self.scale).astype(np.int64) + self.zero_point

    def close(self, mine: np.ndarray, theirs: np.ndarray) -> bool:
        if self.regression:
            # One int8 output step (a feature landing on the other side of a rounding boundary), plus the
            # five-decimal rounding of the reported values.
            limit = self.scale * (1 + 1e-6) + REPORTED_ROUNDING
            return bool(np.all(np.abs(np.asarray(mine) - np.asarray(theirs)) <= limit))
        if self.threshold is None:
            return bool(np.abs(self.steps(mine) - self.steps(theirs)).max() <= 1)
        return bool(np.all(np.abs(mine - theirs) <= ANOMALY_RTOL * np.maximum(1.0, np.abs(theirs))))

    def label(self, mean: np.ndarray) -> str:
        if self.threshold is None:
            return self.names[int(np.argmax(mean))]
        return "anomaly" if float(mean[0]) > self.threshold else "normal"


def _windows(result: dict[str, Any], scoring: Scoring) -> np.ndarray:
    if scoring.regression:
        return np.array([[w["value"]] for w in result["windows"]], dtype=np.float64)
    return np.array([[w["scores"][n] for n in scoring.names] for w in result["windows"]], dtype=np.float64)


def compare_scores(
    sample: TestSample, scores: np.ndarray, scoring: Scoring, label: str | float | None = None
) -> list[str]:
    """Problems with per-window scores ``[W, classes]`` against the studio's result for the sample, and
    with the overall result: ``label`` (a regression's value), by default the one the mean scores give."""
    want = sample.expected
    theirs = _windows(want, scoring)
    if len(scores) != len(theirs):
        return [f"{sample.name}: {len(scores)} windows, studio has {len(theirs)}"]
    problems = []
    for index, (a, b) in enumerate(zip(np.asarray(scores, dtype=np.float64), theirs, strict=True)):
        if not scoring.close(a, b):
            problems.append(
                f"{sample.name} window {index}: scores {a.round(5).tolist()}, studio {b.tolist()}"
            )
    mean = np.asarray(scores, dtype=np.float64).mean(axis=0)
    if scoring.regression:
        value = float(label) if label is not None else float(mean[0])
        if not scoring.close(np.array([value]), np.array([float(want["value"])])):
            problems.append(f"{sample.name}: value {value:.5f}, studio says {want['value']}")
        return problems
    got_label = label if label is not None else scoring.label(mean)
    if got_label != want["label"]:
        problems.append(f"{sample.name}: label {got_label!r}, studio says {want['label']!r}")
    return problems


def compare_result(sample: TestSample, got: dict[str, Any], scoring: Scoring) -> list[str]:
    """Problems with a ``classify`` program's JSON against the studio's result for the sample."""
    try:
        mine = _windows(got, scoring)
        overall = got["value"] if scoring.regression else got.get("label")
    except (KeyError, TypeError) as exc:
        return [f"{sample.name}: classify printed an unexpected result ({exc})"]
    return compare_scores(sample, mine.reshape(len(mine), len(scoring.names)), scoring, label=overall)


def parse_classify_output(text: str) -> dict[str, Any]:
    return json.loads(text)
