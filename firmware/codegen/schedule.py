"""Scheduling choices that change memory but not results: which conv/pool pairs run band by band,
and which windowed layers run in place row by row. Each is kept only where the planner finds that
it makes the arena smaller.

Row-by-row in place: a stride-1 windowed layer whose output rows are as long as its input rows,
and whose input dies there, computes output row r into a small ring of rows and copies row r - pad
over input row r - pad, which no later output row reads. The input buffer becomes the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware.codegen.lower import Layer, LoweredModel, Rows
from firmware.planner import ArenaPlan, PlanStep, plan_arena
from firmware.planner.fusion import RowGeometry, band_is_smaller, band_rows


@dataclass
class Schedule:
    plan: ArenaPlan
    fused: dict[int, int] = field(default_factory=dict)  # consumer position -> producer position
    row_in_place: dict[int, int] = field(default_factory=dict)  # layer position -> ring tensor id


def geometry(rows: Rows) -> RowGeometry:
    return RowGeometry(stride=rows.stride, pad=rows.pad, extent=rows.extent, in_h=rows.in_h, out_h=rows.out_h)


def ring_rows(rows: Rows) -> int:
    """Output rows held back until the input row they replace is read for the last time."""
    return rows.pad + 1


def _ring_tensor(position: int) -> int:
    return -1000 - position  # planner-only id, never a TFLite tensor index


def _plan_with(lowered: LoweredModel, fused: dict[int, int], row_in_place: set[int]) -> Schedule:
    sizes = {t.index: t.size for t in lowered.tensors}
    producers = set(fused.values())
    steps = []
    rings = {}
    for k, layer in enumerate(lowered.layers):
        if k in producers:
            continue
        if k in fused:
            producer = lowered.layers[fused[k]]
            assert layer.rows is not None
            sizes[producer.output] = band_rows(geometry(layer.rows)) * layer.rows.in_row_bytes
            steps.append(PlanStep(reads=producer.inputs, writes=layer.output, temps=(producer.output,)))
        elif k in row_in_place:
            assert layer.rows is not None
            ring = rings[k] = _ring_tensor(k)
            sizes[ring] = ring_rows(layer.rows) * layer.rows.out_row_bytes
            steps.append(PlanStep(reads=layer.inputs, writes=layer.output, in_place=0, temps=(ring,)))
        else:
            steps.append(
                PlanStep(
                    reads=layer.inputs,
                    writes=layer.output,
                    alias=layer.kernel is None,
                    in_place=layer.in_place,
                )
            )
    plan = plan_arena(steps, sizes, lowered.input_tensor, lowered.output_tensor)
    # Row-by-row in place only happened where the planner could merge input and output.
    applied = {
        k: ring
        for k, ring in rings.items()
        if plan.tensor_buffer[lowered.layers[k].inputs[0]] == plan.tensor_buffer[lowered.layers[k].output]
    }
    return Schedule(plan, dict(fused), applied)


def _readers(lowered: LoweredModel) -> dict[int, int]:
    counts: dict[int, int] = {}
    for layer in lowered.layers:
        for t in layer.inputs:
            counts[t] = counts.get(t, 0) + 1
    return counts


def _fusion_candidates(lowered: LoweredModel) -> list[int]:
    """Consumer positions whose producer is the previous layer and whose input nothing else reads."""
    layers, readers = lowered.layers, _readers(lowered)
    io = (lowered.input_tensor, lowered.output_tensor)
    found = []
    for k in range(1, len(layers)):
        producer, consumer = layers[k - 1], layers[k]
        if producer.rows is None or consumer.rows is None or consumer.inputs != (producer.output,):
            continue
        if (
            readers.get(producer.output) == 1
            and producer.output not in io
            and band_is_smaller(geometry(consumer.rows))
        ):
            found.append(k)
    return found


def _row_in_place_candidates(lowered: LoweredModel) -> list[int]:
    def fits(layer: Layer) -> bool:
        r = layer.rows
        return r is not None and r.stride == 1 and r.in_h == r.out_h and r.in_row_bytes == r.out_row_bytes

    return [k for k, layer in enumerate(lowered.layers) if fits(layer)]


def _add_row_in_place(lowered: LoweredModel, start: Schedule) -> Schedule:
    """Row-by-row in place tends to pay only when every layer at the peak uses it: try all free
    candidates at once, then drop the ones that do not help (each costs a copy per row)."""
    taken = set(start.fused) | set(start.fused.values())
    free = {k for k in _row_in_place_candidates(lowered) if k not in taken}
    trial = _plan_with(lowered, start.fused, free | set(start.row_in_place))
    # Again with only the layers the planner could put in place, so no unused ring is counted.
    trial = _plan_with(lowered, start.fused, set(trial.row_in_place))
    if trial.plan.arena_size >= start.plan.arena_size:
        return start
    best = trial
    for k in sorted(best.row_in_place):
        fewer = _plan_with(lowered, best.fused, set(best.row_in_place) - {k})
        if fewer.plan.arena_size <= best.plan.arena_size:
            best = fewer
    return best


def _add_fusion(lowered: LoweredModel, start: Schedule) -> Schedule:
    """Band fusion pair by pair, kept where the arena shrinks."""
    best = start
    for k in _fusion_candidates(lowered):
        taken = set(best.fused) | set(best.fused.values()) | set(best.row_in_place)
        if k in taken or k - 1 in taken:
            continue  # each layer takes part in one scheduling trick at most
        trial = _plan_with(lowered, {**best.fused, k: k - 1}, set(best.row_in_place))
        if trial.plan.arena_size < best.plan.arena_size:
            best = trial
    return best


def schedule(lowered: LoweredModel, *, fuse: bool = True) -> Schedule:
    """The smallest-arena schedule found; the bounds in its plan describe the unscheduled model."""
    plain = _plan_with(lowered, {}, set())
    best = plain
    if fuse:
        fusion_first = _add_row_in_place(lowered, _add_fusion(lowered, plain))
        rows_first = _add_fusion(lowered, _add_row_in_place(lowered, plain))
        best = min((fusion_first, rows_first), key=lambda s: s.plan.arena_size)
    best.plan.live_bound, best.plan.no_reuse_size = plain.plan.live_bound, plain.plan.no_reuse_size
    return best
