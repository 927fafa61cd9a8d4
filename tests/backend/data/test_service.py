"""The data service: storage rules, editing (crop, windows), summaries, rebalance, CSV mappings, stats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store
from backend.core.errors import DomainError, InvalidInput
from backend.data import formats, service
from backend.data.models import Sample
from backend.data.tasks import sample_stats
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import Stored, World


def _ingest(
    session: Session, world: World, path: Path, name: str | None = None, **kw: object
) -> list[Sample]:
    options = service.IngestOptions(**{"category": "training", **kw})  # type: ignore[arg-type]
    (outcome,) = service.ingest_upload(session, world.ctx, [(path, name or path.name)], options)
    outcome.raise_if_failed()
    return outcome.samples


def _ramp_csv(corpus: Corpus, name: str, rows: int, offset: float = 0.0) -> Path:
    """One axis holding offset + row index, 10 ms apart: every value says where it came from."""
    return corpus.write(
        name, Corpus.csv_text(["timestamp", "x"], [[i * 10, offset + i] for i in range(rows)])
    )


def test_values_are_float32_frames_by_axes_and_images_uint8_hwc(
    session: Session, world: World, corpus: Corpus
) -> None:
    (ts,) = _ingest(session, world, corpus.timeseries_csv("a.csv", rows=7))
    (img,) = _ingest(session, world, corpus.write("cat.png", Corpus.image_bytes(10, 6)))
    assert service.load_values(ts).dtype == np.float32 and service.load_values(ts).shape == (7, 3)
    pixels = service.load_values(img)
    assert pixels.dtype == np.uint8 and pixels.shape == (6, 10, 3)
    assert (img.frames, img.width, img.axes, img.duration_ms) == (6, 10, 3, 0.0)


def test_a_csv_label_column_beats_the_request_label_and_names_each_segment(
    session: Session, world: World, corpus: Corpus
) -> None:
    path = corpus.timeseries_csv("mixed.csv", labels=[("idle", 5), ("wave", 6)])
    samples = _ingest(session, world, path, label="ignored")
    assert [(s.name, s.label, s.frames) for s in samples] == [("mixed.0", "idle", 5), ("mixed.1", "wave", 6)]
    assert samples[0].original_sha256 == samples[1].original_sha256


def test_a_rolled_back_upload_leaves_no_blob(session: Session, world: World, corpus: Corpus) -> None:
    before = Stored.now(session)
    _ingest(session, world, _ramp_csv(corpus, "r.csv", 33, offset=0.731))
    assert len(Stored.now(session).blobs - before.blobs) == 2
    session.rollback()
    assert Stored.now(session) == before


def test_crop_keeps_the_range_and_the_original_file(session: Session, world: World, corpus: Corpus) -> None:
    (s,) = _ingest(session, world, _ramp_csv(corpus, "c.csv", 100))
    original, old_values = s.original_sha256, s.values_sha256
    service.crop(session, world.ctx, s, 200.0, 500.0)
    session.commit()
    np.testing.assert_array_equal(service.load_values(s)[:, 0], np.arange(20, 50))
    assert (s.frames, s.duration_ms, s.original_sha256) == (30, 300.0, original)
    assert s.meta["crops"] == [[200.0, 500.0]]
    assert not get_blob_store().exists(old_values)


def test_crop_refuses_an_empty_range(session: Session, world: World, corpus: Corpus) -> None:
    (s,) = _ingest(session, world, _ramp_csv(corpus, "c.csv", 10))
    with pytest.raises(InvalidInput):
        service.crop(session, world.ctx, s, 50.0, 55.0)


def test_split_into_windows_makes_new_samples_and_disables_the_original(
    session: Session, world: World, corpus: Corpus
) -> None:
    (s,) = _ingest(session, world, _ramp_csv(corpus, "long.csv", 100), label="walk")
    windows = service.split_windows(session, world.ctx, s, window_ms=300, stride_ms=250)
    session.commit()
    assert [w.name for w in windows] == [
        "long.w0",
        "long.w1",
        "long.w2",
    ]  # starts 0, 25, 50; 75 would overrun
    assert all((w.frames, w.label, w.category, w.enabled) == (30, "walk", "training", True) for w in windows)
    np.testing.assert_array_equal(service.load_values(windows[1])[:, 0], np.arange(25, 55))
    assert s.enabled is False and s.meta["split_into"] == [w.id for w in windows]


def test_summary_counts_durations_per_label_and_category(
    session: Session, world: World, corpus: Corpus
) -> None:
    _ingest(session, world, _ramp_csv(corpus, "a.csv", 10), label="a")
    _ingest(session, world, _ramp_csv(corpus, "b.csv", 20), label="a", category="testing")
    (off,) = _ingest(session, world, _ramp_csv(corpus, "c.csv", 30), label="b")
    service.disable(session, world.ctx, [off.id])
    summary = service.summary(session, world.ctx)
    assert (summary["total"], summary["disabled"], summary["duration_ms"]) == (2, 1, 300.0)
    (a,) = summary["labels"]
    assert a["label"] == "a" and a["training"] == {"count": 1, "duration_ms": 100.0}
    assert a["testing"] == {"count": 1, "duration_ms": 200.0}
    assert summary["train_test_ratio"] == {"training": 50.0, "testing": 50.0}
    assert summary["sensors"][0]["sensors"] == [{"name": "x", "units": "N/A"}]


def test_rebalance_reaches_80_20_per_label_and_a_second_run_moves_nothing(
    session: Session, world: World, corpus: Corpus
) -> None:
    for i in range(10):
        _ingest(session, world, _ramp_csv(corpus, f"u{i}.csv", 5, offset=i * 100), label="up")
    for i in range(5):
        _ingest(
            session,
            world,
            _ramp_csv(corpus, f"d{i}.csv", 5, offset=5000 + i),
            label="down",
            category="testing",
        )
    result = service.rebalance(session, world.ctx)
    assert result["labels"] == {"up": {"training": 8, "testing": 2}, "down": {"training": 4, "testing": 1}}
    assert result["moved"] == 2 + 4
    per = service.summary(session, world.ctx)["labels"]
    assert {x["label"]: (x["training"]["count"], x["testing"]["count"]) for x in per} == {
        "down": (4, 1), "up": (8, 2)
    }  # fmt: skip
    assert service.rebalance(session, world.ctx)["moved"] == 0


def test_saved_csv_mapping_applies_to_later_uploads(session: Session, world: World, corpus: Corpus) -> None:
    path = corpus.write("headless.csv", Corpus.csv_text(["a", "b"], [[i, 2 * i] for i in range(8)]))
    service.save_csv_mapping(session, world.ctx, formats.CsvMapping(frequency_hz=50.0, axes=["b"]))
    (s,) = _ingest(session, world, path)
    assert (s.interval_ms, s.axes, s.sensors[0]["name"]) == (20.0, 1, "b")
    assert service.get_csv_mapping(session, world.project.id) == formats.CsvMapping(
        frequency_hz=50.0, axes=["b"]
    )


def test_zip_categories_from_info_labels_are_kept_when_splitting(
    session: Session, world: World, corpus: Corpus
) -> None:
    labels = {"version": 1, "files": [
        {"path": "a.csv", "category": "testing", "label": {"type": "label", "label": "alpha"}},
        {"path": "b.csv", "category": "training", "label": {"type": "label", "label": "beta"}},
    ]}  # fmt: skip
    members = {
        "a.csv": _ramp_csv(corpus, "za.csv", 6).read_bytes(),
        "b.csv": _ramp_csv(corpus, "zb.csv", 7).read_bytes(),
        "info.labels": json.dumps(labels),
    }
    path = corpus.zip_file(members, "set.zip")
    outcomes = service.ingest_upload(
        session, world.ctx, [(path, "set.zip")], service.IngestOptions(category="split")
    )
    got = sorted((s.label, s.category) for o in outcomes for s in o.samples)
    assert got == [("alpha", "testing"), ("beta", "training")]
    forced = service.ingest_upload(
        session, world.ctx, [(path, "set.zip")], service.IngestOptions(category="anomaly")
    )
    assert {s.category for o in forced for s in o.samples} == {"anomaly"}


def test_list_for_training_skips_disabled_and_filters_by_category(
    session: Session, world: World, corpus: Corpus
) -> None:
    (a,) = _ingest(session, world, _ramp_csv(corpus, "a.csv", 5))
    (b,) = _ingest(session, world, _ramp_csv(corpus, "b.csv", 6), category="testing")
    (c,) = _ingest(session, world, _ramp_csv(corpus, "c.csv", 7))
    service.disable(session, world.ctx, [c.id])
    assert [s.id for s in service.list_for_training(session, world.project.id)] == [a.id, b.id]
    assert [s.id for s in service.list_for_training(session, world.project.id, "testing")] == [b.id]
    assert len(service.list_for_training(session, world.project.id, enabled_only=False)) == 3


def test_parse_upload_reads_without_storing(session: Session, world: World, corpus: Corpus) -> None:
    before = Stored.now(session)
    parsed = service.parse_upload(corpus.timeseries_csv("live.csv", rows=9), "live.csv", None)
    assert parsed.values.shape == (9, 3)
    assert Stored.now(session).samples == before.samples and Stored.now(session).blobs == before.blobs


def test_stats_provider_counts_per_label_and_category(session: Session, world: World, corpus: Corpus) -> None:
    _ingest(session, world, _ramp_csv(corpus, "a.csv", 5), label="a")
    _ingest(session, world, _ramp_csv(corpus, "b.csv", 6), label="a", category="testing")
    (c,) = _ingest(session, world, _ramp_csv(corpus, "c.csv", 7), no_label=True)
    session.commit()
    assert sample_stats(session, world.project.id) == {
        "per_category": {"training": 2, "testing": 1},
        "per_label": {"a": 2, "(unlabeled)": 1},
        "disabled": 0,
    }
    assert c.label is None


def test_ingest_file_raises_one_error_naming_the_file(session: Session, world: World, corpus: Corpus) -> None:
    path = corpus.write("bad.csv", "t,x\n0,1\n1,nope\n")
    with pytest.raises(DomainError) as caught:
        service.ingest_file(session, world.ctx, path, "bad.csv", label=None, category="training")
    assert caught.value.status_code == 400
    assert caught.value.message.startswith("bad.csv: ") and caught.value.message.count("bad.csv") == 1
