"""Where a bundle kind puts the impulse's sources, and the build files each kind carries: Makefile and
CMakeLists.txt (c-library), library.properties with precompiled static libraries and a sketch (arduino),
library.json (platformio), README files."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from string import Template

import numpy as np

from firmware.boards import Board
from firmware.deploy.sources import C_DIR, STRICT_CFLAGS, ImpulseTree
from firmware.deploy.spec import ImageInput, ImpulseSpec

ARDUINO_DIR = "moteforge_impulse"
LIBRARY_FILE = "libmoteforge_impulse.a"
# Arduino looks for precompiled libraries under src/{build.mcu}[/{build.fpu}-{build.float-abi}]; these are
# the values of the Arduino mbed cores (Nano 33 BLE Sense: softfp; RP2040: no FPU; Portenta H7's M7).
# The M4 and M7 have the DSP extension: their libraries use the Arm kernels.
ARDUINO_CORES = {
    "cortex-m4/fpv4-sp-d16-softfp": ("-mcpu=cortex-m4", "-mfloat-abi=softfp", "-mfpu=fpv4-sp-d16"),
    "cortex-m0plus": ("-mcpu=cortex-m0plus", "-mfloat-abi=soft"),
    "cortex-m7/fpv5-d16-softfp": ("-mcpu=cortex-m7", "-mfloat-abi=softfp", "-mfpu=fpv5-d16"),
}
_DSP_CORES = ("cortex-m4", "cortex-m7")
_VERSION = "1.0.{model_version}"
AUDIO_BLOCKS = ("mfcc", "mfe", "spectrogram")


def _tree_files(tree: ImpulseTree) -> dict[str, bytes]:
    files = {}
    for path in sorted(tree.root.rglob("*")):
        if path.is_file() and path.name != "mf_impulse_glue.c":
            files[path.relative_to(tree.root).as_posix()] = path.read_bytes()
    return files


def _flattened(tree: ImpulseTree, prefix: str) -> dict[str, bytes]:
    """Every library source and header directly under ``prefix`` (Arduino adds only src/ to the include
    path, so nested folders would need edited #include lines)."""
    out: dict[str, bytes] = {}
    for rel, data in _tree_files(tree).items():
        if rel.startswith(("examples/", "runtime/arch/")):
            continue  # the Arm kernels share file names with the portable ones; src/ holds those
        name = f"{prefix}/{rel.rsplit('/', 1)[-1]}"
        if name in out:
            raise ValueError(f"two sources are named {name}")
        out[name] = data
    return out


def _render(template: str, **fields: object) -> bytes:
    return Template((C_DIR / template).read_text()).substitute(fields).encode()


def _safe_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.\- ]+", " ", text).strip()
    return re.sub(r"\s+", " ", cleaned)[:40] or "Impulse"


def _is_audio(spec: ImpulseSpec) -> bool:
    """One axis through audio blocks only: the sketch listens to the microphone instead of the IMU."""
    return len(spec.input.axes) == 1 and all(b.type in AUDIO_BLOCKS for b in spec.dsp)


def _input_fields(spec: ImpulseSpec) -> dict[str, str]:
    inp = spec.input
    if isinstance(inp, ImageInput):
        return {
            "width": str(inp.width),
            "height": str(inp.height),
            "color_depth": inp.color_depth,
            "resize_mode": inp.resize_mode,
        }
    return {
        "axes": ", ".join(inp.axes),
        "frequency": f"{inp.frequency_hz:g}",
        "window_ms": f"{inp.window_ms:g}",
        "stride_ms": f"{inp.stride_ms:g}",
    }


def arduino_test_frame(frame: np.ndarray, label: str) -> dict[str, bytes]:
    """``test_frame.h`` of the image sketch: a test sample's RGB888 frame, which the studio labels
    ``label``, as a constant array (the sketch's boards have no camera)."""
    data = np.ascontiguousarray(frame, dtype=np.uint8).reshape(-1)
    rows = [", ".join(str(int(v)) for v in data[i : i + 24]) for i in range(0, len(data), 24)]
    comment = label.replace("*/", "* /")
    text = (
        f"/* A test frame of the project, {frame.shape[1]}x{frame.shape[0]} RGB888; the studio classifies it as"
        f" {comment}. */\n"
        "static const uint8_t test_frame[MF_IMPULSE_IMAGE_BYTES] = {\n    " + ",\n    ".join(rows) + "\n};\n"
    )
    return {f"{ARDUINO_DIR}/examples/classify_image/test_frame.h": text.encode()}


def sources(tree: ImpulseTree, kind: str, spec: ImpulseSpec, board: Board) -> dict[str, bytes]:
    """The kind's source and build files, path -> bytes (binaries are added by the bundle builder)."""
    fields = {
        "project": spec.project_name,
        "project_id": spec.project_id,
        "impulse_version": spec.impulse_version,
        "model_version": spec.model_version,
        "board": board.name,
        "classes": (
            f"one anomaly score, anomalous above {float((spec.anomaly or {})['threshold']):g}"
            if spec.is_anomaly
            else (
                "none, a regression: `scores[0]` is the predicted value, and classify prints "
                '`{"windows": [{"index", "value"}], "value"}`'
            )
            if spec.is_regression
            else ", ".join(spec.class_names)
        ),
        **_input_fields(spec),
    }
    # Image impulses have their own README, library.properties and sketch (a static frame, no sensor).
    image = "_image" if spec.is_image else ""
    readme = _render(f"README{image}.md.tmpl", **fields)
    if kind == "c-library":
        files = _tree_files(tree)
        files["Makefile"] = (C_DIR / "Makefile.bundle").read_bytes()
        files["CMakeLists.txt"] = (C_DIR / "CMakeLists.bundle.txt").read_bytes()
        files["README.md"] = readme
        return files
    if kind == "arduino":
        name = f"Moteforge {_safe_name(spec.project_name)}"
        files = _flattened(tree, f"{ARDUINO_DIR}/src")
        sketch = "classify_image" if image else "classify_microphone" if _is_audio(spec) else "classify_imu"
        # The PDM library comes with the board's core; the IMU's is a separate library.
        depends = "" if image or _is_audio(spec) else "depends=Arduino_LSM9DS1\n"
        files[f"{ARDUINO_DIR}/library.properties"] = _render(
            f"library{image}.properties.tmpl",
            name=name,
            version=_VERSION.format(**fields),
            depends=depends,
            **fields,
        )
        files[f"{ARDUINO_DIR}/examples/{sketch}/{sketch}.ino"] = (C_DIR / f"{sketch}.ino").read_bytes()
        files[f"{ARDUINO_DIR}/README.md"] = readme
        return files
    if kind == "platformio":
        files = _flattened(tree, "src")
        files["library.json"] = (
            json.dumps(
                {
                    "name": f"moteforge-project-{spec.project_id}-impulse",
                    "version": _VERSION.format(**fields),
                    "description": f"Moteforge impulse of {spec.project_name}: windowing, DSP and int8 model in C99",
                    "keywords": ["tinyml", "moteforge", "classifier"],
                    "frameworks": "*",
                    "platforms": "*",
                    "build": {"flags": ["-std=c99"], "libLDFMode": "deep"},
                    "export": {"include": ["src", "examples", "README.md", "library.json"]},
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        ).encode()
        files["examples/classify.c"] = (tree.root / "examples" / "classify.c").read_bytes()
        files["README.md"] = readme
        return files
    # firmware, linux and wasm bundles carry the sources next to their binaries.
    files = {f"src/{rel}": data for rel, data in _tree_files(tree).items()}
    files["README.md"] = readme
    if kind == "wasm":
        files["wasm/classify.js"] = (C_DIR / "classify.js").read_bytes()
    return files


def check_make(files: dict[str, bytes], work: Path) -> None:
    """Unpack a c-library bundle's files and run ``make`` in it; RuntimeError with its output if it fails."""
    for rel, data in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    done = subprocess.run(["make", "-s"], cwd=work, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not (work / "classify").exists():
        raise RuntimeError(f"make failed in the c-library bundle:\n{done.stdout}{done.stderr}")


def arduino_libraries(tree: ImpulseTree, work: Path) -> dict[str, bytes]:
    """Static libraries of the impulse for each Arm core Arduino boards use, built reproducibly."""
    out = {}
    for folder, cpu in ARDUINO_CORES.items():
        obj_dir = work / folder
        obj_dir.mkdir(parents=True, exist_ok=True)
        sources, includes, defines = tree.build_set(
            frozenset({"dsp"}) if folder.startswith(_DSP_CORES) else frozenset()
        )
        # One compiler run per core writes every object into obj_dir (its working directory); paths
        # relative to it keep the temporary folder's name out of the objects.
        rel = os.path.relpath(tree.root, obj_dir)
        command = [
            "arm-none-eabi-gcc",
            "-mthumb",
            *cpu,
            "-Os",
            *STRICT_CFLAGS,
            "-ffunction-sections",
            "-fdata-sections",
            *[f"-D{name}" for name in defines],
            *[f"-I{rel}/{d}" for d in includes],
            "-c",
            *[f"{rel}/{src}" for src in sources],
        ]
        subprocess.run(command, cwd=obj_dir, check=True, capture_output=True, timeout=300)
        objects = sorted(Path(src).stem + ".o" for src in sources)
        # D: zero timestamps, uids and modes in the archive members.
        subprocess.run(
            ["arm-none-eabi-ar", "rcsD", LIBRARY_FILE, *objects], cwd=obj_dir, check=True, timeout=60
        )
        out[f"{ARDUINO_DIR}/src/{folder}/{LIBRARY_FILE}"] = (obj_dir / LIBRARY_FILE).read_bytes()
    return out
