"""Edge Impulse acquisition documents: JSON and CBOR parsing, HS256 signing and verification, refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import cbor2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data.formats import InvalidUpload, Sensor, parse_acquisition, sign_acquisition

if TYPE_CHECKING:
    from pathlib import Path

    from tests.backend.data.formats.conftest import Corpus

HMAC_KEY = b"project-hmac-key-0123456789"


def reason(path: Path, key: bytes | None = HMAC_KEY) -> str:
    with pytest.raises(InvalidUpload) as caught:
        parse_acquisition(path, key)
    assert caught.value.filename == path.name
    return caught.value.reason


@pytest.mark.parametrize("fmt", ["json", "cbor"])
def test_signed_document_is_verified_and_parsed(corpus: Corpus, fmt: str) -> None:
    doc = corpus.acquisition_doc(rows=20)
    path = corpus.write(f"idle.01.{fmt}", sign_acquisition(doc, HMAC_KEY, fmt))  # type: ignore[arg-type]
    sample = parse_acquisition(path, HMAC_KEY)
    assert sample.signature == "verified" and sample.kind == "timeseries"
    assert sample.values.dtype == np.float32 and sample.values.shape == (20, 3)
    assert sample.values[2].tolist() == [0.75, 0.875, 1.0]  # (6, 7, 8) / 8
    assert sample.interval_ms == 16.0
    assert sample.sensors == [Sensor("accX", "m/s2"), Sensor("accY", "m/s2"), Sensor("accZ", "m/s2")]
    assert (sample.device_name, sample.device_type) == ("ac:87:a3:0a:2d:1b", "NANO33BLE")
    assert sample.metadata == {"encoding": fmt, "iat": 1_700_000_000}


@pytest.mark.parametrize("fmt", ["json", "cbor"])
def test_unsigned_document_parses_with_signature_none(corpus: Corpus, fmt: str) -> None:
    path = corpus.write(f"idle.{fmt}", sign_acquisition(corpus.acquisition_doc(), None, fmt))  # type: ignore[arg-type]
    assert parse_acquisition(path, HMAC_KEY).signature == "none"


def test_signature_follows_the_edge_impulse_scheme(corpus: Corpus) -> None:
    """HMAC-SHA256 over the document serialized with 64 '0' characters in place of the signature."""
    raw = sign_acquisition(corpus.acquisition_doc(), HMAC_KEY, "json")
    sig = json.loads(raw)["signature"]
    zeroed = raw.replace(sig.encode(), b"0" * 64)
    assert sig == hmac.new(HMAC_KEY, zeroed, hashlib.sha256).hexdigest()


def test_verification_uses_the_bytes_as_received_not_a_reserialization(corpus: Corpus) -> None:
    """A device that writes spaces and its own key order still verifies: only the signature is swapped."""
    doc = corpus.acquisition_doc()
    doc["protected"]["alg"] = "HS256"
    spaced = json.dumps(
        {"payload": doc["payload"], "signature": "0" * 64, "protected": doc["protected"]}, indent=2
    )
    digest = hmac.new(HMAC_KEY, spaced.encode(), hashlib.sha256).hexdigest()
    path = corpus.write("dev.json", spaced.replace("0" * 64, digest))
    assert parse_acquisition(path, HMAC_KEY).signature == "verified"


def test_hand_encoded_cbor_document_verifies(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc()
    doc["protected"]["alg"] = "HS256"
    raw = cbor2.dumps({"signature": "0" * 64, "payload": doc["payload"], "protected": doc["protected"]})
    digest = hmac.new(HMAC_KEY, raw, hashlib.sha256).hexdigest()
    path = corpus.write("dev.cbor", raw.replace(b"0" * 64, digest.encode()))
    assert parse_acquisition(path, HMAC_KEY).signature == "verified"


@pytest.mark.slow  # importing the SDK loads its whole generated API client (seconds)
def test_document_written_by_the_edgeimpulse_sdk_parses(corpus: Corpus) -> None:
    """The SDK builds its JSON with json.dumps(asdict(DataAcquisition(...))): alg none, null signature."""
    from edgeimpulse.data.sample_type import DataAcquisition, Payload, Protected
    from edgeimpulse.data.sample_type import Sensor as SdkSensor

    acquisition = DataAcquisition(
        protected=Protected(),
        payload=Payload(
            device_type="DISCO-L475VG-IOT01A",
            sensors=[SdkSensor(name="accX", units="m/s2"), SdkSensor(name="accY", units="m/s2")],
            values=[[-9.81, 0.03], [-9.83, 0.04], [-9.12, 0.03]],
            interval_ms=10,
        ),
    )
    sample = parse_acquisition(corpus.write("sdk.json", json.dumps(asdict(acquisition))), None)
    assert sample.signature == "none" and sample.device_name is None
    assert sample.values.shape == (3, 2) and sample.values[0, 0] == np.float32(-9.81)


def test_audio_document_is_audio_scaled_to_unit_range(corpus: Corpus) -> None:
    path = corpus.acquisition_json(corpus.audio_doc([0, 16384, -32768, 32767]), "yes.01.json")
    sample = parse_acquisition(path, None)
    assert sample.kind == "audio" and sample.values.shape == (4, 1)
    assert sample.values[:, 0].tolist() == [0.0, 0.5, -1.0, 32767 / 32768]
    assert sample.frequency_hz == 16000.0


def test_single_sensor_accepts_a_flat_values_list(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc(rows=3, sensors=[("temp", "C")])
    doc["payload"]["values"] = [21.5, 21.75, 22.0]
    assert parse_acquisition(corpus.acquisition_json(doc), None).values[:, 0].tolist() == [21.5, 21.75, 22.0]


# Refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "cbor"])
def test_wrong_key_is_rejected(corpus: Corpus, fmt: str) -> None:
    path = corpus.write(f"s.{fmt}", sign_acquisition(corpus.acquisition_doc(), HMAC_KEY, fmt))  # type: ignore[arg-type]
    assert reason(path, b"another key").startswith("signature does not match")


@pytest.mark.parametrize("fmt", ["json", "cbor"])
def test_document_changed_after_signing_is_rejected(corpus: Corpus, fmt: str) -> None:
    raw = sign_acquisition(corpus.acquisition_doc(device_type="NANO33BLE"), HMAC_KEY, fmt)  # type: ignore[arg-type]
    path = corpus.write(f"s.{fmt}", raw.replace(b"NANO33BLE", b"NANO33BLF"))
    assert reason(path).startswith("signature does not match")


def test_signed_document_without_a_project_key_is_rejected(corpus: Corpus) -> None:
    path = corpus.write("s.json", sign_acquisition(corpus.acquisition_doc(), HMAC_KEY, "json"))
    assert "no HMAC key" in reason(path, None)


def test_unsupported_algorithm_is_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc()
    doc["protected"]["alg"] = "RS256"
    assert (
        reason(corpus.acquisition_json(doc))
        == "unsupported signature algorithm 'RS256'; accepted are HS256 and none"
    )


def test_malformed_json_is_rejected_with_its_position(corpus: Corpus) -> None:
    assert reason(corpus.write("b.json", '{"protected": {"ver": "v1",}')).startswith("not valid JSON")


def test_deeply_nested_json_is_rejected_without_crashing(corpus: Corpus) -> None:
    assert reason(corpus.write("deep.json", "{" + '"a":[' * 100_000)).startswith("not valid JSON")


def test_malformed_cbor_is_rejected(corpus: Corpus) -> None:
    raw = sign_acquisition(corpus.acquisition_doc(), None, "cbor")
    assert reason(corpus.write("b.cbor", raw[: len(raw) // 2])).startswith("not valid CBOR")


def test_cbor_with_trailing_bytes_is_rejected(corpus: Corpus) -> None:
    raw = sign_acquisition(corpus.acquisition_doc(), None, "cbor")
    assert "stray bytes" in reason(corpus.write("b.cbor", raw + b"\x00\x01"))


def _without(doc: dict[str, Any], *path: str) -> dict[str, Any]:
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("payload",), "payload"),
        (("protected",), "protected"),
        (("protected", "alg"), "protected.alg"),
        (("payload", "sensors"), "payload.sensors"),
        (("payload", "values"), "payload.values"),
        (("payload", "interval_ms"), "payload.interval_ms"),
        (("payload", "device_type"), "payload.device_type"),
    ],
)
def test_missing_field_is_rejected_naming_it(corpus: Corpus, path: tuple[str, ...], field: str) -> None:
    doc = _without(corpus.acquisition_doc(), *path)
    assert reason(corpus.acquisition_json(doc)) == f"missing field {field}"


def test_row_with_the_wrong_number_of_values_is_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc(rows=5)
    doc["payload"]["values"][3] = [1.0, 2.0]
    assert (
        reason(corpus.acquisition_json(doc)) == "payload.values[3] has 2 values, expected 3 (one per sensor)"
    )


def test_flat_values_with_several_sensors_are_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc(rows=5)
    doc["payload"]["values"] = [1.0, 2.0, 3.0]
    assert "flat list" in reason(corpus.acquisition_json(doc))


def test_non_numeric_value_is_rejected_naming_its_place(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc(rows=5)
    doc["payload"]["values"][2][1] = "high"
    assert reason(corpus.acquisition_json(doc)) == "payload.values[2][1] is 'high', not a number"


def test_null_value_is_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc(rows=5)
    doc["payload"]["values"][4][0] = None
    assert reason(corpus.acquisition_json(doc)) == "payload.values[4][0] is None, not a number"


def test_empty_values_are_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc()
    doc["payload"]["values"] = []
    assert reason(corpus.acquisition_json(doc)) == "payload.values is empty"


def test_zero_interval_is_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc()
    doc["payload"]["interval_ms"] = 0
    assert reason(corpus.acquisition_json(doc)) == "payload.interval_ms must be above 0, got 0"


def test_document_that_is_not_an_object_is_rejected(corpus: Corpus) -> None:
    assert "must be an object" in reason(corpus.write("l.json", "[1, 2, 3]"))


def test_unknown_format_version_is_rejected(corpus: Corpus) -> None:
    doc = corpus.acquisition_doc()
    doc["protected"]["ver"] = "v2"
    assert "version 'v2'" in reason(corpus.acquisition_json(doc))


# Properties -------------------------------------------------------------------------------------

sensor_names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.sampled_from(["json", "cbor"]),
    names=st.lists(sensor_names, min_size=1, max_size=4, unique=True),
    rows=st.integers(min_value=1, max_value=30),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    key=st.binary(min_size=1, max_size=64),
    interval=st.floats(min_value=0.01, max_value=1000, allow_nan=False),
)
def test_signed_documents_round_trip_and_verify(
    corpus: Corpus, fmt: str, names: list[str], rows: int, seed: int, key: bytes, interval: float
) -> None:
    values = np.random.default_rng(seed).normal(size=(rows, len(names))).astype(np.float32)
    doc = {
        "protected": {"ver": "v1"},
        "payload": {
            "device_type": "PROP",
            "interval_ms": interval,
            "sensors": [{"name": n, "units": "u"} for n in names],
            "values": values.astype(np.float64),
        },
    }
    path = corpus.write(f"p.{fmt}", sign_acquisition(doc, key, fmt))  # type: ignore[arg-type]
    sample = parse_acquisition(path, key)
    assert sample.signature == "verified"
    assert np.array_equal(sample.values, values)
    assert [s.name for s in sample.sensors] == names
    with pytest.raises(InvalidUpload, match="signature does not match"):
        parse_acquisition(path, key + b"x")
