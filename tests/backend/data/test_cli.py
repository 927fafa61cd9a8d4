"""`moteforge upload` and `moteforge export` against a live studio over HTTP."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.cli.main import app
from backend.data.models import Sample
from tests.backend.data.formats.conftest import Corpus
from tests.backend.data.support import World

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(live_server: str, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOTEFORGE_URL", live_server)
    monkeypatch.setenv("MOTEFORGE_API_KEY", world.key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _labels(session: Session, world: World) -> list[tuple[str | None, str]]:
    session.expire_all()
    rows = session.scalars(select(Sample).where(Sample.project_id == world.project.id).order_by(Sample.name))
    return [(s.label, s.category) for s in rows]


def test_upload_recurses_folders_labels_by_name_and_reports_bad_files(
    cli_env: None, world: World, corpus: Corpus, session: Session
) -> None:
    corpus.timeseries_csv("data/idle.1.csv", rows=12)
    corpus.timeseries_csv("data/deep/wave.1.csv", rows=14)
    corpus.write("data/deep/broken.csv", "t,x\n0,1\n1,oops\n")
    corpus.write("data/readme.md", "not data")
    corpus.write("data/.hidden/idle.9.csv", "t,x\n0,1\n1,2\n")
    result = CliRunner().invoke(app, ["upload", str(corpus.root / "data"), "--category", "training"])
    assert result.exit_code == 1, result.output
    assert "broken.csv" in result.output and "not a finite number" in result.output
    assert "2 samples stored from 2 of 3 files; 2 skipped" in result.output
    assert _labels(session, world) == [("idle", "training"), ("wave", "training")]


def test_upload_with_a_label_applies_it_to_every_file(
    cli_env: None, world: World, corpus: Corpus, session: Session
) -> None:
    a = corpus.timeseries_csv("a.csv", rows=10)
    b = corpus.timeseries_csv("b.csv", rows=11)
    result = CliRunner().invoke(
        app, ["upload", str(a), str(b), "--label", "tap twice", "--category", "testing"]
    )
    assert result.exit_code == 0, result.output
    assert _labels(session, world) == [("tap twice", "testing")] * 2


def test_upload_refuses_a_project_the_key_does_not_reach(cli_env: None, world: World, corpus: Corpus) -> None:
    a = corpus.timeseries_csv("a.csv", rows=10)
    result = CliRunner().invoke(app, ["upload", str(a), "--project", "somebody else's"])
    assert result.exit_code == 1 and "no project" in result.output


def test_export_writes_the_dataset_zip(cli_env: None, world: World, corpus: Corpus, tmp_path: Path) -> None:
    corpus.timeseries_csv("set/up.1.csv", rows=10)
    corpus.timeseries_csv("set/down.1.csv", rows=12)
    assert (
        CliRunner().invoke(app, ["upload", str(corpus.root / "set"), "--category", "training"]).exit_code == 0
    )
    out = tmp_path / "dataset.zip"
    result = CliRunner().invoke(app, ["export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as zf:
        labels = json.loads(zf.read("info.labels"))
    assert sorted(f["label"]["label"] for f in labels["files"]) == ["down", "up"]
    assert all(f["path"].startswith("training/") for f in labels["files"])
