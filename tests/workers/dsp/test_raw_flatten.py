"""Raw and flatten blocks on signals whose features are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import workers.dsp as dsp
from tests.workers.dsp.dsp_signals import noise, sine, square


def features(block_id: str, window: np.ndarray, rate: float = 62.5, **params: object) -> np.ndarray:
    return dsp.BLOCKS[block_id].generate_features(window, rate, **dsp.validate_params(block_id, params))


def test_raw_multiplies_by_the_scale_and_keeps_frame_major_order() -> None:
    window = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    np.testing.assert_array_equal(features("raw", window, scale_axes=0.5), [0.5, 1.0, 1.5, 2.0])


def test_flatten_of_a_constant_is_the_constant_with_zero_spread() -> None:
    window = np.full((125, 1), 9.81, dtype=np.float32)
    out = features("flatten", window)
    value = np.float32(9.81)
    # average, minimum, maximum, rms, stdev, skewness, kurtosis
    np.testing.assert_allclose(out, [value, value, value, value, 0, 0, 0], rtol=1e-6, atol=1e-6)


def test_rms_of_a_square_wave_is_its_amplitude() -> None:
    out = features(
        "flatten",
        square(2.0, 100, 2.0, amplitude=3.0),
        100.0,
        average=False,
        minimum=False,
        maximum=False,
        stdev=False,
        skewness=False,
        kurtosis=False,
    )
    np.testing.assert_allclose(out, [3.0], rtol=1e-7)


def test_sine_over_whole_periods_has_rms_amplitude_over_root_two_and_kurtosis_minus_one_and_a_half() -> None:
    # 2.5 Hz over 2 s at 100 Hz: five whole periods of 40 samples (the crests are samples), so the
    # sampled moments equal those of the continuous sine.
    out = features("flatten", sine(2.5, 100, 2.0, amplitude=2.0), 100.0)
    average, minimum, maximum, rms, stdev, skewness, kurtosis = out
    assert abs(average) < 1e-6
    np.testing.assert_allclose([minimum, maximum], [-2.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose([rms, stdev], [np.sqrt(2.0), np.sqrt(2.0)], rtol=1e-6)
    assert abs(skewness) < 1e-6
    np.testing.assert_allclose(kurtosis, -1.5, rtol=1e-6)


def test_flatten_statistics_match_scipy_population_moments_axis_by_axis() -> None:
    window = noise(125, axes=3, seed=7) * np.float32([1, 5, 0.1]) + np.float32([0, 9.8, -2])
    out = features("flatten", window, scale_axes=2.0).reshape(3, 7)
    x = window.astype(np.float64) * 2.0
    expected = np.stack(
        [
            x.mean(0),
            x.min(0),
            x.max(0),
            np.sqrt((x**2).mean(0)),
            x.std(0),
            scipy.stats.skew(x, axis=0),
            scipy.stats.kurtosis(x, axis=0),
        ],
        axis=1,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("chosen", [("rms",), ("minimum", "kurtosis"), ("average", "stdev", "skewness")])
def test_flatten_reports_only_the_selected_statistics_in_declared_order(chosen: tuple[str, ...]) -> None:
    params = {
        name: name in chosen
        for name in ("average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis")
    }
    window = noise(50, axes=2, seed=1)
    full = features("flatten", window).reshape(2, 7)
    out = features("flatten", window, **params).reshape(2, len(chosen))
    order = ["average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis"]
    np.testing.assert_array_equal(out, full[:, [order.index(c) for c in chosen]])
    names = dsp.BLOCKS["flatten"].feature_names(50, 2, 62.5, **dsp.validate_params("flatten", params))
    assert names[: len(chosen)] == [f"axis0 {c}" for c in chosen]
