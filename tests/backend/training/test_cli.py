"""`moteforge train`, `moteforge test` and `moteforge classify` against a live studio over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app
from tests.backend.training.conftest import Studio
from tests.backend.training.factories import motion_values, write_csv

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_env(live_server: str, motions: Studio, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOTEFORGE_URL", live_server)
    monkeypatch.setenv("MOTEFORGE_API_KEY", motions.key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_train_then_test_then_classify_from_the_command_line(cli_env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["train", "--epochs", "15", "--wait"])
    assert result.exit_code == 0, result.output
    assert "Epoch 15/15" in result.output
    assert "float32 validation accuracy:" in result.output and "int8 validation accuracy:" in result.output

    result = runner.invoke(app, ["test", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["dtype"] == "int8" and summary["samples"] == 8 and summary["windows"] == 72
    assert set(summary["per_class"]) == {"badminton", "running", "standing", "walking"}
    assert 0.9 <= summary["accuracy"] <= 1.0

    files = [
        write_csv(tmp_path / "a.csv", motion_values("running", seed=901)),
        write_csv(tmp_path / "b.csv", motion_values("standing", seed=902)),
    ]
    result = runner.invoke(app, ["classify", *map(str, files), "--json"])
    assert result.exit_code == 0, result.output
    classified = json.loads(result.output)
    assert [c["label"] for c in classified] == ["running", "standing"]
    assert all(len(c["windows"]) == 9 and set(c["scores"]) == set(summary["per_class"]) for c in classified)


def test_commands_fail_with_a_one_line_reason(cli_env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["test", "--json"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: 422 Train a model (or upload one) first."]

    result = runner.invoke(app, ["train", "--epochs", "0"])
    assert (
        result.exit_code == 1 and "epochs" in result.output and len(result.output.strip().splitlines()) == 1
    )

    result = runner.invoke(app, ["classify", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "no such file" in result.output
