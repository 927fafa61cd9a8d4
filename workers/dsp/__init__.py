"""Processing blocks: registry, parameter validation and batch feature generation.

Each block is a module with ``PARAMETERS``, ``VERSION``, ``generate_features`` and ``feature_shape``
(and ``feature_names`` where names mean something); ``BLOCKS`` maps block ids to their declarations.
The exact math of every block is written down in ``docs/dsp.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any, Literal

import numpy as np

from workers.dsp import flatten, image, mfcc, mfe, raw, spectral, spectrogram
from workers.dsp.parameters import (
    InvalidInput,
    InvalidParameter,
    Parameter,
    ProcessingBlock,
    validate_parameters,
)

__all__ = [
    "BLOCKS",
    "InvalidInput",
    "InvalidParameter",
    "Parameter",
    "ProcessingBlock",
    "UnknownBlock",
    "feature_shape",
    "generate_batch",
    "get_block",
    "validate_params",
]


class UnknownBlock(KeyError):
    """No processing block has this id."""


def _declare(
    module: ModuleType, block_id: str, title: str, input_kind: Literal["timeseries", "image"] = "timeseries"
) -> ProcessingBlock:
    return ProcessingBlock(
        id=block_id,
        title=title,
        version=module.VERSION,
        input_kind=input_kind,
        parameters=tuple(module.PARAMETERS),
        generate_features=module.generate_features,
        feature_shape=module.feature_shape,
        feature_names=getattr(module, "feature_names", None),
    )


BLOCKS: dict[str, ProcessingBlock] = {
    block.id: block
    for block in (
        _declare(raw, "raw", "Raw data"),
        _declare(flatten, "flatten", "Flatten"),
        _declare(spectral, "spectral", "Spectral analysis"),
        _declare(mfcc, "mfcc", "Audio (MFCC)"),
        _declare(mfe, "mfe", "Audio (MFE)"),
        _declare(spectrogram, "spectrogram", "Spectrogram"),
        _declare(image, "image", "Image", input_kind="image"),
    )
}


def get_block(block_id: str) -> ProcessingBlock:
    """The block registered as ``block_id``, or ``UnknownBlock``."""
    try:
        return BLOCKS[block_id]
    except KeyError:
        raise UnknownBlock(f"unknown processing block '{block_id}' (known: {', '.join(BLOCKS)})") from None


def validate_params(block_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the block's declaration and fill defaults; raises ``InvalidParameter``."""
    return validate_parameters(get_block(block_id).parameters, params)


def feature_shape(
    block_id: str, input_shape: tuple[int, ...], frequency_hz: float, params: Mapping[str, Any]
) -> tuple[int, ...]:
    """Shape of one window's features (``input_shape`` is ``[frames, axes]``, or ``[H, W, C]`` for images)."""
    block = get_block(block_id)
    checked = validate_parameters(block.parameters, params)
    return tuple(block.feature_shape(input_shape[0], input_shape[1], frequency_hz, **checked))


def generate_batch(
    block_id: str, windows: np.ndarray, frequency_hz: float, params: Mapping[str, Any]
) -> np.ndarray:
    """Features of every window: float32 ``[N, F]`` from ``[N, frames, axes]`` (``[N, H, W, C]`` images)."""
    block = get_block(block_id)
    checked = validate_parameters(block.parameters, params)
    batch = np.asarray(windows)
    expected_rank = 4 if block.input_kind == "image" else 3
    if batch.ndim != expected_rank:
        raise InvalidInput(
            f"block '{block_id}' takes a batch of rank {expected_rank}, got shape {batch.shape}"
        )
    size = int(np.prod(block.feature_shape(batch.shape[1], batch.shape[2], frequency_hz, **checked)))
    out = np.empty((batch.shape[0], size), dtype=np.float32)
    for i, window in enumerate(batch):
        out[i] = block.generate_features(window, frequency_hz, **checked)
    return out
