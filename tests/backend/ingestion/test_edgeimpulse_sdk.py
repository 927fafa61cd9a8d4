"""Edge Impulse's own Python SDK uploads to a live Moteforge server unchanged."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import edgeimpulse as ei
import numpy as np
import pandas as pd
import pytest
from edgeimpulse.data import sample_type
from edgeimpulse.experimental import data as ei_data
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.data import service
from backend.data.models import Sample
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import World

pytestmark = pytest.mark.slow


@pytest.fixture
def sdk(live_server: str, world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SDK pointed at the live server with the project's key (what EI_INGESTION_ENDPOINT/EI_API_KEY do)."""
    monkeypatch.setattr(ei, "INGESTION_ENDPOINT", live_server)
    monkeypatch.setattr(ei, "API_KEY", world.key)
    yield


def _samples(session: Session, world: World) -> list[Sample]:
    session.expire_all()
    return list(
        session.scalars(select(Sample).where(Sample.project_id == world.project.id).order_by(Sample.id))
    )


def test_upload_samples_stores_files_and_acquisition_documents(
    sdk: None, world: World, corpus: Corpus, session: Session
) -> None:
    csv = corpus.timeseries_csv("idle.1.csv", rows=25)
    wav = Corpus.wav_bytes(np.arange(0, 3200, 2, dtype="<i2").tobytes(), rate=16000)
    acq = sample_type.DataAcquisition(
        protected=sample_type.Protected(),
        payload=sample_type.Payload(
            device_type="TEST",
            sensors=[
                sample_type.Sensor(name="accX", units="m/s2"),
                sample_type.Sensor(name="accY", units="m/s2"),
            ],
            values=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            interval_ms=20,
        ),
    )
    result = ei_data.upload_samples(
        [
            ei_data.Sample(filename="idle.1.csv", data=csv.open("rb"), category="training", label="idle"),
            ei_data.Sample(filename="yes.1.wav", data=io.BytesIO(wav), category="testing", label="yes"),
            ei_data.Sample(
                filename="wave.1.json", data=acq, category="training", label="wave", metadata={"site": "lab"}
            ),
        ]  # fmt: skip
    )
    assert len(result.fails) == 0, [f.error for f in result.fails]
    assert all(r.sample.sample_id for r in result.successes)
    stored = {s.label: s for s in _samples(session, world)}
    assert (stored["idle"].category, stored["idle"].frames) == ("training", 25)
    assert (stored["yes"].kind, stored["yes"].category) == ("audio", "testing")
    assert stored["wave"].meta["site"] == "lab" and stored["wave"].sensors[1] == {
        "name": "accY",
        "units": "m/s2",
    }
    np.testing.assert_array_equal(service.load_values(stored["wave"]), [[1, 2], [3, 4], [5, 6]])


def test_the_sdk_refuses_duplicates_by_default_and_reports_them_as_failures(
    sdk: None, world: World, corpus: Corpus
) -> None:
    path = corpus.timeseries_csv("dup.csv", rows=13)
    first = ei_data.upload_samples([ei_data.Sample(filename="dup.csv", data=path.open("rb"), label="a")])
    again = ei_data.upload_samples([ei_data.Sample(filename="dup.csv", data=path.open("rb"), label="a")])
    assert len(first.successes) == 1
    assert len(again.fails) == 1 and "already in sample" in again.fails[0].error


def test_upload_directory_without_info_labels_labels_by_file_name(
    sdk: None, world: World, corpus: Corpus, session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "plain"
    for i, label in enumerate(["up", "up", "down"]):
        (folder / "sub").mkdir(parents=True, exist_ok=True)
        (folder / "sub" / f"{label}.{i}.wav").write_bytes(
            Corpus.wav_bytes(np.full(400 + i, 100 * (i + 1), dtype="<i2").tobytes())
        )
    result = ei_data.upload_directory(str(folder), category="training")
    assert (len(result.successes), len(result.fails)) == (3, 0)
    assert sorted(s.label for s in _samples(session, world)) == ["down", "up", "up"]


def test_upload_directory_with_info_labels_keeps_categories_labels_and_metadata(
    sdk: None, owner_client, world: World, corpus: Corpus, session: Session, tmp_path: Path
) -> None:
    # A dataset in Edge Impulse's export layout, made by our own export.
    files = [("files", (f"lab{i % 2}.{i}.csv", corpus.timeseries_csv(f"s{i}.csv", rows=30 + i).read_bytes()))
             for i in range(4)]  # fmt: skip
    owner_client.post(f"/api/projects/{world.project.id}/samples", files=files, data={"category": "split"})
    ids = [s.id for s in _samples(session, world)]
    owner_client.patch(
        f"/api/projects/{world.project.id}/samples/{ids[0]}", json={"metadata": {"who": "ann"}}
    )
    exported = owner_client.get(f"/api/projects/{world.project.id}/samples/export").content
    before = {s.name: (s.label, s.category) for s in _samples(session, world)}
    owner_client.post(f"/api/projects/{world.project.id}/samples/bulk", json={"ids": ids, "action": "delete"})
    folder = tmp_path / "exported"
    zipfile.ZipFile(io.BytesIO(exported)).extractall(folder)
    assert json.loads((folder / "info.labels").read_text())["version"] == 1

    result = ei_data.upload_directory(str(folder))
    assert (len(result.successes), len(result.fails)) == (4, 0)
    after = _samples(session, world)
    assert sorted((s.label, s.category) for s in after) == sorted(before.values())
    assert [s.meta.get("who") for s in after].count("ann") == 1


def test_upload_pandas_sample_and_upload_numpy(sdk: None, world: World, session: Session) -> None:
    df = pd.DataFrame({"accX": np.linspace(0, 1, 20), "accY": np.linspace(1, 2, 20)})
    r1 = ei_data.upload_pandas_sample(
        df, label="ramp", sample_rate_ms=10, filename="ramp.1", category="training"
    )
    values = np.stack([np.full((15, 2), k, dtype=np.float32) for k in (1.0, 2.0)])
    sensors = [sample_type.Sensor(name="x", units="m"), sample_type.Sensor(name="y", units="m")]
    r2 = ei_data.upload_numpy(
        values, labels=["one", "two"], sensors=sensors, sample_rate_ms=5, category="testing"
    )
    assert len(r1.fails) == 0 and len(r2.fails) == 0, [f.error for f in (*r1.fails, *r2.fails)]
    stored = {s.label: s for s in _samples(session, world)}
    assert (stored["ramp"].frames, stored["ramp"].interval_ms, stored["ramp"].category) == (
        20,
        10.0,
        "training",
    )
    assert (stored["two"].frames, stored["two"].axes, stored["two"].interval_ms) == (15, 2, 5.0)
    np.testing.assert_allclose(service.load_values(stored["two"]), 2.0)
