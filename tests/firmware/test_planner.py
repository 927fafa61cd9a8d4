"""The arena planner: no two tensors alive at once share bytes; aliases and in-place save memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.planner import PlanStep, plan_arena


def _chain(sizes: list[int]) -> tuple[list[PlanStep], dict[int, int]]:
    steps = [PlanStep(reads=(i,), writes=i + 1) for i in range(len(sizes) - 1)]
    return steps, dict(enumerate(sizes))


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _check_no_conflicts(plan: object) -> None:
    buffers = [b for b in plan.buffers if b.kind == "arena"]  # type: ignore[attr-defined]
    for i, a in enumerate(buffers):
        assert a.offset % 4 == 0
        assert a.offset + a.size <= plan.arena_size  # type: ignore[attr-defined]
        for b in buffers[i + 1 :]:
            alive_together = not (a.last < b.first or b.last < a.first)
            if alive_together:
                assert not _overlaps((a.offset, a.offset + a.size), (b.offset, b.offset + b.size))


def test_chain_of_four_layers_ping_pongs_between_two_buffers() -> None:
    # input(100) -> 400 -> 300 -> 200 -> output(10): the middle tensors need 400 + 300 at most.
    steps, sizes = _chain([100, 400, 300, 200, 10])
    plan = plan_arena(steps, sizes, model_input=0, model_output=4)
    assert plan.arena_size == 700
    assert plan.live_bound == 700
    assert plan.no_reuse_size == 900


def test_reshape_alias_shares_memory_with_its_input() -> None:
    steps = [
        PlanStep(reads=(0,), writes=1),
        PlanStep(reads=(1,), writes=2, alias=True),
        PlanStep(reads=(2,), writes=3),
    ]
    plan = plan_arena(steps, {0: 8, 1: 64, 2: 64, 3: 8}, model_input=0, model_output=3)
    assert plan.tensor_buffer[1] == plan.tensor_buffer[2]
    assert plan.arena_size == 64


def test_elementwise_layer_runs_in_place_when_its_input_dies_there() -> None:
    steps = [
        PlanStep(reads=(0,), writes=1),
        PlanStep(reads=(1,), writes=2, in_place=0),  # e.g. logistic
        PlanStep(reads=(2,), writes=3),
    ]
    plan = plan_arena(steps, {0: 8, 1: 96, 2: 96, 3: 8}, model_input=0, model_output=3)
    assert plan.tensor_buffer[1] == plan.tensor_buffer[2]
    assert plan.arena_size == 96
    assert plan.live_bound == 192
    assert any("in place" in r for b in plan.buffers for r in b.reasons)


def test_in_place_is_refused_when_the_input_is_read_later() -> None:
    steps = [
        PlanStep(reads=(0,), writes=1),
        PlanStep(reads=(1,), writes=2, in_place=0),
        PlanStep(reads=(1, 2), writes=3),  # residual: tensor 1 is still needed
    ]
    plan = plan_arena(steps, {0: 8, 1: 32, 2: 32, 3: 32}, model_input=0, model_output=3)
    assert plan.tensor_buffer[1] != plan.tensor_buffer[2]
    _check_no_conflicts(plan)


def test_model_input_is_never_overwritten_in_place() -> None:
    steps = [PlanStep(reads=(0,), writes=1, in_place=0), PlanStep(reads=(1,), writes=2)]
    plan = plan_arena(steps, {0: 16, 1: 16, 2: 4}, model_input=0, model_output=2)
    assert plan.location(0)[0] == "input"
    assert plan.location(1)[0] == "arena"


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[PlanStep], dict[int, int]]:
    n = draw(st.integers(1, 12))
    sizes = {0: draw(st.integers(1, 64))}
    steps = []
    for i in range(1, n + 1):
        sizes[i] = draw(st.integers(1, 300))
        reads = tuple(sorted(set(draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=3)))))
        alias = len(reads) == 1 and draw(st.booleans()) and sizes[reads[0]] == sizes[i]
        in_place = 0 if not alias and draw(st.booleans()) else None
        steps.append(PlanStep(reads=reads, writes=i, alias=alias, in_place=in_place))
    return steps, sizes


@settings(max_examples=200, deadline=None)
@given(_graphs())
def test_random_graphs_never_share_bytes_between_live_tensors(
    graph: tuple[list[PlanStep], dict[int, int]],
) -> None:
    steps, sizes = graph
    plan = plan_arena(steps, sizes, model_input=0, model_output=len(steps))
    _check_no_conflicts(plan)
    assert plan.arena_size <= plan.no_reuse_size


def test_band_of_a_3x3_same_convolution_holds_three_rows() -> None:
    from firmware.planner.fusion import RowGeometry, band_is_smaller, band_rows, needed_rows

    geometry = RowGeometry(stride=1, pad=1, extent=3, in_h=10, out_h=10)
    assert needed_rows(geometry, 0) == (0, 2)  # the top row reads one row of padding
    assert needed_rows(geometry, 5) == (4, 7)
    assert needed_rows(geometry, 9) == (8, 10)
    assert band_rows(geometry) == 3
    assert band_is_smaller(geometry)


def test_band_covering_the_whole_input_is_not_worth_fusing() -> None:
    from firmware.planner.fusion import RowGeometry, band_is_smaller

    assert not band_is_smaller(RowGeometry(stride=1, pad=0, extent=4, in_h=4, out_h=1))


def test_fused_step_keeps_producer_input_band_and_consumer_output_apart() -> None:
    steps = [PlanStep(reads=(0,), writes=2, temps=(1,)), PlanStep(reads=(2,), writes=3)]
    plan = plan_arena(steps, {0: 16, 1: 24, 2: 40, 3: 4}, model_input=0, model_output=3)
    band, out = plan.buffers[plan.tensor_buffer[1]], plan.buffers[plan.tensor_buffer[2]]
    assert band.kind == out.kind == "arena"
    assert band.offset + band.size <= out.offset or out.offset + out.size <= band.offset
    assert plan.arena_size == 64
