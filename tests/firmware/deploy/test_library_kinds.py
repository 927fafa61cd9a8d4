"""Arduino and PlatformIO bundles against their published library specifications (arduino-lint and the
PlatformIO platforms cannot be installed here), and their sources built the way those tools build them."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.deploy.bundle import BundleResult
from firmware.deploy.layouts import ARDUINO_CORES, ARDUINO_DIR, LIBRARY_FILE

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

# Arduino Library specification (1.5 format), library.properties.
REQUIRED_FIELDS = (
    "name",
    "version",
    "author",
    "maintainer",
    "sentence",
    "paragraph",
    "category",
    "url",
    "architectures",
)
CATEGORIES = {
    "Display",
    "Communication",
    "Signal Input/Output",
    "Sensors",
    "Device Control",
    "Timing",
    "Data Storage",
    "Data Processing",
    "Other",
}
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,62}$")
FOLDER_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def _extract(result: BundleResult, work: Path) -> Path:
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(work)
    return work


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="module")
def arduino(bundle: Callable[[str, str], BundleResult], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _extract(bundle("arduino-nano-33-ble-sense", "arduino"), tmp_path_factory.mktemp("arduino"))
    return root / ARDUINO_DIR


def test_arduino_library_properties_follow_the_library_specification(arduino: Path) -> None:
    props = _properties((arduino / "library.properties").read_text())
    assert all(props.get(field) for field in REQUIRED_FIELDS)
    assert NAME_RULE.match(props["name"]) and FOLDER_RULE.match(arduino.name)
    assert SEMVER.match(props["version"]) and props["category"] in CATEGORIES
    assert props["precompiled"] == "full" and props["ldflags"] == "-lmoteforge_impulse"
    assert props["depends"] == "Arduino_LSM9DS1"


def test_arduino_layout_has_flat_sources_and_an_example_sketch_named_after_its_folder(arduino: Path) -> None:
    assert (arduino / "src" / "mf_impulse.h").is_file() and (arduino / "src" / "mf_model.c").is_file()
    sketches = sorted((arduino / "examples").iterdir())
    assert sketches and all((s / f"{s.name}.ino").is_file() for s in sketches)
    assert "Arduino_LSM9DS1.h" in (sketches[0] / f"{sketches[0].name}.ino").read_text()


def test_arduino_precompiled_libraries_link_into_a_program_for_each_core(
    arduino: Path, tmp_path: Path
) -> None:
    main = tmp_path / "main.c"
    main.write_text(
        '#include "mf_impulse.h"\n'
        "static float window[MF_IMPULSE_WINDOW_FLOATS];\nstatic float scores[MF_IMPULSE_CLASSES];\n"
        "int main(void) { return mf_impulse_run_window(window, scores); }\n"
    )
    for folder, cpu in ARDUINO_CORES.items():
        library = arduino / "src" / folder / LIBRARY_FILE
        assert library.is_file(), folder
        subprocess.run(
            [
                "arm-none-eabi-gcc",
                "-mthumb",
                *cpu,
                "--specs=nosys.specs",
                f"-I{arduino / 'src'}",
                str(main),
                f"-L{library.parent}",
                "-lmoteforge_impulse",
                "-lm",
                "-o",
                str(tmp_path / "prog.elf"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def test_platformio_library_json_has_the_manifest_fields_and_its_sources_build(
    bundle: Callable[[str, str], BundleResult], tmp_path: Path
) -> None:
    root = _extract(bundle("raspberry-pi-pico", "platformio"), tmp_path)
    manifest = json.loads((root / "library.json").read_text())
    assert re.match(r"^[a-z0-9\-]+$", manifest["name"]) and SEMVER.match(manifest["version"])
    assert manifest["frameworks"] == "*" and manifest["platforms"] == "*"
    assert set(manifest["build"]) <= {
        "flags",
        "srcFilter",
        "includeDir",
        "srcDir",
        "libArchive",
        "libLDFMode",
        "libCompatMode",
    }
    # PlatformIO compiles src/ with only src/ on the include path.
    sources = sorted(str(p) for p in (root / "src").glob("*.c"))
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-Wall",
            "-Werror",
            f"-I{root / 'src'}",
            *sources,
            str(root / "examples" / "classify.c"),
            "-o",
            str(tmp_path / "classify"),
            "-lm",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_an_audio_impulse_gets_the_microphone_sketch_and_no_imu_dependency(tmp_path: Path) -> None:
    from firmware.boards import get_board
    from firmware.deploy.layouts import sources
    from firmware.deploy.sources import write_impulse_tree
    from tests.firmware.deploy.factories import keyword_spec_and_samples

    spec, _ = keyword_spec_and_samples()
    files = sources(
        write_impulse_tree(spec, tmp_path), "arduino", spec, get_board("arduino-nano-33-ble-sense")
    )
    sketch = files[f"{ARDUINO_DIR}/examples/classify_microphone/classify_microphone.ino"].decode()
    assert "#include <PDM.h>" in sketch
    props = _properties(files[f"{ARDUINO_DIR}/library.properties"].decode())
    assert "depends" not in props and all(props.get(field) for field in REQUIRED_FIELDS)
