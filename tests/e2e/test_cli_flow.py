"""The whole flow through the `moteforge` command as a CI pipeline runs it (a subprocess reaching a live
studio with MOTEFORGE_URL and MOTEFORGE_API_KEY): upload → impulse create → train → test → classify →
deploy → verify, and a tampered bundle failing verification."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.backend.training.factories import ACTIVITIES, motion_values, write_csv
from tests.support.factories import make_api_key, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.qemu]
MOTEFORGE = Path(sys.executable).with_name("moteforge")


class Cli:
    def __init__(self, url: str, key: str, home: Path) -> None:
        self.env = {
            **os.environ,
            "MOTEFORGE_URL": url,
            "MOTEFORGE_API_KEY": key,
            "XDG_CONFIG_HOME": str(home / "config"),
            "COLUMNS": "200",
        }

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(MOTEFORGE), *args], env=self.env, capture_output=True, text=True, timeout=600, check=False
        )
        if ok:
            assert done.returncode == 0, f"moteforge {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done


def _recordings(directory: Path, category: str, per_class: int, seed0: int) -> Path:
    folder = directory / category
    folder.mkdir(parents=True)
    for k, activity in enumerate(ACTIVITIES):
        for i in range(per_class):
            seed = seed0 + 1000 * k + i
            write_csv(folder / f"{activity}.{seed}.csv", motion_values(activity, seed))
    return folder


def test_upload_train_test_deploy_and_verify_from_the_command_line(
    live_server: str, session: Session, tmp_path: Path
) -> None:
    owner = make_user(session)
    project = make_project(session, owner, name="CI pipeline")
    key = make_api_key(session, project)
    session.commit()
    cli = Cli(live_server, key, tmp_path)

    cli("upload", str(_recordings(tmp_path, "training", 6, 0)), "--category", "training")
    cli("upload", str(_recordings(tmp_path, "testing", 2, 500)), "--category", "testing")
    cli("impulse", "create", "--dsp", "flatten", "--window-ms", "2000", "--stride-ms", "1000")
    trained = cli("train", "--epochs", "30", "--wait")
    assert "int8 validation accuracy:" in trained.stdout

    summary = json.loads(cli("test", "--json").stdout)
    assert summary["dtype"] == "int8" and summary["samples"] == 8
    assert summary["accuracy"] >= 0.75

    probe = write_csv(tmp_path / "probe.csv", motion_values("running", seed=4242))
    (classified,) = json.loads(cli("classify", str(probe), "--json").stdout)
    assert set(classified["scores"]) == set(ACTIVITIES) and classified["windows"]

    boards = cli("boards", "list").stdout
    assert "generic-cortex-m4f" in boards and "not emulated" in boards

    bundle = tmp_path / "out" / "bundle.zip"
    deployed = cli("deploy", "--board", "generic-cortex-m4f", "-o", str(bundle))
    assert "firmware bundle for generic-cortex-m4f" in deployed.stdout
    assert cli("verify", str(bundle)).stdout.strip().endswith("signature and every file's sha256 check out")
    # Asking again gives the identical bundle without another build.
    again = tmp_path / "again.zip"
    assert (
        "reusing the identical verified bundle"
        in cli("deploy", "--board", "generic-cortex-m4f", "-o", str(again)).stderr
    )
    assert again.read_bytes() == bundle.read_bytes()

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b"\n" if info.filename == "firmware/firmware.hex" else data)
    refused = cli("verify", str(tampered), ok=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {tampered} is not as Moteforge signed it: changed file: firmware/firmware.hex"
    ]


def test_deploy_fails_with_a_one_line_reason(live_server: str, session: Session, tmp_path: Path) -> None:
    owner = make_user(session)
    project = make_project(session, owner)
    key = make_api_key(session, project)
    session.commit()
    cli = Cli(live_server, key, tmp_path)
    unknown = cli("deploy", "--board", "arduino-uno", "-o", str(tmp_path / "x.zip"), ok=False)
    assert unknown.returncode == 1
    (line,) = unknown.stderr.strip().splitlines()
    assert line.startswith("error: 422 unknown board 'arduino-uno'; valid boards: arduino-nano-33-ble-sense,")
    untrained = cli("deploy", "--board", "generic-cortex-m4f", "-o", str(tmp_path / "x.zip"), ok=False)
    assert untrained.returncode == 1
    assert untrained.stderr.strip().splitlines() == ["error: 422 Train a model (or upload one) first."]
    assert not (tmp_path / "x.zip").exists()
    missing = cli("verify", str(tmp_path / "nothing.zip"), ok=False)
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == f"error: {tmp_path / 'nothing.zip'}: no such file"
    )
