"""Feature generation: one sample's windows through the impulse's blocks, whole categories, and the cache."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from backend.impulses import dataset, features, service
from backend.impulses.models import FeatureSet
from backend.impulses.schemas import ImpulseCreate
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import IMU_AXES, activity_values, basic_motions, make_sample
from workers.dsp import generate_batch
from workers.pipeline.windowing import windows


def two_block_design(zero_pad: bool = True) -> ImpulseCreate:
    return ImpulseCreate.model_validate(
        {
            "input_block": {
                "type": "timeseries",
                "window_ms": 2000,
                "stride_ms": 1000,
                "frequency_hz": 10,
                "zero_pad": zero_pad,
                "axes": ["accX", "gyrZ"],
            },
            "dsp_blocks": [
                {"id": "stats", "type": "flatten"},
                {"id": "fft", "type": "spectral", "params": {"fft_length": 16}},
            ],
            "learn_blocks": [{"type": "classifier", "inputs": ["fft"]}],
        }
    )


def test_window_features_concatenate_the_blocks_in_impulse_order(session: Session, owned: Owned) -> None:
    impulse = service.save(session, owned.ctx, two_block_design())
    values = activity_values("walking", 1)[:, [0, 5]]
    out = features.window_features(impulse, values, 100.0)
    cut = windows(values, 100.0, window_ms=2000, stride_ms=1000, frequency_hz=10)
    stats = generate_batch("flatten", cut, 10, impulse.dsp_blocks[0]["params"])
    fft = generate_batch("spectral", cut, 10, impulse.dsp_blocks[1]["params"])
    # 100 frames, 20-frame windows every 10: 9 windows; 7 x 2 statistics then (1 + 6 + 8) x 2 spectral.
    assert out.shape == (9, 14 + 30) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.concatenate([stats, fft], axis=1))
    np.testing.assert_array_equal(features.window_features(impulse, values, 100.0, dsp_ids=["fft"]), fft)


def test_a_sample_at_another_rate_is_resampled_before_windowing(session: Session, owned: Owned) -> None:
    impulse = service.save(session, owned.ctx, two_block_design())
    values = activity_values("running", 2, frames=200, interval_ms=50.0)[:, [0, 5]]
    # 200 frames at 20 Hz span 9.95 s: 100 frames at 10 Hz, so the same 9 windows.
    assert features.window_features(impulse, values, 50.0).shape == (9, 44)


def test_sample_axes_are_taken_by_name_in_the_impulse_order(session: Session, owned: Owned) -> None:
    impulse = service.save(session, owned.ctx, two_block_design())
    values = activity_values("walking", 3)
    in_order = make_sample(session, owned.project, values, label="walking", sensors=IMU_AXES)
    reversed_values = values[:, ::-1].copy()
    reversed_sample = make_sample(
        session, owned.project, reversed_values, label="walking", sensors=tuple(reversed(IMU_AXES))
    )
    a = dataset.values_for(in_order, impulse.input_block)
    b = dataset.values_for(reversed_sample, impulse.input_block)
    np.testing.assert_array_equal(a, values[:, [0, 5]])
    np.testing.assert_array_equal(a, b)


def test_build_features_labels_every_window_with_its_sample(session: Session, owned: Owned) -> None:
    rows = basic_motions(session, owned.project, per_class=2, testing_per_class=0)
    unlabelled = make_sample(
        session, owned.project, activity_values("walking", 50), label=None, sensors=IMU_AXES
    )
    impulse = service.save(session, owned.ctx, two_block_design())
    matrix = features.build_features(session, impulse, "training")
    assert matrix.X.shape == (9 * (len(rows) + 1), 44)
    assert matrix.class_names == ["badminton", "running", "standing", "walking"]
    first = rows[0]
    mask = matrix.sample_ids == first.id
    assert mask.sum() == 9 and matrix.window_index[mask].tolist() == list(range(9))
    assert set(matrix.y[mask].tolist()) == {matrix.class_names.index(first.label)}
    assert set(matrix.y[matrix.sample_ids == unlabelled.id].tolist()) == {-1}
    assert matrix.feature_shape == (44,)
    np.testing.assert_array_equal(
        matrix.X[mask],
        features.window_features(impulse, dataset.values_for(first, impulse.input_block), 100.0),
    )


def test_disabled_and_other_category_samples_are_left_out(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=1, testing_per_class=1)
    make_sample(
        session,
        owned.project,
        activity_values("walking", 9),
        label="walking",
        sensors=IMU_AXES,
        enabled=False,
    )
    impulse = service.save(session, owned.ctx, two_block_design())
    assert len(features.build_features(session, impulse, "training")) == 4 * 9
    assert len(features.build_features(session, impulse, None)) == 8 * 9


def test_samples_shorter_than_a_window_are_skipped_without_zero_padding(
    session: Session, owned: Owned
) -> None:
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    make_sample(
        session, owned.project, activity_values("walking", 8, frames=15), label="walking", sensors=IMU_AXES
    )
    impulse = service.save(session, owned.ctx, two_block_design(zero_pad=False))
    matrix = features.build_features(session, impulse, "training")
    assert matrix.skipped_samples == 1 and len(matrix) == 4 * 9


def test_cached_features_are_reused_until_the_dataset_changes(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    impulse = service.save(session, owned.ctx, two_block_design())
    built = features.load_or_build(session, impulse, "training")
    stored = {f.dsp_id: (f.blob_sha, f.rows, f.features) for f in session.query(FeatureSet).all()}
    assert stored.keys() == {"stats", "fft"} and stored["fft"][1:] == (36, 30)
    progress: list[float] = []
    cached = features.load_or_build(session, impulse, "training", progress=progress.append)
    np.testing.assert_array_equal(cached.X, built.X)
    np.testing.assert_array_equal(cached.sample_ids, built.sample_ids)
    assert cached.labels == built.labels and progress == [1.0]
    make_sample(session, owned.project, activity_values("running", 11), label="running", sensors=IMU_AXES)
    grown = features.load_or_build(session, impulse, "training")
    assert len(grown) == 5 * 9
    assert session.query(FeatureSet).filter_by(dsp_id="fft").one().rows == 45


def test_a_learning_block_subset_uses_the_per_block_cache(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=1, testing_per_class=0)
    impulse = service.save(session, owned.ctx, two_block_design())
    fft_only = features.load_or_build(session, impulse, "training", dsp_ids=["fft"])
    assert fft_only.X.shape == (36, 30) and fft_only.feature_shape == (30,)
    assert {f.dsp_id for f in session.query(FeatureSet).all()} == {"fft"}
    both = features.load_or_build(session, impulse, "training")
    np.testing.assert_array_equal(both.X[:, 14:], fft_only.X)


def test_image_samples_give_one_row_of_normalized_pixels(session: Session, owned: Owned) -> None:
    image = np.full((10, 20, 3), 255, np.uint8)
    make_sample(session, owned.project, image, label="white", kind="image")
    design = ImpulseCreate.model_validate(
        {
            "input_block": {
                "type": "image",
                "width": 8,
                "height": 4,
                "resize_mode": "squash",
                "color_depth": "grayscale",
            },
            "dsp_blocks": [{"type": "image"}],
            "learn_blocks": [{"type": "classifier"}],
        }
    )
    impulse = service.save(session, owned.ctx, design)
    matrix = features.build_features(session, impulse, "training")
    assert matrix.X.shape == (1, 32) and matrix.feature_shape == (4, 8, 1)
    np.testing.assert_allclose(matrix.X, 1.0, rtol=1e-6)
