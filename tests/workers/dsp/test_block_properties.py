"""Properties over the parameter space: every accepted parameter set yields finite features of the
declared shape, and every refused one is refused with InvalidParameter or InvalidInput."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import workers.dsp as dsp
from workers.dsp import InvalidInput, InvalidParameter, Parameter


def parameter_values(parameter: Parameter) -> st.SearchStrategy:
    """Values inside the declared range (kept small enough to compute quickly)."""
    if parameter.type == "bool":
        return st.booleans()
    if parameter.type == "select":
        return st.sampled_from(parameter.options)
    low = parameter.minimum if parameter.minimum is not None else -100
    high = parameter.maximum if parameter.maximum is not None else 100
    if parameter.type == "int":
        return st.integers(int(low), int(min(high, low + 64)))
    return st.floats(low, min(high, max(low + 1.0, low * 4 if low > 0 else 1.0)), allow_nan=False)


def parameter_sets(block_id: str, **overrides: st.SearchStrategy) -> st.SearchStrategy[dict]:
    block = dsp.BLOCKS[block_id]
    strategies = {p.name: overrides.get(p.name, parameter_values(p)) for p in block.parameters}
    return st.fixed_dictionaries({}, optional=strategies)


TIMESERIES_RATES = [10.0, 62.5, 100.0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    block_id=st.sampled_from(["raw", "flatten", "spectral"]),
    data=st.data(),
    frames=st.integers(1, 300),
    axes=st.integers(1, 4),
    rate=st.sampled_from(TIMESERIES_RATES),
)
def test_timeseries_features_are_finite_and_of_the_declared_shape(
    block_id: str, data: st.DataObject, frames: int, axes: int, rate: float
) -> None:
    params = data.draw(parameter_sets(block_id))
    window = np.random.default_rng(frames).normal(size=(frames, axes)).astype(np.float32)
    try:
        shape = dsp.feature_shape(block_id, (frames, axes), rate, params)
    except InvalidParameter:
        return
    features = dsp.generate_batch(block_id, window[None], rate, params)
    assert features.shape == (1, int(np.prod(shape)))
    assert np.isfinite(features).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    block_id=st.sampled_from(["mfcc", "mfe", "spectrogram"]),
    data=st.data(),
    samples=st.integers(16, 4000),
    rate=st.sampled_from([8000.0, 16000.0]),
)
def test_audio_features_are_finite_and_of_the_declared_shape(
    block_id: str, data: st.DataObject, samples: int, rate: float
) -> None:
    # Frames of up to 64 ms keep most drawn sets inside the up-to-250 ms windows.
    frame = st.floats(0.001, 0.064)
    params = data.draw(parameter_sets(block_id, frame_length=frame, frame_stride=frame))
    window = (0.1 * np.random.default_rng(samples).normal(size=(samples, 1))).astype(np.float32)
    try:
        shape = dsp.feature_shape(block_id, (samples, 1), rate, params)
    except (InvalidParameter, InvalidInput):
        with pytest.raises((InvalidParameter, InvalidInput)):
            dsp.generate_batch(block_id, window[None], rate, params)
        return
    features = dsp.generate_batch(block_id, window[None], rate, params)
    assert features.shape == (1, int(np.prod(shape)))
    assert np.isfinite(features).all()
    event("valid parameter set")


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    channels=st.sampled_from([1, 3]),
)
def test_image_features_stay_in_0_1_with_the_declared_shape(
    data: st.DataObject, height: int, width: int, channels: int
) -> None:
    params = data.draw(parameter_sets("image"))
    params["width"] = min(params.get("width", 16), 48)
    params["height"] = min(params.get("height", 16), 48)
    picture = np.random.default_rng(height * width).integers(
        0, 256, size=(height, width, channels), dtype=np.uint8
    )
    shape = dsp.feature_shape("image", picture.shape, 0.0, params)
    features = dsp.generate_batch("image", picture[None], 0.0, params)
    assert features.shape == (1, int(np.prod(shape)))
    assert features.min() >= 0 and features.max() <= 1 + 1e-6
