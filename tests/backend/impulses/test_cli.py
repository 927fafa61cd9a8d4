"""`moteforge impulse`: options replace the studio's suggestion; create, show and generate-features
against a live studio."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.cli.main import app
from backend.impulses.cli import apply_options
from tests.backend.impulses.conftest import Owned
from tests.backend.impulses.factories import basic_motions
from tests.support.factories import make_api_key

SUGGESTION = {
    "name": "Impulse",
    "input_block": {
        "type": "timeseries",
        "window_ms": 2000,
        "stride_ms": 500,
        "frequency_hz": 10,
        "axes": ["x"],
    },
    "dsp_blocks": [{"id": "dsp1", "type": "spectral", "params": {"fft_length": 16}}],
    "learn_blocks": [{"id": "learn1", "type": "classifier", "params": {}, "inputs": ["dsp1"]}],
}


def test_unset_options_keep_the_suggestion() -> None:
    assert apply_options(SUGGESTION) == SUGGESTION


def test_window_options_replace_the_suggested_values() -> None:
    out = apply_options(SUGGESTION, window_ms=1000, stride_ms=250, frequency=20)
    assert out["input_block"] == {
        **SUGGESTION["input_block"],
        "window_ms": 1000,
        "stride_ms": 250,
        "frequency_hz": 20,
    }
    assert SUGGESTION["input_block"]["window_ms"] == 2000  # the suggestion itself is left alone


def test_dsp_and_learn_options_replace_the_blocks_and_keep_them_wired() -> None:
    out = apply_options(SUGGESTION, dsp="flatten", learn="anomaly")
    assert out["dsp_blocks"] == [{"id": "dsp1", "type": "flatten", "params": {}}]
    assert out["learn_blocks"] == [
        {"id": "learn1", "type": "anomaly-kmeans", "params": {}, "inputs": ["dsp1"]}
    ]


def test_an_unknown_block_name_is_refused() -> None:
    with pytest.raises(typer.Exit):
        apply_options(SUGGESTION, dsp="wavelets")


@pytest.mark.slow
def test_create_show_and_generate_features_on_a_live_studio(
    live_server: str, session: Session, owned: Owned, monkeypatch: pytest.MonkeyPatch
) -> None:
    basic_motions(session, owned.project, per_class=3, testing_per_class=0)
    key = make_api_key(session, owned.project)
    session.commit()
    monkeypatch.setenv("MOTEFORGE_URL", live_server)
    monkeypatch.setenv("MOTEFORGE_API_KEY", key)
    runner = CliRunner()

    created = runner.invoke(app, ["impulse", "create", "--window-ms", "3000", "--dsp", "flatten"])
    assert created.exit_code == 0, created.output
    assert "v1" in created.output and "window 3000" in created.output and "dsp1=flatten" in created.output
    shown = runner.invoke(app, ["impulse", "show"])
    assert shown.exit_code == 0, shown.output
    # The suggestion's 500 ms increase stays; the window is the one asked for.
    assert "window 3000 ms, increase 500 ms" in shown.output
    assert "classes: badminton, running, standing, walking" in shown.output

    generated = runner.invoke(app, ["impulse", "generate-features"])
    assert generated.exit_code == 0, generated.output
    # 100 frames, 30-frame windows every 5: 15 windows x 12 samples; flatten: 7 statistics x 6 axes.
    assert "training: 180 windows x 42 features" in generated.output

    refused = runner.invoke(app, ["impulse", "create", "--window-ms", "-5"])
    assert refused.exit_code == 1 and "Window size must be between" in refused.output
