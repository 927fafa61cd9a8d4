"""Anomaly and regression impulses in the other bundle kinds: the classify example under qemu-aarch64 and in
wasmtime, the Arduino library's precompiled cores, and the sketches' output code compiled for each learning
block against the Arduino functions they call (no Arduino core can be installed here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from firmware.boards import get_board
from firmware.deploy.bundle import build_bundle
from firmware.deploy.layouts import ARDUINO_DIR, sources
from firmware.deploy.sources import write_impulse_tree
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample
from tests.firmware.deploy import factories
from tests.firmware.deploy.conftest import SIGNING_KEY

# The declarations of the Arduino core, Arduino_LSM9DS1 and PDM that the sketches use, so that g++ checks
# each sketch as the Arduino IDE compiles it (C++, with Arduino.h included first).
ARDUINO_API = """
#include <stdint.h>
#include <string.h>
struct SerialPort {
  void begin(unsigned long baud);
  operator bool() const;
  void print(const char *text);
  void print(float value, int digits);
  void println(const char *text);
  void println(float value, int digits);
};
extern SerialPort Serial;
unsigned long micros();
void noInterrupts();
void interrupts();
struct LSM9DS1Class {
  int begin();
  int accelerationAvailable();
  int gyroscopeAvailable();
  int magneticFieldAvailable();
  int readAcceleration(float &x, float &y, float &z);
  int readGyroscope(float &x, float &y, float &z);
  int readMagneticField(float &x, float &y, float &z);
};
extern LSM9DS1Class IMU;
struct PDMClass {
  void onReceive(void (*callback)());
  int begin(int channels, int rate);
  int available();
  int read(void *buffer, int bytes);
};
extern PDMClass PDM;
"""


@pytest.fixture(scope="module")
def regression(deploy_cache: Path) -> tuple[ImpulseSpec, list[TestSample]]:
    spec = factories.regression_spec(deploy_cache)
    return spec, factories.regression_samples(spec, 2)


@pytest.fixture(scope="module")
def kmeans() -> tuple[ImpulseSpec, list[TestSample]]:
    spec = factories.anomaly_spec("kmeans")
    return spec, factories.anomaly_samples(spec, 2)


@pytest.fixture(scope="module")
def keyword() -> tuple[ImpulseSpec, list[TestSample]]:
    return factories.keyword_spec_and_samples()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize(
    ("learn", "board_id", "kind", "check"),
    [
        ("regression", "raspberry-pi-4", "linux", "classify example, aarch64 under qemu-aarch64"),
        ("regression", "wasm", "wasm", "classify example, WebAssembly in wasmtime"),
        ("kmeans", "wasm", "wasm", "classify example, WebAssembly in wasmtime"),
        ("kmeans", "arduino-nano-33-ble-sense", "arduino", "impulse on cortex-m4 in QEMU"),
    ],
)
def test_the_bundle_kind_is_verified_for_the_learning_block(
    learn: str,
    board_id: str,
    kind: str,
    check: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    deploy_cache: Path,
) -> None:
    spec, samples = request.getfixturevalue(learn)
    result = build_bundle(
        spec,
        board_id,
        kind,
        tmp_path / "b.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    checks = {c["check"]: c["ok"] for c in result.verification["checks"]}
    assert checks[check] and all(checks.values())


def _sketch_compiles(spec: ImpulseSpec, work: Path) -> None:
    tree = write_impulse_tree(spec, work / "tree")
    files = sources(tree, "arduino", spec, get_board("arduino-nano-33-ble-sense"))
    (sketch_name,) = [n for n in files if n.endswith(".ino")]
    api = work / "api"
    api.mkdir()
    (api / "Arduino.h").write_text(ARDUINO_API)
    (api / "Arduino_LSM9DS1.h").write_text("")
    (api / "PDM.h").write_text("")
    sketch = work / "sketch.cpp"
    sketch.write_bytes(files[sketch_name])
    done = subprocess.run(
        [
            "g++",
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-include",
            "Arduino.h",
            f"-I{api}",
            f"-I{tree.root / 'impulse'}",
            str(sketch),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sketch_name.startswith(f"{ARDUINO_DIR}/examples/")


@pytest.mark.slow
@pytest.mark.parametrize("learn", ["spec", "keyword", "regression", "kmeans"])
def test_the_arduino_sketch_compiles_for_each_learning_block(
    learn: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    value = request.getfixturevalue(learn)
    spec = value[0] if isinstance(value, tuple) else value
    _sketch_compiles(spec, tmp_path)


def test_the_sketches_print_what_each_learning_block_gives() -> None:
    from firmware.deploy.sources import C_DIR

    for name in ("classify_imu.ino", "classify_microphone.ino"):
        text = (C_DIR / name).read_text()
        # An anomaly block: its score and "normal" or "anomaly" against the threshold; a regression: the value.
        assert 'MF_IMPULSE_ANOMALY_THRESHOLD ? " anomaly" : " normal"' in text
        assert 'Serial.print("value ");' in text and "print_result(scores);" in text
