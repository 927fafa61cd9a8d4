"""Population moments shared by the flatten block and the wavelet band statistics (float64)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this variance relative to the mean square, values are constant to float32 precision and
# skewness and kurtosis would only measure rounding noise: they are reported as 0.
FLAT_RELATIVE_VARIANCE = 1e-12


@dataclass(frozen=True)
class Moments:
    """Mean, mean square and central moments ``m2, m3, m4`` (divided by the count) along axis 0."""

    mean: np.ndarray
    mean_square: np.ndarray
    m2: np.ndarray
    m3: np.ndarray
    m4: np.ndarray

    @property
    def flat(self) -> np.ndarray:
        return self.m2 <= FLAT_RELATIVE_VARIANCE * self.mean_square

    def skewness(self) -> np.ndarray:
        """``m3 / m2^1.5``, 0 where flat."""
        safe = np.where(self.flat, 1.0, self.m2)
        return np.where(self.flat, 0.0, self.m3 / safe**1.5)

    def kurtosis(self) -> np.ndarray:
        """Excess kurtosis ``m4 / m2^2 - 3``, 0 where flat."""
        safe = np.where(self.flat, 1.0, self.m2)
        return np.where(self.flat, 0.0, self.m4 / safe**2 - 3.0)


def moments(x: np.ndarray) -> Moments:
    """Moments of float64 ``x`` along axis 0, two-pass (mean first, then centred powers)."""
    mean = x.mean(axis=0)
    centered = x - mean
    squared = centered * centered
    return Moments(
        mean=mean,
        mean_square=np.mean(x * x, axis=0),
        m2=np.mean(squared, axis=0),
        m3=np.mean(squared * centered, axis=0),
        m4=np.mean(squared * squared, axis=0),
    )
