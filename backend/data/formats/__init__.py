"""Parsing and validation of uploaded sensor files (CSV, Edge Impulse JSON/CBOR, WAV, JPEG/PNG, zip).

Pure functions over files on disk: the data service streams an upload to disk, then calls `parse_file`
(or `parse_zip` for archives) and stores the returned samples.
"""

from backend.data.formats.acquisition import parse_acquisition, sign_acquisition
from backend.data.formats.archive import LABELS_FILE, MemberResult, parse_zip
from backend.data.formats.csvfile import CsvMapping, CsvPreview, parse_csv, preview_csv
from backend.data.formats.detect import HEAD_BYTES, FileFormat, detect_format
from backend.data.formats.image import parse_image
from backend.data.formats.labels import auto_category, label_from_filename
from backend.data.formats.parse import parse_file
from backend.data.formats.types import (
    DEFAULT_LIMITS,
    Category,
    InvalidUpload,
    Limits,
    ParsedSample,
    SampleKind,
    Sensor,
    SignatureState,
)
from backend.data.formats.wav import parse_wav

__all__ = [
    "DEFAULT_LIMITS",
    "HEAD_BYTES",
    "LABELS_FILE",
    "Category",
    "CsvMapping",
    "CsvPreview",
    "FileFormat",
    "InvalidUpload",
    "Limits",
    "MemberResult",
    "ParsedSample",
    "SampleKind",
    "Sensor",
    "SignatureState",
    "auto_category",
    "detect_format",
    "label_from_filename",
    "parse_acquisition",
    "parse_csv",
    "parse_file",
    "parse_image",
    "parse_wav",
    "parse_zip",
    "preview_csv",
    "sign_acquisition",
]
