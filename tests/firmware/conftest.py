"""Fixtures for the firmware compiler tests: int8 conversion of factory models, cached per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.testing.random_models import convert_int8
from tests.firmware.factories import Factory


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tflite-cache")


@pytest.fixture(scope="session")
def tflite(model_cache: Path) -> Callable[[Factory], bytes]:
    """Full-int8 .tflite bytes for a factory, converted once per session."""

    def convert(factory: Factory) -> bytes:
        path = model_cache / f"{factory.__name__}.tflite"
        if not path.exists():
            model, shape = factory()
            path.write_bytes(convert_int8(model, shape, seed=3))
        return path.read_bytes()

    return convert
