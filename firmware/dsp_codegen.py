"""Emit a processing block as C: its float32 tables and parameter struct for firmware/runtime/dsp.

The tables come from the very functions the Python blocks use (workers.dsp), so C and Python multiply
by identical float32 coefficients. Output is deterministic byte for byte for the same inputs.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

import workers.dsp as dsp
from workers.dsp import audio, image, mfcc, spectral, wavelet

C_BLOCKS = ("raw", "flatten", "spectral", "spectrogram", "mfe", "mfcc", "image")

_HEADER = Template("""\
$banner
#ifndef ${guard}
#define ${guard}

#include "mf_dsp.h"

#define ${upper}_INPUT_TYPE ${input_type}
#define ${upper}_INPUT_COUNT ${input_count}   /* ${input_shape} */
#define ${upper}_OUTPUT_FLOATS ${output_floats}  /* ${output_shape} */
#define ${upper}_SCRATCH_FLOATS ${scratch_floats}

/* ${title} features of one window; scratch holds ${upper}_SCRATCH_FLOATS floats (NULL if 0). */
mf_status ${prefix}_run(const ${input_type} *input, float *scratch, float *output);

#endif /* ${guard} */
""")

_SOURCE = Template("""\
$banner
#include "${prefix}.h"

$tables
mf_status ${prefix}_run(const ${input_type} *input, float *scratch, float *output)
{
$body
}
""")


class UnsupportedBlock(ValueError):
    """The block has no C implementation."""


@dataclass(frozen=True)
class GeneratedBlock:
    """A block's generated header (``<prefix>.h``) and source (``<prefix>.c``) and its buffer sizes."""

    header: str
    source: str
    input_count: int
    output_floats: int
    scratch_floats: int


def _float_literal(value: float) -> str:
    # Nine significant digits round-trip every float32 exactly.
    return f"{float(value):.9e}f"


def c_table(ctype: str, name: str, values: Sequence[Any] | np.ndarray, comment: str) -> str:
    """A ``static const`` C array of ``values`` (``float`` or an integer type) preceded by ``comment``."""
    flat = np.asarray(values).reshape(-1)
    if ctype == "float":
        items = [_float_literal(v) for v in flat.astype(np.float32)]
        per_line = 5
    else:
        items = [str(int(v)) for v in flat]
        per_line = 16
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    body = ",\n    ".join(lines)
    return f"/* {comment} */\nstatic const {ctype} {name}[{len(items)}] = {{\n    {body}\n}};\n"


def fft_tables(fft_length: int) -> tuple[np.ndarray, np.ndarray]:
    """``cos(2 pi k / N)`` and ``sin(2 pi k / N)`` for ``k < N/2``, computed in float64, stored float32."""
    angle = 2.0 * np.pi * np.arange(fft_length // 2, dtype=np.float64) / fft_length
    return np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)


def _fft_plan(prefix: str, fft_length: int, tables: list[str]) -> str:
    cos_table, sin_table = fft_tables(fft_length)
    tables.append(
        c_table("float", f"{prefix}_fft_cos", cos_table, f"cos(2 pi k / {fft_length}), k < {fft_length // 2}")
    )
    tables.append(
        c_table("float", f"{prefix}_fft_sin", sin_table, f"sin(2 pi k / {fft_length}), k < {fft_length // 2}")
    )
    return f"{{{fft_length}, {prefix}_fft_cos, {prefix}_fft_sin}}"


def _flatten_body(prefix: str, params: dict[str, Any], tables: list[str]) -> tuple[str, int]:
    bits = sum(
        1 << i
        for i, name in enumerate(("average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis"))
        if params[name]
    )
    tables.append(
        f"static const mf_dsp_flatten_params {prefix}_params = {{{_float_literal(params['scale_axes'])}, 0x{bits:02X}}};\n"
    )
    return f"mf_dsp_flatten(&{prefix}_params, FRAMES, AXES, input, output)", 0


def _spectral_body(
    prefix: str, params: dict[str, Any], frames: int, rate: float, tables: list[str]
) -> tuple[str, int]:
    n = params["fft_length"]
    sos_name, sections = "0", 0
    if params["filter_type"] != "none":
        sos = spectral.filter_sections(
            params["filter_type"], params["filter_order"], float(params["filter_cutoff"]), float(rate)
        )
        sections = sos.shape[0]
        sos_name = f"{prefix}_sos"
        tables.append(
            c_table(
                "float",
                sos_name,
                sos,
                f"Butterworth {params['filter_type']}-pass, order {params['filter_order']}, "
                f"{params['filter_cutoff']:g} Hz at {rate:g} Hz: {sections} sections b0 b1 b2 a0 a1 a2",
            )
        )
    if params["analysis_type"] == "wavelet":
        # The FFT fields are unused in wavelet analysis; the smallest valid plan keeps the struct complete.
        taps = wavelet.daubechies(params["wavelet"])
        level = params["wavelet_level"]
        tables.append(
            c_table(
                "float", f"{prefix}_wavelet", taps, f"{params['wavelet']} scaling filter, {taps.size} taps"
            )
        )
        fields = (
            f"{{0, 0, 0}}, 0, 0, 0, {_float_literal(rate)}, {prefix}_wavelet, {taps.size}, {level}, 0, 0, 0"
        )
        padded = wavelet.padded_length(frames, level)
        scratch = 2 * padded + padded // 2
    else:
        plan = _fft_plan(prefix, n, tables)
        bands = "0, 0, 0"
        if params["spectrum_layout"] == "log_bands":
            firsts, counts = spectral.log_bands(n, params["band_count"])
            what = f"{firsts.size} log-spaced bands over {n // 2} bins"
            tables.append(c_table("int32_t", f"{prefix}_band_first", firsts, f"{what}: first spectrum index"))
            tables.append(c_table("int32_t", f"{prefix}_band_count", counts, f"{what}: bin count"))
            bands = f"{firsts.size}, {prefix}_band_first, {prefix}_band_count"
        fields = (
            f"{plan},\n    {int(params['fft_overlap'])}, {int(params['power_scale'] == 'log')}, "
            f"{params['peaks_count']}, {_float_literal(rate)}, 0, 0, 0, {bands}"
        )
        scratch = frames + n + (n // 2 + 1) + 2 * (n // 2)
    tables.append(
        f"static const mf_dsp_spectral_params {prefix}_params = {{\n"
        f"    {_float_literal(params['scale_axes'])}, {sos_name}, {sections}, {fields}}};\n"
    )
    return f"mf_dsp_spectral(&{prefix}_params, FRAMES, AXES, input, scratch, output)", scratch


def _audio_body(
    prefix: str, block_id: str, params: dict[str, Any], frames: int, rate: float, tables: list[str]
) -> tuple[str, int]:
    n = params["fft_length"]
    geometry = audio.frame_geometry(frames, rate, params["frame_length"], params["frame_stride"], n)
    window = "0"
    if params["window_type"] != "none":
        window = f"{prefix}_window"
        tables.append(
            c_table(
                "float",
                window,
                audio.window_table(params["window_type"], geometry.length),
                f"periodic {params['window_type']}, {geometry.length} samples",
            )
        )
    plan = _fft_plan(prefix, n, tables)
    filters = ("0", "0", "0")
    num_filters = num_cepstral = 0
    dct = lifter = "0"
    normalization = 0
    if block_id in ("mfe", "mfcc"):
        _, bank = audio.mel_setup(frames, rate, params)
        first, count, weights = bank.first, bank.count, bank.weights
        num_filters = first.shape[0]
        low, high = audio.check_band(params["low_frequency"], params["high_frequency"], rate)
        what = f"{num_filters} HTK mel filters {low:g}-{high:g} Hz over {n // 2 + 1} bins"
        tables.append(c_table("int16_t", f"{prefix}_filter_first", first, f"{what}: first bin"))
        tables.append(c_table("int16_t", f"{prefix}_filter_count", count, f"{what}: bin count"))
        tables.append(c_table("float", f"{prefix}_filter_weights", weights, f"{what}: weights"))
        filters = (f"{prefix}_filter_first", f"{prefix}_filter_count", f"{prefix}_filter_weights")
    if block_id == "mfcc":
        num_cepstral = params["num_cepstral"]
        dct = f"{prefix}_dct"
        tables.append(
            c_table(
                "float",
                dct,
                mfcc.dct_matrix(num_cepstral, num_filters),
                f"orthonormal DCT-II, {num_cepstral} x {num_filters}",
            )
        )
        if params["lifter"]:
            lifter = f"{prefix}_lifter"
            tables.append(
                c_table(
                    "float",
                    lifter,
                    mfcc.lifter_table(num_cepstral, params["lifter"]),
                    f"lifter L = {params['lifter']}",
                )
            )
        normalization = ("none", "mean", "mean_std").index(params["normalization"])
    floor = params.get("noise_floor_db", -1.0)
    tables.append(
        f"static const mf_dsp_audio_params {prefix}_params = {{\n"
        f"    {geometry.length}, {geometry.stride}, {window}, {_float_literal(params.get('pre_emphasis', 0.0))},\n"
        f"    {plan}, {_float_literal(floor)},\n"
        f"    {num_filters}, {filters[0]}, {filters[1]}, {filters[2]},\n"
        f"    {num_cepstral}, {dct}, {lifter}, {normalization}}};\n"
    )
    scratch = n + (n // 2 + 1) + num_filters
    return f"mf_dsp_{block_id}(&{prefix}_params, FRAMES, input, scratch, output)", scratch


def _image_body(
    prefix: str, params: dict[str, Any], shape: tuple[int, ...], tables: list[str]
) -> tuple[str, int]:
    height, width, channels = shape
    plan = image.resize_plan(height, width, params["width"], params["height"], params["resize_mode"])
    out_channels = 3 if params["color_depth"] == "rgb" else 1
    for axis, (lower, upper, weight) in (("row", plan.rows), ("col", plan.cols)):
        what = f"{params['resize_mode']} {height}x{width} -> {params['height']}x{params['width']}, per output {axis}"
        tables.append(c_table("int32_t", f"{prefix}_{axis}_lower", lower, f"{what}: lower source {axis}"))
        tables.append(c_table("int32_t", f"{prefix}_{axis}_upper", upper, f"{what}: upper source {axis}"))
        tables.append(
            c_table("float", f"{prefix}_{axis}_weight", weight, f"{what}: weight of the upper {axis}")
        )
    tables.append(
        f"static const mf_dsp_image_params {prefix}_params = {{\n"
        f"    {height}, {width}, {channels}, {params['height']}, {params['width']}, {out_channels},\n"
        f"    {plan.top}, {plan.left}, {plan.inner_height}, {plan.inner_width},\n"
        f"    {prefix}_row_lower, {prefix}_row_upper, {prefix}_row_weight,\n"
        f"    {prefix}_col_lower, {prefix}_col_upper, {prefix}_col_weight}};\n"
    )
    return f"mf_dsp_image(&{prefix}_params, input, output)", 0


def emit_block(
    block_id: str,
    params: Mapping[str, Any],
    *,
    input_shape: tuple[int, ...],
    frequency_hz: float,
    prefix: str = "mf_block",
) -> GeneratedBlock:
    """Generate ``<prefix>.h`` and ``<prefix>.c`` computing ``block_id`` on windows of ``input_shape``
    (``[frames, axes]`` floats at ``frequency_hz``; ``[height, width, channels]`` uint8 for ``image``).
    The function is ``<prefix>_run(input, scratch, output)``."""
    if block_id not in C_BLOCKS:
        raise UnsupportedBlock(
            f"block '{block_id}' has no C implementation (available: {', '.join(C_BLOCKS)})"
        )
    if not prefix.isidentifier():
        raise ValueError(f"prefix '{prefix}' is not a C identifier")
    block = dsp.get_block(block_id)
    checked = dsp.validate_params(block_id, params)
    if len(input_shape) != (3 if block.input_kind == "image" else 2):
        raise dsp.InvalidInput(f"block '{block_id}' cannot take input of shape {input_shape}")
    frames, axes = input_shape[0], input_shape[1]
    output_shape = block.feature_shape(frames, axes, frequency_hz, **checked)
    output_floats = int(np.prod(output_shape))
    rate = float(frequency_hz)
    tables: list[str] = []
    if block_id == "image":
        call, scratch = _image_body(prefix, checked, input_shape, tables)
    elif block_id == "raw":
        call, scratch = f"mf_dsp_raw({_float_literal(checked['scale_axes'])}, FRAMES, AXES, input, output)", 0
    elif block_id == "flatten":
        call, scratch = _flatten_body(prefix, checked, tables)
    elif block_id == "spectral":
        call, scratch = _spectral_body(prefix, checked, frames, rate, tables)
    else:
        if axes != 1:
            raise dsp.InvalidInput(f"audio blocks take one axis, got {axes}")
        call, scratch = _audio_body(prefix, block_id, checked, frames, rate, tables)
    version = importlib.metadata.version("moteforge")
    described = json.dumps(checked, sort_keys=True)
    banner = (
        f"/* Generated by Moteforge {version} firmware/dsp_codegen.py: block {block_id} v{block.version},\n"
        f" * input {list(input_shape)}{'' if block.input_kind == 'image' else f' at {rate:g} Hz'}, output {list(output_shape)}.\n"
        f" * Parameters: {described} */"
    )
    upper = prefix.upper()
    substitutions = {
        "banner": banner,
        "guard": f"{upper}_H",
        "upper": upper,
        "prefix": prefix,
        "title": block.title,
        "input_type": "uint8_t" if block.input_kind == "image" else "float",
        "input_count": int(np.prod(input_shape)),
        "input_shape": " x ".join(str(d) for d in input_shape),
        "output_floats": output_floats,
        "output_shape": " x ".join(str(d) for d in output_shape),
        "scratch_floats": scratch,
    }
    call = call.replace("FRAMES", str(frames)).replace("AXES", str(axes))
    body = f"    /* {block.title}: {list(input_shape)} -> {list(output_shape)} */\n"
    if scratch == 0:
        body += "    (void)scratch;\n"
    body += f"    return {call};"
    header = _HEADER.substitute(substitutions)
    source = _SOURCE.substitute(substitutions, tables="\n".join(tables), body=body)
    if block_id == "image":
        header, source = _with_image_rows(header, source, prefix, output_shape)
    return GeneratedBlock(
        header=header,
        source=source,
        input_count=int(np.prod(input_shape)),
        output_floats=output_floats,
        scratch_floats=scratch,
    )


def _with_image_rows(header: str, source: str, prefix: str, output_shape: tuple[int, ...]) -> tuple[str, str]:
    """An image block also computes one output row at a time (``<prefix>_run_row``), so a caller can quantize
    the picture row by row instead of holding all of its floats."""
    upper = prefix.upper()
    rows, width, channels = output_shape
    declaration = (
        f"#define {upper}_ROWS {rows}\n"
        f"#define {upper}_ROW_FLOATS {width * channels}\n\n"
        f"/* Row `row` (0 .. {upper}_ROWS - 1) of the features alone: {upper}_ROW_FLOATS floats. */\n"
        f"mf_status {prefix}_run_row(const uint8_t *input, int32_t row, float *output);\n\n"
    )
    guard_end = f"#endif /* {upper}_H */"
    header = header.replace(guard_end, declaration + guard_end)
    source += (
        f"\nmf_status {prefix}_run_row(const uint8_t *input, int32_t row, float *output)\n"
        f"{{\n    return mf_dsp_image_row(&{prefix}_params, input, row, output);\n}}\n"
    )
    return header, source


_GLUE = Template("""\
/* Generated by Moteforge firmware/dsp_codegen.py: runs ${prefix}_run under the target harness (mf_harness.h).
 * Input: one window of ${upper}_INPUT_COUNT values; output: its features as float32, cut to the harness's
 * output capacity when they do not fit. */
#include <string.h>

#include "mf_harness.h"
#include "${prefix}.h"

static ${upper}_INPUT_TYPE ${prefix}_input[${upper}_INPUT_COUNT];
static float ${prefix}_output[${upper}_OUTPUT_FLOATS];
static float ${prefix}_scratch[${upper}_SCRATCH_FLOATS + 1];

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    mf_status status;
    if (in_len != sizeof ${prefix}_input) {
        return 20;
    }
    /* Copied rather than cast: the harness buffer is not declared as ${upper}_INPUT_TYPE. */
    memcpy(${prefix}_input, in, sizeof ${prefix}_input);
    status = ${prefix}_run(${prefix}_input, ${prefix}_scratch, ${prefix}_output);
    if (status != MF_OK) {
        return 20 + (int)status;
    }
    *out_len = out_cap < sizeof ${prefix}_output ? out_cap : sizeof ${prefix}_output;
    memcpy(out, ${prefix}_output, *out_len);
    return 0;
}
""")


def emit_harness_glue(prefix: str = "mf_block") -> str:
    """C glue implementing ``mf_harness_invoke`` with a block generated under ``prefix``, so the block runs
    on every Moteforge target (host, QEMU Cortex-M, WebAssembly) with the target's harness."""
    return _GLUE.substitute(prefix=prefix, upper=prefix.upper())


RUNTIME_DIR = Path(__file__).parent / "runtime" / "dsp"
RUNTIME_INCLUDE_DIRS = (RUNTIME_DIR, Path(__file__).parent / "runtime" / "include")

# libm functions the DSP runtime calls. Linkers that read flags before the objects (the target builders
# do) would skip libm, so the symbols are first declared undefined; then -lm supplies them.
LIBM_LINK_FLAGS = ("-Wl,-u,log10f", "-Wl,-u,sqrt", "-Wl,-u,log2", "-lm")


def write_block_sources(directory: Path, generated: GeneratedBlock, prefix: str = "mf_block") -> list[Path]:
    """Write ``<prefix>.h``, ``<prefix>.c`` and the harness glue into ``directory``; return every C source
    a target build needs (those two plus the DSP runtime). Include ``directory`` and
    ``RUNTIME_INCLUDE_DIRS``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{prefix}.h").write_text(generated.header)
    (directory / f"{prefix}.c").write_text(generated.source)
    (directory / f"{prefix}_glue.c").write_text(emit_harness_glue(prefix))
    return [directory / f"{prefix}.c", directory / f"{prefix}_glue.c", *sorted(RUNTIME_DIR.glob("*.c"))]
