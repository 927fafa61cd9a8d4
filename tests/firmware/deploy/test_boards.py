"""The board registry: required boards with their figures, and errors that list the valid choices."""

from __future__ import annotations

import pytest

from firmware.boards import BOARDS, KINDS, UnknownBoard, UnknownKind, check_kind, get_board

REQUIRED = {
    "arduino-nano-33-ble-sense": ("nRF52840", "cortex-m4f", 64_000_000, 1024 * 1024, 256 * 1024),
    "sparkfun-edge": ("Apollo3", "cortex-m4f", 48_000_000, 1024 * 1024, 384 * 1024),
    "nucleo-l4r5zi": ("STM32L4R5ZI", "cortex-m4f", 120_000_000, 2 * 1024 * 1024, 640 * 1024),
    "nucleo-h743zi": ("STM32H743ZI", "cortex-m7", 480_000_000, 2 * 1024 * 1024, 1024 * 1024),
    "raspberry-pi-pico": ("RP2040", "cortex-m0plus", 133_000_000, 2 * 1024 * 1024, 264 * 1024),
}


def test_every_board_of_the_issue_is_registered() -> None:
    expected = {
        *REQUIRED,
        "esp32",
        "esp32-s3",
        "raspberry-pi-4",
        "generic-cortex-m0plus",
        "generic-cortex-m3",
        "generic-cortex-m4f",
        "generic-cortex-m7",
        "generic-cortex-m55",
        "linux-x86_64",
        "wasm",
    }
    assert expected <= set(BOARDS)


@pytest.mark.parametrize("board_id", sorted(REQUIRED))
def test_named_boards_carry_their_part_core_clock_and_memory(board_id: str) -> None:
    board = get_board(board_id)
    assert (board.mcu, board.core, board.clock_hz, board.flash_bytes, board.ram_bytes) == REQUIRED[board_id]


def test_esp32_boards_are_source_only_and_not_emulated() -> None:
    for board_id in ("esp32", "esp32-s3"):
        board = get_board(board_id)
        assert board.emulator is None and "firmware" not in board.kinds
        assert "not packaged" in board.notes


def test_every_emulated_board_names_a_registered_target() -> None:
    from firmware.targets import TARGETS

    for board in BOARDS.values():
        assert board.emulator is None or board.emulator in TARGETS, board.id
        assert set(board.kinds) <= set(KINDS)


def test_unknown_board_error_lists_the_valid_ids() -> None:
    with pytest.raises(UnknownBoard) as err:
        get_board("arduino-uno")
    assert (
        "arduino-uno" in str(err.value) and "raspberry-pi-pico" in str(err.value) and "wasm" in str(err.value)
    )


def test_unknown_kind_error_lists_the_valid_kinds() -> None:
    with pytest.raises(UnknownKind) as err:
        check_kind("docker")
    assert all(kind in str(err.value) for kind in KINDS)


def test_kind_not_offered_to_a_board_lists_the_boards_kinds() -> None:
    with pytest.raises(UnknownKind) as err:
        check_kind("firmware", get_board("wasm"))
    assert "wasm" in str(err.value) and "c-library" in str(err.value)
