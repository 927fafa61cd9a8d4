"""Band-by-band fusion of two spatial layers (conv/depthwise/pool into conv/depthwise/pool).

When layer C consumes layer P's output T and nothing else reads T, C's output rows can be computed
one at a time while P produces only the rows of T that the current C row reads. T then exists as a
band of a few rows instead of a whole tensor. The rows kept are [lo, hi) for C's output row r, with
lo = r * stride - pad and hi = lo + extent clipped to T's height; rows leave the band from the top.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowGeometry:
    """The row arithmetic of a layer that reads windows of input rows."""

    stride: int
    pad: int
    extent: int  # input rows one output row reads
    in_h: int
    out_h: int


def needed_rows(consumer: RowGeometry, r: int) -> tuple[int, int]:
    """Rows [lo, hi) of the consumer's input that its output row ``r`` reads (clipped to the input)."""
    top = r * consumer.stride - consumer.pad
    return max(top, 0), min(top + consumer.extent, consumer.in_h)


def band_rows(consumer: RowGeometry) -> int:
    """Rows the band must hold: the most any single consumer output row reads."""
    return max((hi - lo for lo, hi in (needed_rows(consumer, r) for r in range(consumer.out_h))), default=0)


def band_is_smaller(consumer: RowGeometry) -> bool:
    """Fusion only pays when the band holds fewer rows than the whole intermediate tensor."""
    return 0 < band_rows(consumer) < consumer.in_h
