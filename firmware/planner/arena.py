"""Arena planning over tensor lifetimes.

Steps: (1) reshape-like layers alias their input (one buffer, no copy); (2) element-wise layers
write over an input that dies at that layer (in place); (3) buffers are placed greedily at the lowest
offset that overlaps no buffer alive at the same time, under a few orderings (largest first,
longest-lived first, ...), keeping the smallest arena. The plan records why each buffer shares
memory so the size report can explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALIGNMENT = 4  # word alignment: lets optimized kernels load 4 int8 values at once


@dataclass(frozen=True)
class PlanStep:
    """The planner's view of one layer: the tensors it reads and the one it writes."""

    reads: tuple[int, ...]
    writes: int
    alias: bool = False  # output is the same memory as reads[0]
    in_place: int | None = None  # index in reads that the output may overwrite
    temps: tuple[int, ...] = ()  # tensors that exist only during this step (fused bands)


@dataclass
class Buffer:
    """Memory shared by one or more tensors (aliases and in-place chains)."""

    id: int
    tensors: list[int]
    size: int
    first: int  # step that writes it first (-1: before the first step)
    last: int  # step that reads it last
    kind: str = "arena"  # "arena", "input" (caller's input, read-only) or "output" (caller's output)
    offset: int = -1
    reasons: list[str] = field(default_factory=list)


@dataclass
class ArenaPlan:
    buffers: list[Buffer]
    tensor_buffer: dict[int, int]  # tensor id -> buffer id
    arena_size: int
    placement: str  # the greedy ordering that gave the smallest arena
    live_bound: int  # the largest sum of simultaneously live tensors with no aliasing or in-place
    no_reuse_size: int  # every intermediate tensor in its own memory

    def location(self, tensor: int) -> tuple[str, int]:
        """("input"|"output"|"arena", byte offset) of a tensor."""
        b = self.buffers[self.tensor_buffer[tensor]]
        return b.kind, b.offset

    def to_json(self) -> dict[str, object]:
        return {
            "arena_bytes": self.arena_size,
            "placement": self.placement,
            "live_bound_bytes": self.live_bound,
            "no_reuse_bytes": self.no_reuse_size,
            "alignment": ALIGNMENT,
            "buffers": [
                {
                    "id": b.id,
                    "tensors": b.tensors,
                    "bytes": b.size,
                    "kind": b.kind,
                    "offset": b.offset,
                    "live": [b.first, b.last],
                    "reasons": b.reasons,
                }
                for b in self.buffers
            ],
        }


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _max_live(intervals: list[tuple[int, int, int]], steps: int) -> int:
    best = 0
    for s in range(-1, steps + 1):
        best = max(best, sum(size for first, last, size in intervals if first <= s <= last))
    return best


def plan_arena(
    steps: list[PlanStep], sizes: dict[int, int], model_input: int, model_output: int
) -> ArenaPlan:
    """Assign every tensor written or read by ``steps`` a buffer and every arena buffer an offset."""
    n = len(steps)
    parent: dict[int, int] = {}

    def find(t: int) -> int:
        parent.setdefault(t, t)
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    reasons: dict[int, list[str]] = {}
    for i, step in enumerate(steps):
        for t in (*step.reads, step.writes, *step.temps):
            find(t)
        if step.alias:
            root_in, root_out = find(step.reads[0]), find(step.writes)
            if {find(model_input), find(model_output)} <= {root_in, root_out} and root_in != root_out:
                continue  # the caller's input and output cannot be one memory: the emitter copies
            parent[root_out] = root_in
            reasons.setdefault(root_in, []).append(f"step {i}: tensor {step.writes} aliases {step.reads[0]}")

    # Lifetimes of the alias groups, before in-place merging, for the unaliased bound too.
    def lifetimes() -> tuple[dict[int, int], dict[int, int]]:
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for i, step in enumerate(steps):
            if step.alias:
                continue
            for t in step.reads:
                last[find(t)] = i
            w = find(step.writes)
            first.setdefault(w, i)
            last.setdefault(w, i)
            for t in step.temps:
                first[find(t)] = last[find(t)] = i
        root_in, root_out = find(model_input), find(model_output)
        first[root_in] = -1
        last.setdefault(root_in, -1)
        last[root_out] = n
        first.setdefault(root_out, n)
        return first, last

    first, last = lifetimes()
    for i, step in enumerate(steps):
        if step.alias or step.in_place is None:
            continue
        src, dst = find(step.reads[step.in_place]), find(step.writes)
        if src == dst or src in (find(model_input), find(model_output)) or dst == find(model_output):
            continue
        if (
            last.get(src) != i
            or first.get(dst) != i
            or sizes[step.reads[step.in_place]] != sizes[step.writes]
        ):
            continue
        parent[dst] = src
        last[src] = last[dst]
        reasons.setdefault(src, []).append(
            f"step {i}: tensor {step.writes} computed in place over {step.reads[step.in_place]}"
        )

    groups: dict[int, list[int]] = {}
    for t in sorted(parent):
        groups.setdefault(find(t), []).append(t)
    first, last = lifetimes()
    buffers: list[Buffer] = []
    tensor_buffer: dict[int, int] = {}
    for root in sorted(groups):
        kind = "arena"
        if root == find(model_input):
            kind = "input"
        elif root == find(model_output):
            kind = "output"
        b = Buffer(
            id=len(buffers),
            tensors=groups[root],
            size=max(sizes[t] for t in groups[root]),
            first=first.get(root, -1),
            last=last.get(root, -1),
            kind=kind,
            reasons=reasons.get(root, []),
        )
        buffers.append(b)
        for t in groups[root]:
            tensor_buffer[t] = b.id

    arena_size, heuristic = _place([b for b in buffers if b.kind == "arena"])

    # Bounds for the report: every written tensor in its own buffer, intermediate ones only.
    produced: dict[int, tuple[int, int]] = {}
    for i, step in enumerate(steps):
        produced.setdefault(step.writes, (i, i))
        for t in step.reads:
            if t in produced:
                produced[t] = (produced[t][0], i)
    io = {model_input, model_output}
    intermediates = [(f, la, _align(sizes[t])) for t, (f, la) in produced.items() if t not in io]
    return ArenaPlan(
        buffers=buffers,
        tensor_buffer=tensor_buffer,
        arena_size=arena_size,
        placement=heuristic,
        live_bound=_max_live(intermediates, n),
        no_reuse_size=sum(size for _, _, size in intermediates),
    )


_ORDERS = {
    "largest first": lambda b: (-b.size, b.first, b.id),
    "longest-lived first": lambda b: (-(b.last - b.first), -b.size, b.id),
    "largest area first": lambda b: (-b.size * (b.last - b.first + 1), b.first, b.id),
    "earliest first": lambda b: (b.first, -b.size, b.id),
}


def _place_in_order(buffers: list[Buffer], key: object) -> tuple[int, dict[int, int]]:
    """Each buffer in ``key`` order at the lowest aligned offset clear of every overlapping placed one."""
    placed: list[tuple[Buffer, int]] = []
    for b in sorted(buffers, key=key):  # type: ignore[arg-type]
        conflicts = sorted(
            (off, off + _align(p.size)) for p, off in placed if not (p.last < b.first or b.last < p.first)
        )
        offset = 0
        for start, end in conflicts:
            if offset + _align(b.size) <= start:
                break
            offset = max(offset, end)
        placed.append((b, offset))
    size = max((off + _align(p.size) for p, off in placed), default=0)
    return size, {p.id: off for p, off in placed}


def _place(buffers: list[Buffer]) -> tuple[int, str]:
    """Greedy placement under a few orderings; the smallest arena wins (ties: the first ordering)."""
    best: tuple[int, str, dict[int, int]] | None = None
    for name, key in _ORDERS.items():
        size, offsets = _place_in_order(buffers, key)
        if best is None or size < best[0]:
            best = (size, name, offsets)
    assert best is not None
    for b in buffers:
        b.offset = best[2][b.id]
    return best[0], best[1]
