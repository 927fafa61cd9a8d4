"""Anomaly blocks in bundles: K-means and Gaussian-mixture scores in C, verified against the studio's
anomaly result on an emulated Cortex-M4F and by the native classify example."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.deploy.bundle import build_bundle
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample, to_csv
from tests.firmware.deploy import factories
from tests.firmware.deploy.conftest import SIGNING_KEY, classify_with_make

pytestmark = [pytest.mark.slow, pytest.mark.qemu]


# K-means runs in QEMU; the mixtures natively, which exercises the same C at a third of the time.
@pytest.mark.parametrize(
    ("kind", "covariance", "board_id"),
    [("kmeans", "", "generic-cortex-m4f"), ("gmm", "diag", "linux-x86_64"), ("gmm", "full", "linux-x86_64")],
)
def test_anomaly_bundle_reproduces_the_studios_scores(
    kind: str, covariance: str, board_id: str, tmp_path: Path, deploy_cache: Path
) -> None:
    spec = factories.anomaly_spec(kind, covariance or "diag")
    samples = factories.anomaly_samples(spec)
    # The stuck gyroscope must stand out, or the check would pass with any score.
    assert samples[-1].expected["label"] == "anomaly" and samples[0].expected["label"] == "normal"
    result = build_bundle(
        spec,
        board_id,
        "c-library",
        tmp_path / "a.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    checks = result.verification["checks"]
    assert all(c["ok"] for c in checks) and len(checks) == (2 if board_id == "generic-cortex-m4f" else 1)
    if kind == "kmeans":
        _check_classify_json(result.path, tmp_path, samples[-1], spec)


def _check_classify_json(bundle_zip: Path, work: Path, sample: TestSample, spec: ImpulseSpec) -> None:
    """The example prints the studio's anomaly shape: label, mean score and threshold, windows."""
    got = classify_with_make(bundle_zip, work, to_csv(sample, spec.input.axes))
    assert got["label"] == "anomaly" and got["threshold"] == pytest.approx(
        sample.expected["threshold"], abs=1e-5
    )
    assert got["score"] == pytest.approx(sample.expected["score"], rel=1e-3)
    assert [w["label"] for w in got["windows"]] == [w["label"] for w in sample.expected["windows"]]
