"""The feature explorer's projection: standardized columns, two principal components, a capped subsample."""

from __future__ import annotations

import numpy as np

from backend.impulses.explorer import pick_rows, principal_components, standardized


def test_standardized_columns_have_zero_mean_unit_spread_and_constants_stay_zero() -> None:
    X = np.column_stack([np.arange(10.0) * 1000, np.full(10, 3.0), np.linspace(-1, 1, 10)])
    Z = standardized(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 0, 1], atol=1e-12)


def test_the_first_component_follows_the_direction_of_largest_spread() -> None:
    rng = np.random.default_rng(3)
    along = rng.normal(0, 10, size=200)
    # Points spread along (1, 1, 0) with a little noise elsewhere.
    X = np.column_stack([along, along, np.zeros(200)]) + rng.normal(0, 0.1, size=(200, 3))
    xy = principal_components(X)
    assert xy.shape == (200, 2) and xy.dtype == np.float32
    assert xy[:, 0].var() > 100 * xy[:, 1].var()
    # Signed so the largest loading is positive: the point furthest along +(1, 1) is on the right.
    assert xy[np.argmax(along), 0] > 0


def test_the_projection_is_the_same_on_every_run_and_pads_a_single_feature() -> None:
    X = np.random.default_rng(5).normal(size=(30, 4))
    np.testing.assert_array_equal(principal_components(X), principal_components(X.copy()))
    single = principal_components(np.arange(5.0)[:, None])
    np.testing.assert_allclose(single[:, 1], 0)
    np.testing.assert_allclose(np.abs(single[:, 0]), [2, 1, 0, 1, 2])


def test_large_sets_are_subsampled_evenly_and_repeatably() -> None:
    assert pick_rows(10, limit=20).tolist() == list(range(10))
    rows = pick_rows(10_000, limit=500)
    assert len(rows) == 500 and len(set(rows.tolist())) == 500 and (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(rows, pick_rows(10_000, limit=500))
