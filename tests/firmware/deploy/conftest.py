"""Session fixtures for the deployment tests: the BasicMotions impulse trained once, its test samples with
the studio's classification, a signing key, and bundles built once and shared by several tests."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firmware.deploy.bundle import BundleResult, build_bundle
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample
from tests.firmware.deploy import factories

SIGNING_KEY = bytes(range(32))


@pytest.fixture(scope="session")
def deploy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy-cache")


@pytest.fixture(scope="session")
def spec(deploy_cache: Path) -> ImpulseSpec:
    model, names = factories.cached_model(deploy_cache)
    return factories.impulse_spec(model, names)


@pytest.fixture(scope="session")
def samples(spec: ImpulseSpec) -> list[TestSample]:
    return factories.test_samples(spec, 4)


@pytest.fixture(scope="session")
def bundle(
    spec: ImpulseSpec, samples: list[TestSample], deploy_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], BundleResult]:
    """Build (once per board and kind) a verified bundle of the demo impulse."""
    built: dict[tuple[str, str], BundleResult] = {}

    def make(board_id: str, kind: str) -> BundleResult:
        if (board_id, kind) not in built:
            out = tmp_path_factory.mktemp("bundles") / f"{board_id}-{kind}.zip"
            built[(board_id, kind)] = build_bundle(
                spec,
                board_id,
                kind,
                out,
                signing_key=SIGNING_KEY,
                test_samples=samples,
                cache_dir=deploy_cache,
            )
        return built[(board_id, kind)]

    return make


def names_in(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def classify_with_make(bundle_zip: Path, work: Path, csv_text: str) -> dict[str, Any]:
    """A c-library bundle unpacked under ``work``, built with its own Makefile as a user would, and its
    classify example's JSON for one CSV recording."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(work / "lib")
    subprocess.run(["make", "-s"], cwd=work / "lib", check=True, capture_output=True, timeout=300)
    done = subprocess.run(
        [str(work / "lib" / "classify")],
        input=csv_text,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)
