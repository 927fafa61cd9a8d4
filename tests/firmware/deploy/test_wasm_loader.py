"""The wasm bundle's shipped JavaScript loader (``wasm/classify.js``) run by Node on ``wasm/classify.wasm``:
the same JSON as the module under wasmtime, the studio's answers, and the module's errors as exceptions."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.deploy.bundle import BundleResult
from firmware.deploy.runners import CLASSIFY_TOOLCHAINS, run_classify
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample, to_csv
from tests.firmware.deploy import factories

pytestmark = pytest.mark.slow

# Imports the loader as the browser does (an ES module), then classifies the CSV twice: from the module's
# bytes and from a compiled WebAssembly.Module, as the studio's live classification page passes it.
RUN_MJS = """
import { readFileSync } from "node:fs";
import { classify } from "./classify.js";

const [csvPath, interval] = process.argv.slice(2);
const bytes = readFileSync(new URL("./classify.wasm", import.meta.url));
const csv = readFileSync(csvPath, "utf8");
try {
  const fromBytes = await classify(bytes, csv, interval ? Number(interval) : undefined);
  const fromModule = await classify(await WebAssembly.compile(bytes), csv, interval ? Number(interval) : undefined);
  process.stdout.write(JSON.stringify({ fromBytes, fromModule }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error.message }));
}
"""
# One int8 output step of the demo classifier's softmax (scale 1/256), plus the studio's 5-decimal rounding.
SCORE_STEP = 1 / 256 + 1e-5


@pytest.fixture(scope="module")
def loader_dir(bundle: Callable[[str, str], BundleResult], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle's wasm/ folder as a user unzips it, with the small Node script beside it."""
    out = tmp_path_factory.mktemp("wasm-loader")
    with zipfile.ZipFile(bundle("wasm", "wasm").path) as archive:
        for name in ("classify.wasm", "classify.js"):
            (out / name).write_bytes(archive.read(f"wasm/{name}"))
    (out / "run.mjs").write_text(RUN_MJS)
    return out


def _node(loader_dir: Path, csv_text: str, interval_ms: float | None) -> dict:
    node = shutil.which("node")
    assert node is not None, "Node.js (v18 or newer) runs the loader test"
    csv_path = loader_dir / "recording.csv"
    csv_path.write_text(csv_text)
    args = [node, str(loader_dir / "run.mjs"), str(csv_path)] + ([str(interval_ms)] if interval_ms else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _assert_matches_studio(got: dict, sample: TestSample) -> None:
    expected = sample.expected
    assert got["label"] == expected["label"]
    assert len(got["windows"]) == len(expected["windows"])
    for mine, theirs in zip(got["windows"], expected["windows"], strict=True):
        assert mine["scores"].keys() == theirs["scores"].keys()
        assert all(abs(mine["scores"][k] - theirs["scores"][k]) <= SCORE_STEP for k in theirs["scores"])


def test_the_loader_in_node_prints_what_wasmtime_prints_and_agrees_with_the_studio(
    loader_dir: Path, spec: ImpulseSpec, samples: list[TestSample]
) -> None:
    for sample in samples:
        csv_text = to_csv(sample, spec.input.axes)
        ran = _node(loader_dir, csv_text, sample.interval_ms)
        wasmtime = json.loads(
            run_classify(
                CLASSIFY_TOOLCHAINS["wasm32"],
                loader_dir / "classify.wasm",
                csv_text,
                ["--interval-ms", str(sample.interval_ms)],
            )
        )
        # The same module on the same bytes: identical JSON, whether the loader got bytes or a Module.
        assert ran["fromBytes"] == ran["fromModule"] == wasmtime
        _assert_matches_studio(ran["fromBytes"], sample)


def test_the_loader_resamples_a_recording_at_another_rate_as_the_studio_does(
    loader_dir: Path, spec: ImpulseSpec
) -> None:
    # 20 Hz readings of a 10 Hz impulse: the module resamples them before cutting windows.
    (sample,) = factories.test_samples(spec, 1, interval_ms=50.0)
    ran = _node(loader_dir, to_csv(sample, spec.input.axes), 50.0)
    _assert_matches_studio(ran["fromBytes"], sample)


def test_a_malformed_csv_is_an_error_naming_its_line_not_a_result(loader_dir: Path) -> None:
    csv_text = "timestamp,accX,accY,accZ,gyrX,gyrY,gyrZ\n0,1,2,3,4,5,6\n100,1,2,three,4,5,6\n"
    assert _node(loader_dir, csv_text, None) == {
        "error": "classify failed: classify: row 3: a cell is not a number"
    }
