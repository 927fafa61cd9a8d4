"""Edge Impulse data acquisition documents (JSON and CBOR): parsing, HMAC-SHA256 verification and signing.

Signing scheme: the signer writes 64 '0' characters as the signature, computes HMAC-SHA256 over the
serialized document with the project's HMAC key and writes the hex digest back in place. So a verifier
puts the zeros back into the bytes exactly as received and recomputes; re-serializing would not do,
since no two encoders agree on spacing, key order or float widths.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import cbor2
import numpy as np

from backend.data.formats._files import read_bytes
from backend.data.formats.types import (
    DEFAULT_LIMITS,
    InvalidUpload,
    Limits,
    ParsedSample,
    SampleKind,
    Sensor,
    SignatureState,
)

PLACEHOLDER = "0" * 64
_ALGORITHMS = ("HS256", "none")
_AUDIO_UNITS = "wav"
_JSON_SIGNATURE = re.compile(rb'"signature"\s*:\s*"([0-9a-fA-F]{64})"')
# CBOR: text(9) "signature" followed by text(64) <hex>, both definite-length as every encoder writes them.
_CBOR_SIGNATURE_PREFIX = b"\x69signature\x78\x40"


def parse_acquisition(
    path: str | os.PathLike[str],
    hmac_key: bytes | None,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParsedSample:
    """Parse and check a JSON or CBOR acquisition document (chosen by its first byte).

    Documents signed with HS256 are verified with `hmac_key`; a wrong signature, or an HS256 document when
    the project has no key, is an InvalidUpload like any other defect.
    """
    name = filename or Path(path).name
    raw = read_bytes(path, name, limits.max_file_bytes)
    encoding: Literal["json", "cbor"] = "json" if raw.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in b"{[" else "cbor"
    doc = _decode(name, raw, encoding)
    return _to_sample(name, raw, encoding, doc, hmac_key)


def sign_acquisition(
    doc: Mapping[str, Any], hmac_key: bytes | None, fmt: Literal["json", "cbor"] = "json"
) -> bytes:
    """Serialize an acquisition document, signed with HS256 when a key is given (alg "none" otherwise).

    `doc` needs `payload` and may carry `protected` (its `ver` and `iat` are kept); numpy arrays in the
    payload are written as lists.
    """
    protected = {"ver": "v1", **dict(doc.get("protected") or {}), "alg": "HS256" if hmac_key else "none"}
    payload = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in doc["payload"].items()}
    extra = {k: v for k, v in doc.items() if k not in ("protected", "signature", "payload")}
    # Key order matters only for humans reading the file; the signature covers whatever bytes result.
    out = {"protected": protected, "signature": PLACEHOLDER, "payload": payload, **extra}
    if fmt == "json":
        raw = json.dumps(out, separators=(",", ":"), allow_nan=False).encode()
        anchor = b'"signature":"'
    elif fmt == "cbor":
        raw = cbor2.dumps(out)
        anchor = _CBOR_SIGNATURE_PREFIX
    else:
        raise ValueError(f"fmt must be 'json' or 'cbor', not {fmt!r}")
    if not hmac_key:
        return raw
    digest = hmac.new(hmac_key, raw, hashlib.sha256).hexdigest().encode()
    at = raw.index(anchor + PLACEHOLDER.encode()) + len(anchor)
    return raw[:at] + digest + raw[at + 64 :]


def _decode(name: str, raw: bytes, encoding: Literal["json", "cbor"]) -> Any:
    if encoding == "json":
        try:
            return json.loads(raw)
        except UnicodeDecodeError:
            raise InvalidUpload(name, "not valid JSON: the text is not UTF-8") from None
        except json.JSONDecodeError as exc:
            raise InvalidUpload(
                name, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except (ValueError, RecursionError) as exc:  # over-long integers, absurdly deep nesting
            raise InvalidUpload(name, f"not valid JSON: {exc}") from None
    stream = io.BytesIO(raw)
    try:
        doc = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidUpload(name, f"not valid CBOR: {exc}") from None
    if stream.tell() != len(raw):
        raise InvalidUpload(
            name, f"not valid CBOR: {len(raw) - stream.tell()} stray bytes after the document"
        )
    return doc


def _field(name: str, obj: Mapping[str, Any], key: str, where: str, kinds: type | tuple[type, ...]) -> Any:
    """A required field of the right type, or an error naming its dotted path."""
    if key not in obj:
        raise InvalidUpload(name, f"missing field {where}{key}")
    value = obj[key]
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise InvalidUpload(name, f"field {where}{key} has the wrong type ({type(value).__name__})")
    return value


def _to_sample(
    name: str, raw: bytes, encoding: Literal["json", "cbor"], doc: Any, hmac_key: bytes | None
) -> ParsedSample:
    if not isinstance(doc, dict):
        raise InvalidUpload(name, "the document must be an object with protected, signature and payload")
    protected = _field(name, doc, "protected", "", dict)
    payload = _field(name, doc, "payload", "", dict)
    ver = _field(name, protected, "ver", "protected.", str)
    if ver != "v1":
        raise InvalidUpload(name, f"unsupported acquisition format version {ver!r} (expected 'v1')")
    alg = _field(name, protected, "alg", "protected.", str)
    if alg not in _ALGORITHMS:
        raise InvalidUpload(name, f"unsupported signature algorithm {alg!r}; accepted are HS256 and none")
    signature = _check_signature(name, raw, encoding, doc, alg, hmac_key)

    device_type = _field(name, payload, "device_type", "payload.", str)
    device_name = payload.get("device_name")
    if device_name is not None and not isinstance(device_name, str):
        raise InvalidUpload(name, "field payload.device_name must be text")
    interval_ms = float(_field(name, payload, "interval_ms", "payload.", (int, float)))
    if not (math.isfinite(interval_ms) and interval_ms > 0):
        raise InvalidUpload(name, f"payload.interval_ms must be above 0, got {interval_ms:g}")
    sensors = _sensors(name, _field(name, payload, "sensors", "payload.", list))
    values = _values(name, _field(name, payload, "values", "payload.", list), len(sensors))
    kind: SampleKind = "timeseries"
    if all(s.units == _AUDIO_UNITS for s in sensors):
        kind = "audio"
        values = _audio_scale(name, values)

    metadata: dict[str, Any] = {"encoding": encoding}
    iat = protected.get("iat")
    if isinstance(iat, int | float) and not isinstance(iat, bool):
        metadata["iat"] = iat
    return ParsedSample(
        filename=name,
        kind=kind,
        values=values,
        interval_ms=interval_ms,
        sensors=sensors,
        device_name=device_name,
        device_type=device_type,
        metadata=metadata,
        signature=signature,
    )


def _check_signature(
    name: str,
    raw: bytes,
    encoding: Literal["json", "cbor"],
    doc: dict[str, Any],
    alg: str,
    hmac_key: bytes | None,
) -> SignatureState:
    if alg == "none":
        return "none"
    value = doc.get("signature")
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise InvalidUpload(name, "HS256 documents need a 64-character hex signature")
    if not hmac_key:
        raise InvalidUpload(name, "signed with HS256 but the project has no HMAC key to check it with")
    if encoding == "json":
        spans = [m.span(1) for m in _JSON_SIGNATURE.finditer(raw) if m.group(1).decode() == value]
    else:
        needle = _CBOR_SIGNATURE_PREFIX + value.encode()
        spans = [
            (m.start() + len(_CBOR_SIGNATURE_PREFIX), m.end()) for m in re.finditer(re.escape(needle), raw)
        ]
    expected = value.lower()
    # Normally exactly one span; if a payload repeats the key, any zeroed variant the key signed is
    # genuine, since producing a matching HMAC for any of them needs the key.
    for start, end in spans:
        zeroed = raw[:start] + PLACEHOLDER.encode() + raw[end:]
        if hmac.compare_digest(hmac.new(hmac_key, zeroed, hashlib.sha256).hexdigest(), expected):
            return "verified"
    raise InvalidUpload(
        name, "signature does not match (wrong HMAC key, or the file was changed after it was signed)"
    )


def _sensors(name: str, items: list[Any]) -> list[Sensor]:
    if not items:
        raise InvalidUpload(name, "payload.sensors is empty")
    sensors = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidUpload(name, f"payload.sensors[{i}] must be an object with name and units")
        sensors.append(
            Sensor(
                _field(name, item, "name", f"payload.sensors[{i}].", str),
                _field(name, item, "units", f"payload.sensors[{i}].", str),
            )
        )
    return sensors


def _values(name: str, values: list[Any], n_sensors: int) -> np.ndarray:
    """payload.values as float32 [T, n_sensors]: rows of one number per sensor, or a flat list for one."""
    if not values:
        raise InvalidUpload(name, "payload.values is empty")
    flat = not isinstance(values[0], list)
    if flat and n_sensors != 1:
        raise InvalidUpload(
            name, f"payload.values is a flat list of numbers but there are {n_sensors} sensors"
        )
    for i, row in enumerate(values):
        # Cheap structural pass; the numeric conversion below is vectorized.
        if flat and isinstance(row, list):
            raise InvalidUpload(name, f"payload.values[{i}] is a list but the values before it are numbers")
        if not flat and (not isinstance(row, list) or len(row) != n_sensors):
            got = f"{len(row)} values" if isinstance(row, list) else "a single value"
            raise InvalidUpload(name, f"payload.values[{i}] has {got}, expected {n_sensors} (one per sensor)")
    try:
        arr = np.asarray(values)
    except ValueError:  # nested deeper than one level, so numpy cannot make a grid of it
        raise InvalidUpload(name, _first_non_number(values, flat)) from None
    if arr.dtype.kind not in "iuf":
        raise InvalidUpload(name, _first_non_number(values, flat))
    arr = arr.astype(np.float32).reshape(len(values), n_sensors)
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InvalidUpload(name, f"payload.values[{row}] holds a NaN or infinite value")
    return arr


def _first_non_number(values: list[Any], flat: bool) -> str:
    for i, row in enumerate(values):
        for j, v in enumerate([row] if flat else row):
            if isinstance(v, bool) or not isinstance(v, int | float):
                where = f"payload.values[{i}]" if flat else f"payload.values[{i}][{j}]"
                return f"{where} is {v!r}, not a number"
    return "payload.values holds something that is not a number"


def _audio_scale(name: str, values: np.ndarray) -> np.ndarray:
    """Audio arrives as 16-bit PCM integers (as Edge Impulse writes it); already-scaled floats pass through."""
    if np.all(values == np.round(values)):
        return np.clip(values / 32768.0, -1.0, 1.0).astype(np.float32)
    if np.abs(values).max() <= 1.0:
        return values
    raise InvalidUpload(name, "audio values must be 16-bit integers or floats within [-1, 1]")
