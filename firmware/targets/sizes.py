"""Flash and RAM figures of a build: whole-image sizes from the executable's section headers (ELF or wasm)
and application-only sizes (model + runtime objects, without harness, startup or libc) from the link map."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from firmware.targets.base import BuildManifest

# Reservations in our linker script, not memory the program uses.
_RESERVED_SECTIONS = {".heap", ".stack"}

_SHF_WRITE = 0x1
_SHF_ALLOC = 0x2
_SHF_EXECINSTR = 0x4
_SHT_NOBITS = 8


@dataclass(frozen=True)
class SectionSizes:
    """Bytes per kind of section. Flash holds text, rodata and the initial values of data."""

    text: int = 0
    rodata: int = 0
    data: int = 0
    bss: int = 0

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def static_ram(self) -> int:
        return self.data + self.bss

    def __add__(self, other: SectionSizes) -> SectionSizes:
        return SectionSizes(
            self.text + other.text, self.rodata + other.rodata, self.data + other.data, self.bss + other.bss
        )


@dataclass(frozen=True)
class Sizes:
    """Sizes of one build. `app` covers the objects passed to build() as linked (after unused-section
    removal); `image` is the whole executable, harness stdio and libc included."""

    image: SectionSizes
    app: SectionSizes | None
    stack_reserved: int | None
    """Size of the linker script's stack region on bare-metal targets."""

    def app_ram(self, stack_bytes: int) -> int:
        """RAM the model needs at run time: its static data plus the invoke's measured stack high-water mark."""
        if self.app is None:
            raise ValueError("no link map for this build, application sizes are unknown")
        return self.app.static_ram + stack_bytes


def measure(exe: Path) -> Sizes:
    """Sizes of an executable built by a Moteforge target (reads the manifest written beside it)."""
    data = exe.read_bytes()
    if data[:4] == b"\x7fELF":
        image, stack = _elf_sizes(data)
    elif data[:4] == b"\0asm":
        image, stack = _wasm_sizes(data), None
    else:
        raise ValueError(f"{exe}: neither an ELF file nor a WebAssembly module")
    manifest = BuildManifest.read(exe)
    app = None
    if manifest is not None and manifest.map_file is not None:
        map_text = Path(manifest.map_file).read_text(errors="replace")
        objects = set(manifest.app_objects)
        app = _wasm_map_sizes(map_text, objects) if data[:4] == b"\0asm" else gnu_map_sizes(map_text, objects)
    return Sizes(image=image, app=app, stack_reserved=stack)


def classify_section(name: str) -> str | None:
    """Kind of an input section by name, for map files: text, rodata, data, bss, or None (not memory)."""
    if name.startswith((".text", ".init", ".fini")):
        return "text"
    if name.startswith((".rodata", ".srodata", ".ARM.exidx", ".ARM.extab")):
        return "rodata"
    if name.startswith((".data", ".sdata", ".tdata", ".init_array", ".fini_array")):
        return "data"
    if name.startswith((".bss", ".sbss", ".tbss")) or name == "COMMON":
        return "bss"
    return None


_MAP_ONE_LINE = re.compile(r"^ (\.\S+|COMMON)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*?)\s*$")
_MAP_NAME_ONLY = re.compile(r"^ (\.\S+|COMMON)\s*$")
_MAP_CONTINUATION = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*?)\s*$")


def gnu_map_sizes(map_text: str, objects: set[str]) -> SectionSizes:
    """Sum the input sections that `objects` contribute to the image, from a GNU ld map file."""
    _, marker, memory_map = map_text.partition("Linker script and memory map")
    if not marker:
        raise ValueError("not a GNU ld map file")
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    pending: str | None = None
    for line in memory_map.splitlines():
        name = size = source = None
        if match := _MAP_ONE_LINE.match(line):
            name, size, source = match.group(1), int(match.group(3), 16), match.group(4)
        elif match := _MAP_NAME_ONLY.match(line):
            pending = match.group(1)
            continue
        elif pending is not None and (match := _MAP_CONTINUATION.match(line)):
            name, size, source = pending, int(match.group(2), 16), match.group(3)
        pending = None
        if name is None or source not in objects:
            continue
        kind = classify_section(name)
        if kind is not None:
            totals[kind] += size
    return SectionSizes(**totals)


_WASM_MAP_LINE = re.compile(r"^\s*(\S+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\S.*?)\s*$")


def _wasm_map_sizes(map_text: str, objects: set[str]) -> SectionSizes:
    """Same as gnu_map_sizes for wasm-ld's map: code entries are `obj:(function)`, data `obj:(.section)`."""
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    in_code = False
    for line in map_text.splitlines()[1:]:
        match = _WASM_MAP_LINE.match(line)
        if match is None:
            continue
        entry = match.group(4)
        if ":(" not in entry:
            # An output section or segment name; only the CODE section holds functions.
            if entry.isupper():
                in_code = entry == "CODE"
            continue
        source, _, inner = entry.rpartition(":(")
        if source not in objects:
            continue
        size = int(match.group(3), 16)
        kind = "text" if in_code else classify_section(inner.rstrip(")"))
        if kind is not None:
            totals[kind] += size
    return SectionSizes(**totals)


def _elf_sizes(data: bytes) -> tuple[SectionSizes, int | None]:
    if data[4] not in (1, 2) or data[5] not in (1, 2):
        raise ValueError("unsupported ELF class or byte order")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, shentsize, shnum, shstrndx = (
            struct.unpack_from(end + "Q", data, 0x28)[0],
            *struct.unpack_from(end + "HHH", data, 0x3A),
        )
    else:
        shoff, shentsize, shnum, shstrndx = (
            struct.unpack_from(end + "I", data, 0x20)[0],
            *struct.unpack_from(end + "HHH", data, 0x2E),
        )

    def header(index: int) -> tuple[int, int, int, int, int]:
        offset = shoff + index * shentsize
        if is64:
            name, kind, flags, _addr, file_off, size = struct.unpack_from(end + "IIQQQQ", data, offset)
        else:
            name, kind, flags, _addr, file_off, size = struct.unpack_from(end + "IIIIII", data, offset)
        return name, kind, flags, file_off, size

    strtab_off = header(shstrndx)[3]
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    stack: int | None = None
    for index in range(1, shnum):
        name_off, kind, flags, _, size = header(index)
        name_end = data.index(b"\0", strtab_off + name_off)
        name = data[strtab_off + name_off : name_end].decode()
        if name == ".stack":
            stack = size
        if not flags & _SHF_ALLOC or name in _RESERVED_SECTIONS:
            continue
        if flags & _SHF_EXECINSTR:
            totals["text"] += size
        elif not flags & _SHF_WRITE:
            totals["rodata"] += size
        elif kind == _SHT_NOBITS:
            totals["bss"] += size
        else:
            totals["data"] += size
    return SectionSizes(**totals), stack


def _wasm_sizes(data: bytes) -> SectionSizes:
    """Code and data section payloads of a module; wasm has no separate read-only data or bss in the file."""
    pos = 8
    code = initialised = 0
    while pos < len(data):
        section_id = data[pos]
        size, pos = _uleb128(data, pos + 1)
        if section_id == 10:
            code = size
        elif section_id == 11:
            initialised = size
        pos += size
    return SectionSizes(text=code, data=initialised)


def _uleb128(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
