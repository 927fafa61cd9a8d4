"""Impulse service: versioned saves, suggestions from the data, and the checks made before a job starts."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from backend.core.errors import InvalidInput, NotFound
from backend.impulses import service
from backend.impulses.schemas import ImpulseCreate
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import IMU_AXES, activity_values, basic_motions, make_sample
from tests.backend.impulses.factories import imu_design as imu_design_dict
from tests.support.factories import make_project


def imu_design(**input_changes: object) -> ImpulseCreate:
    return ImpulseCreate.model_validate(imu_design_dict(**input_changes))


def test_first_save_is_version_1_with_the_training_labels_sorted(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=2)
    impulse = service.save(session, owned.ctx, imu_design())
    assert impulse.version == 1
    assert impulse.labels == ["badminton", "running", "standing", "walking"]
    assert service.get_current(session, owned.ctx) is impulse


def test_saving_a_changed_design_adds_a_version_and_keeps_the_old_one(session: Session, owned: Owned) -> None:
    first = service.save(session, owned.ctx, imu_design())
    second = service.save(session, owned.ctx, imu_design(window_ms=3000))
    assert (first.version, second.version) == (1, 2)
    assert service.get_current(session, owned.ctx).id == second.id
    assert service.get_or_raise(session, owned.ctx, first.id).input_block["window_ms"] == 2000
    versions, count = service.list_versions(session, owned.ctx)
    assert count == 2 and [v.version for v in versions] == [2, 1]


def test_saving_an_unchanged_design_returns_the_current_version(session: Session, owned: Owned) -> None:
    first = service.save(session, owned.ctx, imu_design())
    again = service.save(session, owned.ctx, imu_design())
    assert again.id == first.id
    assert service.list_versions(session, owned.ctx)[1] == 1


def test_new_training_labels_make_a_new_version_on_the_next_save(session: Session, owned: Owned) -> None:
    first = service.save(session, owned.ctx, imu_design())
    make_sample(session, owned.project, activity_values("walking", 1), label="walking", sensors=IMU_AXES)
    second = service.save(session, owned.ctx, imu_design())
    assert second.version == first.version + 1 and second.labels == ["walking"]


def test_an_invalid_design_is_refused_and_nothing_is_saved(session: Session, owned: Owned) -> None:
    with pytest.raises(InvalidInput) as info:
        service.save(session, owned.ctx, imu_design(window_ms=-1))
    assert info.value.field == "input_block.window_ms"
    assert service.get_current(session, owned.ctx) is None


def test_another_projects_impulse_is_not_found(session: Session, owned: Owned) -> None:
    impulse = service.save(session, owned.ctx, imu_design())
    other = make_project(session)
    from tests.backend.impulses.factories import owner_ctx

    with pytest.raises(NotFound):
        service.get_or_raise(session, owner_ctx(other), impulse.id)


def test_suggestion_for_basic_motions_is_a_2_s_spectral_classifier_at_10_hz(
    session: Session, owned: Owned
) -> None:
    basic_motions(session, owned.project, per_class=2)
    suggestion = service.suggest(session, owned.ctx)
    block = suggestion.input_block
    assert (block.type, block.frequency_hz, block.window_ms, block.stride_ms) == ("timeseries", 10, 2000, 500)
    assert block.axes == list(IMU_AXES)
    # 20 frames per window: the largest FFT that fits is 16.
    assert suggestion.dsp_blocks[0].type == "spectral" and suggestion.dsp_blocks[0].params["fft_length"] == 16
    assert suggestion.learn_blocks[0].type == "classifier"
    # The suggestion is itself a valid design.
    assert service.save(session, owned.ctx, suggestion).version == 1


def test_suggestion_for_short_audio_clips_uses_mfcc_over_the_clip(session: Session, owned: Owned) -> None:
    rng = np.random.default_rng(0)
    for label in ("yes", "no"):
        for _ in range(3):
            clip = rng.normal(size=(8000, 1)).astype(np.float32)
            make_sample(
                session, owned.project, clip, label=label, interval_ms=0.125, kind="audio", sensors=("audio",)
            )
    suggestion = service.suggest(session, owned.ctx)
    block = suggestion.input_block
    assert (block.type, block.frequency_hz, block.window_ms, block.stride_ms) == ("audio", 8000, 1000, 500)
    assert suggestion.dsp_blocks[0].type == "mfcc"
    assert service.save(session, owned.ctx, suggestion).learn_blocks[0]["type"] == "classifier"


def test_suggestion_for_small_grayscale_images_keeps_their_size(session: Session, owned: Owned) -> None:
    for label in ("a", "b"):
        make_sample(session, owned.project, np.zeros((28, 28, 1), np.uint8), label=label, kind="image")
    suggestion = service.suggest(session, owned.ctx)
    block = suggestion.input_block
    assert (block.type, block.width, block.height, block.color_depth) == ("image", 28, 28, "grayscale")
    assert suggestion.dsp_blocks[0].type == "image"


def test_suggestion_for_one_label_is_anomaly_detection(session: Session, owned: Owned) -> None:
    for i in range(3):
        make_sample(session, owned.project, activity_values("walking", i), label="normal", sensors=IMU_AXES)
    assert service.suggest(session, owned.ctx).learn_blocks[0].type == "anomaly-kmeans"


def test_suggestion_without_data_asks_for_data(session: Session, owned: Owned) -> None:
    with pytest.raises(InvalidInput, match="Add training data first"):
        service.suggest(session, owned.ctx)


def test_check_ready_counts_windows_per_label(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=2)
    impulse = service.save(session, owned.ctx, imu_design())
    # 100 frames, 20-frame windows every 5 frames: 17 windows a sample, 2 samples a class.
    assert service.check_ready(session, owned.ctx, impulse) == {
        "standing": 34,
        "walking": 34,
        "running": 34,
        "badminton": 34,
    }


def test_a_window_longer_than_every_sample_without_zero_pad_is_refused(
    session: Session, owned: Owned
) -> None:
    basic_motions(session, owned.project, per_class=2)
    impulse = service.save(session, owned.ctx, imu_design(window_ms=12000, zero_pad=False))
    with pytest.raises(InvalidInput) as info:
        service.check_ready(session, owned.ctx, impulse)
    assert info.value.field == "input_block.window_ms"
    assert "longer than every training sample (the longest is 10000 ms)" in info.value.message


def test_zero_padding_lets_a_long_window_take_short_samples(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=3)
    impulse = service.save(session, owned.ctx, imu_design(window_ms=12000, zero_pad=True))
    # One padded window per sample.
    assert set(service.check_ready(session, owned.ctx, impulse).values()) == {3}


def test_samples_without_the_impulse_axes_are_named(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=2)
    odd = make_sample(session, owned.project, np.zeros((100, 3)), label="walking", sensors=("ax", "ay", "az"))
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput) as info:
        service.check_ready(session, owned.ctx, impulse)
    assert info.value.field == "input_block.axes"
    assert f"sample {odd.id}" in info.value.message and "ax, ay, az" in info.value.message


def test_classification_with_one_class_is_refused(session: Session, owned: Owned) -> None:
    for i in range(3):
        make_sample(session, owned.project, activity_values("walking", i), label="walking", sensors=IMU_AXES)
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput, match="at least 2 labelled classes"):
        service.check_ready(session, owned.ctx, impulse)


def test_a_class_with_too_few_windows_is_refused_by_name(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=2)
    # 2.2 s at 10 Hz: 22 frames, a single 20-frame window (and two are needed plus one to validate).
    make_sample(
        session, owned.project, activity_values("running", 7, frames=22), label="jumping", sensors=IMU_AXES
    )
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput) as info:
        service.check_ready(session, owned.ctx, impulse)
    assert "jumping (1)" in info.value.message and "at least 3" in info.value.message


def test_a_testing_label_missing_from_training_is_refused(session: Session, owned: Owned) -> None:
    basic_motions(session, owned.project, per_class=2, testing_per_class=1)
    make_sample(
        session,
        owned.project,
        activity_values("walking", 9),
        label="cycling",
        category="testing",
        sensors=IMU_AXES,
    )
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput) as info:
        service.check_ready(session, owned.ctx, impulse, "testing")
    assert "cycling" in info.value.message and "training" in info.value.message


def test_no_enabled_samples_in_a_category_is_refused(session: Session, owned: Owned) -> None:
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput, match="no enabled testing samples"):
        service.check_ready(session, owned.ctx, impulse, "testing")


def test_image_samples_do_not_fit_a_time_series_impulse(session: Session, owned: Owned) -> None:
    make_sample(session, owned.project, np.zeros((8, 8, 3), np.uint8), label="a", kind="image")
    impulse = service.save(session, owned.ctx, imu_design())
    with pytest.raises(InvalidInput) as info:
        service.check_ready(session, owned.ctx, impulse)
    assert info.value.field == "input_block.type" and "image data" in info.value.message


def test_starting_feature_generation_on_unfit_data_creates_no_job(session: Session, owned: Owned) -> None:
    from backend.jobs import service as jobs

    impulse = service.save(session, owned.ctx, imu_design())
    assert impulse.version == 1
    with pytest.raises(InvalidInput):
        service.start_feature_generation(session, owned.ctx)
    assert jobs.list_(session, owned.ctx)[1] == 0
