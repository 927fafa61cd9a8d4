"""The boards Moteforge deploys to: one data file (boards.json) read into ``Board`` records, with the
bundle kinds each board is offered and the emulated target that verifies its bundles."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BOARDS_FILE = Path(__file__).with_name("boards.json")


class UnknownBoard(KeyError):
    """No board has this id; the message lists the valid ids."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownKind(KeyError):
    """No bundle kind has this name, or the board is not offered it; the message lists the valid ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Board:
    """A deployable board: its part, memory, toolchain and how its bundles are verified."""

    id: str
    name: str
    mcu: str
    core: (
        str  # cortex-m0plus, cortex-m3, cortex-m4f, cortex-m7, cortex-m55, aarch64, x86_64, wasm32, xtensa-*
    )
    clock_hz: int | None  # None where a latency in ms means nothing (WebAssembly in a browser)
    flash_bytes: int
    ram_bytes: int
    fpu: bool
    dsp_ext: bool
    toolchain: str
    emulator: str | None  # a firmware.targets id that runs this board's code, None when none can
    kinds: tuple[str, ...]  # bundle kinds offered, the first being the default
    notes: str

    @property
    def emulated(self) -> bool:
        return self.emulator is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        return data


def _load(path: Path) -> tuple[dict[str, str], dict[str, Board]]:
    data = json.loads(path.read_text())
    kinds: dict[str, str] = dict(data["kinds"])
    boards: dict[str, Board] = {}
    for row in data["boards"]:
        board = Board(**{**row, "kinds": tuple(row["kinds"])})
        unknown = [k for k in board.kinds if k not in kinds]
        if unknown:
            raise ValueError(f"{path.name}: board {board.id} offers unknown kinds {unknown}")
        if board.id in boards:
            raise ValueError(f"{path.name}: board {board.id} is listed twice")
        boards[board.id] = board
    return kinds, boards


KINDS, BOARDS = _load(BOARDS_FILE)
"""``KINDS``: bundle kind -> description; ``BOARDS``: board id -> Board, in the file's order."""


def get_board(board_id: str) -> Board:
    """The board with this id; ``UnknownBoard`` listing the valid ids otherwise."""
    try:
        return BOARDS[board_id]
    except KeyError:
        raise UnknownBoard(f"unknown board {board_id!r}; valid boards: {', '.join(BOARDS)}") from None


def check_kind(kind: str, board: Board | None = None) -> str:
    """``kind`` if it is a bundle kind (offered to ``board`` when given); ``UnknownKind`` listing the valid
    ones otherwise."""
    if kind not in KINDS:
        raise UnknownKind(f"unknown bundle kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    if board is not None and kind not in board.kinds:
        raise UnknownKind(
            f"board {board.id} is not offered kind {kind!r}; valid kinds for it: {', '.join(board.kinds)}"
        )
    return kind
