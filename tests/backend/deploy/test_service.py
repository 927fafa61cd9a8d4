"""Deploy service rules: refusals before any job (unknown board or kind, too big, nothing to verify on),
reuse of identical requests, and only verified bundles offered."""

from __future__ import annotations

import math
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent
from backend.core.blobs import get_blob_store
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.principal import Principal
from backend.deploy import inputs, service
from backend.deploy.models import BoardEstimates, Deployment
from backend.jobs.models import Job
from backend.jobs.runner import run_job
from backend.projects import service as projects
from backend.projects.permissions import Action
from backend.training import service as training
from firmware.boards import BOARDS
from firmware.deploy.verify import verify_bundle
from tests.backend.deploy.conftest import DeployStudio, finish_job
from tests.backend.deploy.factories import dense_int8, motion_project
from tests.support.factories import make_project, make_user


def _jobs(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def test_an_unknown_board_is_refused_listing_the_valid_ones_and_no_job_starts(
    session: Session, studio: DeployStudio
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.start_build(session, studio.ctx, "arduino-uno")
    assert refused.value.field == "board_id"
    assert "arduino-uno" in refused.value.message
    assert all(board_id in refused.value.message for board_id in BOARDS)
    assert _jobs(session) == 0


def test_a_kind_the_board_is_not_offered_is_refused_listing_its_kinds(
    session: Session, studio: DeployStudio
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.start_build(session, studio.ctx, "raspberry-pi-4", "arduino")
    assert refused.value.field == "kind"
    assert "valid kinds for it: linux, c-library" in refused.value.message
    with pytest.raises(InvalidInput, match="valid kinds: c-library, arduino"):
        service.start_build(session, studio.ctx, "raspberry-pi-4", "zip")
    assert _jobs(session) == 0


def test_a_model_too_big_for_the_board_is_refused_with_the_numbers_before_any_job(
    session: Session, studio: DeployStudio
) -> None:
    impulse = training.current_impulse(session, studio.ctx)
    features = math.prod(training.input_shape(impulse, training.learn_block_of(impulse, None)))
    # About 300 KB of int8 weights: more than the 256 KB of flash of the generic Cortex-M0+.
    big = training.upload_model(session, studio.ctx, dense_int8(features, 4, (4096, 32)), "big-int8.tflite")
    weights_kb = (features * 4096 + 4096 * 32 + 32 * 4) / 1024
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        service.start_build(session, studio.ctx, "generic-cortex-m0plus", model_id=big.id)
    message = refused.value.message
    assert message.startswith(
        f"Model v{big.version} does not fit on Generic Cortex-M0+ (generic-cortex-m0plus)"
    )
    assert "flash, board has 256 KB" in message
    needed_kb = int(message.split("needs ")[1].split(" KB flash")[0])
    assert weights_kb <= needed_kb <= weights_kb + 64
    assert _jobs(session) == 0
    # The same model fits a board with 2 MB of flash: only the small board refuses it.
    assert service.start_build(session, studio.ctx, "generic-cortex-m7", model_id=big.id).job_id is not None


def test_a_project_without_testing_recordings_cannot_build(session: Session, tmp_path: Path) -> None:
    owner = make_user(session)
    project = make_project(session, owner)
    session.commit()
    ctx = projects.get_context(session, Principal(user=owner), project.id, Action.write)
    motion_project(session, ctx, tmp_path / "recordings", test_per_class=0)
    with pytest.raises(InvalidInput, match="Add recordings to the testing category"):
        service.start_build(session, ctx, "generic-cortex-m4f")
    assert _jobs(session) == 0


def test_the_same_request_twice_gives_the_same_deployment_and_one_job(
    session: Session, studio: DeployStudio
) -> None:
    first = service.start_build(session, studio.ctx, "generic-cortex-m4f")
    session.commit()
    again = service.start_build(session, studio.ctx, "generic-cortex-m4f", "firmware", studio.model.id)
    other_kind = service.start_build(session, studio.ctx, "generic-cortex-m4f", "c-library")
    session.commit()
    assert again.id == first.id and first.kind == "firmware"
    assert other_kind.id != first.id
    assert _jobs(session) == 2
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.project_id == studio.project.id)
    ).all()
    assert actions.count("deploy.build") == 2 and actions.count("deploy.reuse") == 1


def test_a_deployment_still_building_offers_no_download(session: Session, studio: DeployStudio) -> None:
    deployment = service.start_build(session, studio.ctx, "generic-cortex-m4f")
    session.commit()
    with pytest.raises(NotFound, match="has no verified bundle \\(building\\)"):
        service.download(session, studio.ctx, deployment.id)


def test_deployments_of_another_project_are_not_found(session: Session, studio: DeployStudio) -> None:
    deployment = service.start_build(session, studio.ctx, "generic-cortex-m4f")
    session.commit()
    stranger = make_user(session)
    theirs = make_project(session, stranger)
    session.commit()
    ctx = projects.get_context(session, Principal(user=stranger), theirs.id, Action.read)
    with pytest.raises(NotFound):
        service.get_or_raise(session, ctx, deployment.id)


@pytest.mark.slow
@pytest.mark.qemu
def test_a_bundle_that_disagrees_with_the_studio_is_marked_failed_and_not_offered(
    session: Session, studio: DeployStudio, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio_answers = inputs.test_samples

    def one_wrong_answer(impulse, spec, rows):  # type: ignore[no-untyped-def]
        # The studio's answer for the first recording is swapped for another class: the bundle's code
        # (run for real) now disagrees with what it is checked against.
        samples = studio_answers(impulse, spec, rows)
        first = samples[0]
        wrong = next(n for n in spec.class_names if n != first.expected["label"])
        samples[0] = replace(first, expected={**first.expected, "label": wrong})
        return samples

    monkeypatch.setattr(inputs, "test_samples", one_wrong_answer)
    deployment = service.start_build(session, studio.ctx, "generic-cortex-m4f", "c-library")
    session.commit()
    assert run_job(deployment.job_id) == "failed"
    session.expire_all()
    failed = session.get(Deployment, deployment.id)
    job = session.get(Job, deployment.job_id)
    assert failed.status == "failed" and failed.bundle_sha256 is None
    assert "did not reproduce the studio's results" in job.error
    assert "FAILED" in failed.verification_log
    with pytest.raises(NotFound):
        service.download(session, studio.ctx, deployment.id)
    # A failed build is not reused: asking again starts a new one.
    assert service.start_build(session, studio.ctx, "generic-cortex-m4f", "c-library").id != deployment.id


@pytest.mark.slow
@pytest.mark.qemu
def test_a_verified_bundle_is_stored_signed_and_reused_for_identical_inputs(
    session: Session, studio: DeployStudio
) -> None:
    deployment = service.start_build(session, studio.ctx, "generic-cortex-m4f", "firmware")
    session.commit()
    assert run_job(deployment.job_id) == "succeeded"
    session.expire_all()
    ready = session.get(Deployment, deployment.id)
    assert ready.status == "ready" and ready.error is None
    path, filename = service.download(session, studio.ctx, ready.id)
    assert path == get_blob_store().path(ready.bundle_sha256) and path.stat().st_size == ready.size_bytes
    assert filename.endswith(f"-v{studio.model.version}-generic-cortex-m4f-firmware.zip")
    assert verify_bundle(path, public_key=ready.manifest["signature"]["public_key"]).ok
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    assert {
        "firmware/firmware.elf",
        "firmware/firmware.bin",
        "firmware/firmware.hex",
        "verification.log",
    } <= names
    assert (
        ready.manifest["model"]["id"] == studio.model.id
        and ready.manifest["board"]["id"] == "generic-cortex-m4f"
    )
    assert "impulse on cortex-m4 in QEMU: ok" in ready.verification_log
    assert ready.estimate["ram_bytes"] > 0 and ready.estimate["latency_ms"] > 0
    jobs_before = _jobs(session)
    assert service.start_build(session, studio.ctx, "generic-cortex-m4f", "firmware").id == ready.id
    assert _jobs(session) == jobs_before


def _estimate_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(BoardEstimates)) or 0)


def test_asking_twice_for_estimates_starts_one_job_and_plan_bounds_show_meanwhile(
    session: Session, studio: DeployStudio, jobs_held: list
) -> None:
    first = service.measure_estimates(session, studio.ctx, studio.model, again=False)
    session.commit()
    again = service.measure_estimates(session, studio.ctx, studio.model)
    session.commit()
    assert first.job is not None and again.job is not None and again.job.id == first.job.id
    assert first.job.type == "deploy-estimates" and first.status == again.status == "measuring"
    assert _jobs(session) == 1 and _estimate_rows(session) == 1
    assert jobs_held == [("moteforge.run_job", [first.job.id])]  # sent once, when the first start committed
    # Nothing measured yet: every board has its plan bound, which already says whether the model fits.
    assert first.measured == {} and list(first.table) == list(BOARDS)
    m4f = first.table["generic-cortex-m4f"]
    assert m4f["fits"] and m4f["measured_on"] is None and m4f["latency_ms"] is None and m4f["ram_bytes"] > 0
    with pytest.raises(Conflict) as refused:
        service.measured_or_raise(session, studio.ctx, studio.model)
    assert refused.value.details == {"status": "measuring", "job_id": first.job.id, "measured": []}
    assert f"job {first.job.id}, 0 of {len(BOARDS)} boards measured" in refused.value.message


def test_a_cancelled_measurement_is_not_restarted_by_showing_the_page_but_on_request(
    session: Session, studio: DeployStudio, jobs_held: list
) -> None:
    from backend.jobs import service as jobs

    first = service.measure_estimates(session, studio.ctx, studio.model)
    session.commit()
    jobs.cancel(session, studio.ctx, first.job.id)
    session.commit()
    shown = service.measure_estimates(session, studio.ctx, studio.model, again=False)
    assert shown.status == "not_measured" and shown.job.id == first.job.id
    with pytest.raises(Conflict, match="start the measurement with POST"):
        service.measured_or_raise(session, studio.ctx, studio.model)
    asked = service.measure_estimates(session, studio.ctx, studio.model)
    session.commit()
    assert asked.status == "measuring" and asked.job.id != first.job.id
    assert _jobs(session) == 2 and _estimate_rows(session) == 1


@pytest.mark.slow
@pytest.mark.qemu
def test_the_estimates_job_measures_every_board_once_and_a_retry_adds_no_rows(
    session: Session, studio: DeployStudio, celery_worker: object
) -> None:
    from backend.jobs import service as jobs

    job = service.measure_estimates(session, studio.ctx, studio.model).job
    session.commit()
    assert finish_job(session, job.id) == "succeeded"
    session.expire_all()
    state = service.measured_or_raise(session, studio.ctx, studio.model)
    table = state.table
    assert list(table) == list(BOARDS) and state.measured == table
    m4f = table["generic-cortex-m4f"]
    assert m4f["fits"] and m4f["measured_on"] == "cortex-m4" and m4f["instructions"] > 0
    # Latency is the instruction count at the board's clock; the M4F boards differ only by clock.
    assert m4f["latency_ms"] == pytest.approx(m4f["instructions"] / 120e6 * 1000, rel=1e-3)
    nano = table["arduino-nano-33-ble-sense"]
    assert nano["instructions"] == m4f["instructions"] and nano["latency_ms"] > m4f["latency_ms"]
    assert table["esp32"]["measured_on"] == "cortex-m4"
    assert table["wasm"]["latency_ms"] is None
    assert service.cached_estimates(session, studio.ctx, studio.model) == table
    # One progress line per board, in the registry's order.
    lines = [log.line for log in jobs.logs(session, session.get(Job, job.id))]
    board_lines = [line for line in lines if line.split(":")[0] in {b.name for b in BOARDS.values()}]
    assert [line.split(":")[0] for line in board_lines] == [b.name for b in BOARDS.values()]
    # Complete: asking again starts nothing. The same job delivered twice stores into the same row.
    assert service.measure_estimates(session, studio.ctx, studio.model).job.id == job.id
    retry = jobs.start(session, studio.ctx, service.ESTIMATES_JOB, dict(job.params))
    session.commit()
    assert finish_job(session, retry.id) == "succeeded"
    session.expire_all()
    assert _estimate_rows(session) == 1
    assert service.estimates(session, studio.ctx, studio.model).table == table
    # The training results page shows the same figures, one line per board.
    lines = training.estimates(studio.model)
    assert list(lines) == list(BOARDS)
    assert lines["generic-cortex-m4f"].startswith("RAM ") and lines["generic-cortex-m4f"].endswith(
        " ms per window"
    )
    # A board left with an error (as when its toolchain broke mid-job) makes the table incomplete again:
    # the page offers to measure again, the training page shows nothing, and the next job measures it.
    key = job.params["cache_key"]
    failed = {**table["generic-cortex-m7"], "error": "not measured: arm-none-eabi-gcc: not found"}
    service.store_board_estimate(
        session, studio.project.id, studio.model.id, key, "generic-cortex-m7", failed
    )
    session.commit()
    assert service.estimates(session, studio.ctx, studio.model).status == "not_measured"
    assert training.estimates(studio.model) == {}
    again = service.measure_estimates(session, studio.ctx, studio.model).job
    session.commit()
    assert again.id not in (job.id, retry.id) and finish_job(session, again.id) == "succeeded"
    session.expire_all()
    assert service.estimates(session, studio.ctx, studio.model).table == table
    assert session.get(Job, again.id).result == {
        "model_id": studio.model.id,
        "boards": len(BOARDS),
        "measured": len(BOARDS),
        "failed": [],
    }
    assert _estimate_rows(session) == 1


def test_a_board_whose_measurement_fails_keeps_its_plan_bound_with_the_reason(
    session: Session, studio: DeployStudio
) -> None:
    spec, _ = inputs.impulse_spec(session, studio.ctx, studio.model)
    # A board file naming an emulator this installation does not have: nothing can be built for it.
    broken = replace(BOARDS["generic-cortex-m7"], emulator="cortex-m99")
    figures = service.measure_board(spec, broken)
    assert figures["error"].startswith("not measured: ") and "cortex-m99" in figures["error"]
    assert figures["fits"] and figures["measured_on"] is None and figures["latency_ms"] is None


def test_the_training_page_shows_no_estimates_before_the_deploy_page_measured_them(
    session: Session, studio: DeployStudio
) -> None:
    assert training.estimates(studio.model) == {}
