"""Rendering the lowered, planned model as model.c / model.h from the templates beside this file.

Output is deterministic byte for byte: no timestamps, no dict-order or float-format surprises.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from string import Template

from firmware.codegen.lower import ConstArray, Layer, LoweredModel
from firmware.codegen.quantization import c_float
from firmware.planner import ArenaPlan
from firmware.planner.fusion import RowGeometry, band_rows

_TEMPLATES = Path(__file__).with_name("templates")
_VALUES_PER_LINE = 16


def moteforge_version() -> str:
    try:
        return version("moteforge")
    except PackageNotFoundError:
        return "0.0.0"


def _const_array(c: ConstArray) -> str:
    align = 4 if c.ctype == "int8_t" else 8
    lines = []
    for i in range(0, len(c.values), _VALUES_PER_LINE):
        lines.append("    " + ", ".join(str(v) for v in c.values[i : i + _VALUES_PER_LINE]) + ",")
    body = "\n".join(lines) if lines else "    0"
    return f"static const {c.ctype} {c.name}[{max(len(c.values), 1)}] MF_ALIGN({align}) = {{\n{body}\n}};"


def _pointer(plan: ArenaPlan, tensor: int) -> str:
    kind, offset = plan.location(tensor)
    if kind == "input":
        return "input"
    if kind == "output":
        return "output"
    return f"(arena + {offset})"


def _layer_call(layer: Layer, plan: ArenaPlan, sizes: dict[int, int]) -> str:
    head = f"    /* {layer.comment} */\n"
    if layer.kernel is None:
        src, dst = plan.tensor_buffer[layer.inputs[0]], plan.tensor_buffer[layer.output]
        if src == dst:
            return head
        # The caller's input and output cannot alias each other: copy.
        return (
            head + "    {\n        int32_t i;\n"
            f"        for (i = 0; i < {sizes[layer.output]}; ++i) {{\n"
            f"            {_pointer(plan, layer.output)}[i] = {_pointer(plan, layer.inputs[0])}[i];\n"
            "        }\n    }\n"
        )
    mapping = {f"t{t}": _pointer(plan, t) for t in (*layer.inputs, layer.output)}
    call = Template(layer.call).substitute(mapping)
    statement = f"    {call}\n" if call.startswith("{") else f"    st = {call};\n"
    return head + statement + "    if (st != MF_OK) {\n        return (int)st;\n    }\n"


def _fused_call(producer: Layer, consumer: Layer, plan: ArenaPlan, band_rows: int) -> str:
    """Run ``producer`` then ``consumer`` row band by row band through a small band buffer."""
    p, c = producer.rows, consumer.rows
    assert p is not None and c is not None
    rb = c.in_row_bytes
    source = _pointer(plan, producer.inputs[0])
    target = _pointer(plan, consumer.output)
    lp, lc = f"l{producer.op_index}", f"l{consumer.op_index}"
    return (
        f"    /* {producer.comment} */\n"
        f"    /* {consumer.comment} */\n"
        f"    /* ... fused: {band_rows} of the {c.in_h} intermediate rows exist at a time */\n"
        "    {\n"
        f"        int8_t *const band = {_pointer(plan, producer.output)};\n"
        "        int32_t r, band_first = 0, band_end = 0;\n"
        f"        for (r = 0; r < {c.out_h}; ++r) {{\n"
        f"            int32_t lo = r * {c.stride} - {c.pad};\n"
        f"            int32_t hi = lo + {c.extent};\n"
        "            lo = lo < 0 ? 0 : lo;\n"
        f"            hi = hi < {c.in_h} ? hi : {c.in_h};\n"
        "            if (lo > band_first) {\n"
        "                /* Rows above lo are read no more: move the rest to the top of the band. */\n"
        f"                const int32_t keep = band_end > lo ? (band_end - lo) * {rb} : 0;\n"
        f"                st = mf_band_shift_s8(band, (lo - band_first) * {rb}, keep);\n"
        "                if (st != MF_OK) {\n"
        "                    return (int)st;\n"
        "                }\n"
        "                band_end = band_end > lo ? band_end : lo;\n"
        "                band_first = lo;\n"
        "            }\n"
        "            if (hi > band_end) {\n"
        f"                st = {lp}_rows({source}, 0, band + (band_end - band_first) * {rb}, band_end, hi);\n"
        "                if (st != MF_OK) {\n"
        "                    return (int)st;\n"
        "                }\n"
        "                band_end = hi;\n"
        "            }\n"
        f"            st = {lc}_rows(band, band_first, {target} + r * {c.out_row_bytes}, r, r + 1);\n"
        "            if (st != MF_OK) {\n"
        "                return (int)st;\n"
        "            }\n"
        "        }\n"
        "    }\n"
    )


def _row_in_place_call(layer: Layer, plan: ArenaPlan, ring_tensor: int, ring_rows: int) -> str:
    """Run a stride-1 windowed layer over its own input buffer, one output row at a time."""
    r = layer.rows
    assert r is not None
    kind, ring_offset = plan.location(ring_tensor)
    assert kind == "arena"
    lp = f"l{layer.op_index}"
    return (
        f"    /* {layer.comment} */\n"
        f"    /* ... in place: output row r replaces input row r - {r.pad} once no later row reads it */\n"
        "    {\n"
        f"        int8_t *const data = {_pointer(plan, layer.output)};\n"
        f"        int8_t *const ring = (arena + {ring_offset});\n"
        "        int32_t r;\n"
        f"        for (r = 0; r < {r.out_h + r.pad}; ++r) {{\n"
        f"            if (r < {r.out_h}) {{\n"
        f"                st = {lp}_rows(data, 0, ring + (r % {ring_rows}) * {r.out_row_bytes}, r, r + 1);\n"
        "                if (st != MF_OK) {\n"
        "                    return (int)st;\n"
        "                }\n"
        "            }\n"
        f"            if (r >= {r.pad}) {{\n"
        f"                const int32_t done = r - {r.pad};\n"
        f"                st = mf_copy_s8(ring + (done % {ring_rows}) * {r.out_row_bytes}, "
        f"data + done * {r.out_row_bytes}, {r.out_row_bytes});\n"
        "                if (st != MF_OK) {\n"
        "                    return (int)st;\n"
        "                }\n"
        "            }\n"
        "        }\n"
        "    }\n"
    )


def emit_sources(
    lowered: LoweredModel,
    plan: ArenaPlan,
    *,
    tflite_sha256: str,
    prefix: str,
    fused: dict[int, int] | None = None,
    row_in_place: dict[int, int] | None = None,
) -> dict[str, str]:
    """The generated files by name: ``<prefix>model.c`` and ``<prefix>model.h``.

    ``fused`` maps a consumer layer's position to its producer's for pairs run band by band;
    ``row_in_place`` maps a layer's position to the planner id of its ring of held-back rows.
    """
    fused = fused or {}
    row_in_place = row_in_place or {}
    producers = {p: c for c, p in fused.items()}
    tensors = lowered.tensors
    sizes = {t.index: t.size for t in tensors}
    blocks, body = [], []
    weight_bytes = 0
    for k, layer in enumerate(lowered.layers):
        if layer.kernel is None and not layer.consts:
            body.append(_layer_call(layer, plan, sizes))
            continue
        # Each layer's data sits together under its comment, in the order the calls use it.
        block = [f"/* {layer.comment} */"]
        for c in layer.consts:
            block.append(_const_array(c))
            weight_bytes += len(c.values) * (1 if c.ctype == "int8_t" else 4)
        block.extend(layer.statics)
        if (k in fused or k in producers or k in row_in_place) and layer.rows is not None:
            block.append(layer.rows.function)
        blocks.append("\n".join(block))
        if k in producers:
            continue  # runs inside its consumer's band loop
        if k in fused and layer.rows is not None:
            r = layer.rows
            rows = band_rows(RowGeometry(r.stride, r.pad, r.extent, r.in_h, r.out_h))
            body.append(_fused_call(lowered.layers[fused[k]], layer, plan, rows))
        elif k in row_in_place and layer.rows is not None:
            body.append(_row_in_place_call(layer, plan, row_in_place[k], layer.rows.pad + 1))
        else:
            body.append(_layer_call(layer, plan, sizes))
    x, y = tensors[lowered.input_tensor], tensors[lowered.output_tensor]
    assert x.quantization is not None and y.quantization is not None
    header_name = f"{prefix}model.h"
    fields = {
        "version": moteforge_version(),
        "sha256": tflite_sha256,
        "prefix": prefix,
        "PREFIX": prefix.upper(),
        "guard": f"{prefix.upper()}MODEL_H",
        "header": header_name,
        "input_size": x.size,
        "output_size": y.size,
        "input_scale": c_float(x.quantization.scale[0]),
        "input_zero_point": x.quantization.zero_point[0],
        "output_scale": c_float(y.quantization.scale[0]),
        "output_zero_point": y.quantization.zero_point[0],
        "arena_size": plan.arena_size,
        "arena_alloc": max(plan.arena_size, 4),
        "layer_count": len(lowered.layers),
        "weight_bytes": weight_bytes,
        "layers": "\n\n".join(blocks) if blocks else "/* no layer data */",
        "body": "\n".join(body).rstrip("\n"),
    }
    header = Template((_TEMPLATES / "model.h.tmpl").read_text()).substitute(fields)
    source = Template((_TEMPLATES / "model.c.tmpl").read_text()).substitute(fields)
    return {header_name: header, f"{prefix}model.c": source}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
