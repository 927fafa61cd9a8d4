"""Impulse business logic: versioned saves, suggestions from the data, readiness checks before a job, and
starting feature generation."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.impulses import dataset, design, repository
from backend.impulses.models import FeatureExplorer, FeatureSet, Impulse
from backend.impulses.schemas import DspBlockIn, ImpulseCreate, InputBlock, LearnBlockIn
from backend.projects.service import ProjectContext
from workers.dsp import BLOCKS, validate_params
from workers.learn.blocks import LEARN_BLOCKS
from workers.pipeline.windowing import WindowLongerThanSample, frames_per_window

if TYPE_CHECKING:
    from backend.data.models import Sample
    from backend.jobs.models import Job

GENERATE_FEATURES_JOB = "generate-features"
# The trainer holds out at least one window per class to validate and needs two to train.
MIN_TRAIN_WINDOWS = 2
# Anomaly blocks fit clusters to the windows; fewer windows than clusters cannot be fitted.
IMAGE_DEFAULT_SIDE = 96


# Reading ----------------------------------------------------------------------------------------


def get_current(session: Session, ctx: ProjectContext) -> Impulse | None:
    """The project's newest impulse version, or None before the first save."""
    return repository.current(session, ctx.project.id)


def get_current_or_raise(session: Session, ctx: ProjectContext) -> Impulse:
    impulse = get_current(session, ctx)
    if impulse is None:
        raise NotFound("This project has no impulse yet: design one on the Impulse design page.")
    return impulse


def get_or_raise(session: Session, ctx: ProjectContext, impulse_id: int) -> Impulse:
    """One version of the project's impulse by id (an id from another project is a 404)."""
    impulse = repository.get_in_project(session, ctx.project.id, impulse_id)
    if impulse is None:
        raise NotFound(f"Impulse {impulse_id} not found.")
    return impulse


def list_versions(
    session: Session, ctx: ProjectContext, *, limit: int = 50, offset: int = 0
) -> tuple[list[Impulse], int]:
    rows = repository.list_versions(session, ctx.project.id, limit=limit, offset=offset)
    return rows, repository.count_versions(session, ctx.project.id)


def feature_sets(session: Session, impulse: Impulse) -> list[tuple[FeatureSet, bool]]:
    """The impulse's cached features, each with whether it still matches its category's data."""
    rows = repository.feature_sets(session, impulse.id)
    current: dict[str, str] = {}
    for row in rows:
        if row.category not in current:
            category = None if row.category == "all" else row.category
            current[row.category] = dataset.fingerprint(
                dataset.samples(session, impulse.project_id, category)
            )
    return [(row, row.fingerprint == current[row.category]) for row in rows]


def get_explorer(
    session: Session, ctx: ProjectContext, impulse: Impulse | None = None
) -> FeatureExplorer | None:
    """The explorer points of the given (default: current) impulse, if features were generated for it."""
    impulse = impulse or get_current(session, ctx)
    return repository.explorer(session, impulse.id) if impulse else None


# Saving -----------------------------------------------------------------------------------------


def training_labels(session: Session, project_id: int) -> list[str]:
    """Class names in a fixed (sorted) order from the enabled, labelled training samples."""
    return sorted({s.label for s in dataset.samples(session, project_id, "training") if s.label})


def save(session: Session, ctx: ProjectContext, design_in: ImpulseCreate) -> Impulse:
    """Validate a design and store it as a new version; an unchanged design returns the current version."""
    input_block, dsp_blocks, learn_blocks = design.validate_design(
        design_in.input_block.as_design(),
        [b.model_dump() for b in design_in.dsp_blocks],
        [b.model_dump() for b in design_in.learn_blocks],
    )
    name = design_in.name.strip()
    if not name:
        raise InvalidInput("Give the impulse a name.", field="name")
    labels = training_labels(session, ctx.project.id)
    current = get_current(session, ctx)
    if current is not None and (
        current.name,
        current.input_block,
        current.dsp_blocks,
        current.learn_blocks,
        current.labels,
    ) == (name, input_block, dsp_blocks, learn_blocks, labels):
        return current
    impulse = Impulse(
        project_id=ctx.project.id,
        version=repository.max_version(session, ctx.project.id) + 1,
        name=name,
        input_block=input_block,
        dsp_blocks=dsp_blocks,
        learn_blocks=learn_blocks,
        labels=labels,
        created_by_id=ctx.principal.user_id,
    )
    try:
        # Two saves at the same moment would both take the next version number; the second one loses.
        with session.begin_nested():
            session.add(impulse)
    except IntegrityError as exc:
        raise Conflict(
            "The impulse was saved by someone else at the same moment; reload and try again."
        ) from exc
    audit.record(
        session,
        ctx.principal,
        "impulse.save",
        project_id=ctx.project.id,
        impulse_id=impulse.id,
        version=impulse.version,
    )
    return impulse


# Suggestion -------------------------------------------------------------------------------------


def _nice_ms(value: float) -> int:
    """Round a duration down to a value people type: 10 ms steps below 1 s, 100 ms steps above."""
    step = 100 if value >= 1000 else 10
    return max(step, int(value // step) * step) if value >= step else max(1, int(value))


def _suggest_window(rows: list[Sample], kind: str) -> tuple[int, int]:
    durations = sorted(dataset.duration_ms(s) for s in rows)
    # The 10th percentile: nine samples in ten hold at least one full window.
    short = durations[len(durations) // 10]
    if kind == "audio":
        window = _nice_ms(min(short, 1000.0))
        return window, _nice_ms(window / 2)
    # Short recordings (gestures, keywords) are one event each; long ones hold several windows.
    window = _nice_ms(short) if short <= 2000 else _nice_ms(min(max(short / 5, 2000.0), 10000.0))
    return window, _nice_ms(window / 4)


def _largest_fft(frames: int, options: tuple[Any, ...]) -> int:
    fitting = [n for n in options if n <= frames]
    return max(fitting) if fitting else min(options)


def _suggest_dsp(kind: str, frames: int, frequency: float) -> DspBlockIn:
    if kind == "image":
        return DspBlockIn(id="dsp1", type="image", params={})
    if kind == "audio":
        return DspBlockIn(id="dsp1", type="mfcc", params={})
    fft_options = next(p.options for p in BLOCKS["spectral"].parameters if p.name == "fft_length")
    fft = _largest_fft(frames, fft_options)
    peaks = min(3, fft // 2)
    return DspBlockIn(id="dsp1", type="spectral", params={"fft_length": fft, "peaks_count": peaks})


def _suggest_learn(labels: list[str]) -> LearnBlockIn:
    # One label cannot be told apart from anything: learn what normal looks like instead.
    if len(labels) == 1:
        return LearnBlockIn(id="learn1", type="anomaly-kmeans", params={}, inputs=["dsp1"])
    return LearnBlockIn(id="learn1", type="classifier", params={}, inputs=["dsp1"])


def suggest(session: Session, ctx: ProjectContext) -> ImpulseCreate:
    """A design that fits the project's training data: window, frequency and blocks chosen from it."""
    rows = dataset.samples(session, ctx.project.id, "training") or dataset.samples(
        session, ctx.project.id, None
    )
    if not rows:
        raise InvalidInput("Add training data first: the suggested impulse is chosen from it.")
    kind = Counter(s.kind for s in rows).most_common(1)[0][0]
    rows = [s for s in rows if s.kind == kind]
    labels = sorted({s.label for s in rows if s.label})
    if kind == "image":
        side = int(statistics.median(max(s.frames, s.width) for s in rows))
        channels = Counter(s.axes for s in rows).most_common(1)[0][0]
        size = min(IMAGE_DEFAULT_SIDE, max(side, 1))
        input_block = InputBlock(
            type="image",
            width=size,
            height=size,
            resize_mode="squash",
            color_depth="grayscale" if channels == 1 else "rgb",
        )
        return ImpulseCreate(
            name="Impulse",
            input_block=input_block,
            dsp_blocks=[_suggest_dsp(kind, 0, 0.0)],
            learn_blocks=[_suggest_learn(labels)],
        )
    interval = statistics.median(s.interval_ms for s in rows if s.interval_ms > 0)
    frequency = round(1000.0 / interval, 3)
    frequency = int(frequency) if float(frequency).is_integer() else frequency
    sensors = Counter(tuple(dataset.sensor_names(s)) for s in rows).most_common(1)[0][0]
    axes = list(sensors[:1]) if kind == "audio" else list(sensors)
    window, stride = _suggest_window(rows, kind)
    frames = frames_per_window(window, frequency)
    return ImpulseCreate(
        name="Impulse",
        input_block=InputBlock(
            type=kind,
            window_ms=window,
            stride_ms=stride,
            frequency_hz=frequency,
            zero_pad=True,
            axes=axes,
        ),
        dsp_blocks=[_suggest_dsp(kind, frames, frequency)],
        learn_blocks=[_suggest_learn(labels)],
    )


# Readiness --------------------------------------------------------------------------------------


def _list(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _learn_kinds(impulse: Impulse) -> set[str]:
    return {LEARN_BLOCKS[b["type"]].kind for b in impulse.learn_blocks if b["type"] in LEARN_BLOCKS}


def _check_block_versions(impulse: Impulse) -> None:
    for block in impulse.dsp_blocks:
        current = BLOCKS[block["type"]].version if block["type"] in BLOCKS else None
        if current != block.get("version"):
            raise InvalidInput(
                f"Processing block {block['id']} was designed with {block['type']} version "
                f"{block.get('version')}, but this studio implements version {current}; "
                "save the impulse again to use the current one.",
                field=f"dsp_blocks.{block['id']}.type",
            )


def _min_train_windows(impulse: Impulse) -> int:
    """Windows a class needs: two to train, plus those held out to validate."""
    split = max(
        (
            float(b["params"].get("validation_split", 0.0))
            for b in impulse.learn_blocks
            if LEARN_BLOCKS.get(b["type"]) and LEARN_BLOCKS[b["type"]].kind == "classifier"
        ),
        default=0.0,
    )
    return MIN_TRAIN_WINDOWS + (1 if split > 0 else 0)


def check_ready(
    session: Session, ctx: ProjectContext, impulse: Impulse, category: str = "training"
) -> dict[str, int]:
    """Refuse with a clear ``InvalidInput`` what would make a job on ``category`` fail; returns windows
    per label when the data fits the impulse.

    Checked from the samples' metadata alone (no values are read), so it runs in the request before any
    job is queued.
    """
    _check_block_versions(impulse)
    rows = dataset.samples(session, ctx.project.id, category)
    if not rows:
        raise InvalidInput(f"There are no enabled {category} samples.", field="category")
    block = impulse.input_block
    wrong_kind = [
        s for s in rows if s.kind != block["type"] and not {s.kind, block["type"]} <= {"timeseries", "audio"}
    ]
    if wrong_kind:
        raise InvalidInput(
            f"{len(wrong_kind)} {category} samples are {wrong_kind[0].kind} data but the impulse takes "
            f"{block['type']} input (first: sample {wrong_kind[0].id}, {wrong_kind[0].name}).",
            field="input_block.type",
        )
    if block["type"] != "image":
        mismatched = [s for s in rows if dataset.missing_axes(s, block["axes"])]
        if mismatched:
            first = mismatched[0]
            raise InvalidInput(
                f"{len(mismatched)} {category} samples do not have the impulse's axes "
                f"({', '.join(block['axes'])}): sample {first.id} ({first.name}) has "
                f"{', '.join(dataset.sensor_names(first)) or 'no named sensors'}. "
                "Choose the axes your data has, or fix the samples.",
                field="input_block.axes",
            )
    per_label: Counter[str] = Counter()
    for s in rows:
        per_label[s.label or ""] += dataset.window_count(s, block)
    if sum(per_label.values()) == 0:
        longest = max(dataset.duration_ms(s) for s in rows)
        raise InvalidInput(
            f"The window ({block['window_ms']} ms) is longer than every {category} sample "
            f"(the longest is {longest:g} ms). Shorten the window or enable zero padding.",
            field="input_block.window_ms",
        )
    kinds = _learn_kinds(impulse)
    labelled = {label: n for label, n in per_label.items() if label and n > 0}
    if "classifier" in kinds:
        if category == "training":
            if len(labelled) < 2:
                raise InvalidInput(
                    f"Classification needs at least 2 labelled classes with data; the training set has "
                    f"{len(labelled)} ({_list(sorted(labelled)) or 'none'}).",
                    field="labels",
                )
            need = _min_train_windows(impulse)
            few = sorted(label for label, n in labelled.items() if n < need)
            if few:
                raise InvalidInput(
                    f"Too few windows to train: {_list([f'{x} ({labelled[x]})' for x in few])}; "
                    f"each class needs at least {need}. Add data or shorten the window increase.",
                    field="labels",
                )
        else:
            unknown = sorted(label for label in labelled if label not in impulse.labels)
            if unknown:
                raise InvalidInput(
                    f"Labels in {category} but not in the training data the impulse was saved with: "
                    f"{_list(unknown)}. The model cannot predict them: add them to training (and save "
                    "the impulse again) or relabel those samples.",
                    field="labels",
                )
    if "regression" in kinds:
        # Every labelled sample counts (even one shorter than a window), so the first one is named.
        wrong = [s for s in rows if s.label and not _is_number(s.label)]
        if wrong:
            first = wrong[0]
            raise InvalidInput(
                f"Regression needs numeric labels; {len(wrong)} {category} samples are labelled with "
                f"something else: {_list(sorted({s.label or '' for s in wrong}))} (first: sample "
                f"{first.id}, {first.name}, labelled {first.label!r}). Label each sample with its value.",
                field="labels",
            )
    if "anomaly" in kinds and category == "training":
        total = sum(per_label.values())
        clusters = max(
            int(b["params"].get("n_clusters", b["params"].get("n_components", 1)))
            for b in impulse.learn_blocks
            if LEARN_BLOCKS.get(b["type"]) and LEARN_BLOCKS[b["type"]].kind == "anomaly"
        )
        if total < clusters:
            raise InvalidInput(
                f"Anomaly detection fits {clusters} clusters but the training set gives only {total} windows.",
                field="labels",
            )
    return dict(per_label)


def _is_number(text: str) -> bool:
    """A finite number: "nan" and "inf" parse as floats but cannot be regression targets."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# Feature generation -----------------------------------------------------------------------------


def start_feature_generation(session: Session, ctx: ProjectContext) -> Job:
    """Check the current impulse against the training data, then queue the generate-features job."""
    from backend.jobs import service as jobs

    impulse = get_current_or_raise(session, ctx)
    check_ready(session, ctx, impulse, "training")
    return jobs.start(session, ctx, GENERATE_FEATURES_JOB, {"impulse_id": impulse.id})


def project_sensors(session: Session, ctx: ProjectContext) -> list[str]:
    """Sensor names found in the project's data, most common first (the axis choices of the form)."""
    counts: Counter[str] = Counter()
    for s in dataset.samples(session, ctx.project.id, None):
        counts.update(dataset.sensor_names(s))
    return [name for name, _ in counts.most_common()]


def block_defaults(kind: str, block_type: str) -> dict[str, Any]:
    """Default parameters of a block, for a freshly added block in the form."""
    if kind == "dsp":
        return validate_params(block_type, {})
    return LEARN_BLOCKS[block_type].validate_params({})


# Processing-block preview -----------------------------------------------------------------------


@dataclass
class BlockPreview:
    """One processing block applied to one window of one sample, for the block's page."""

    impulse: Impulse
    block: dict[str, Any]
    samples: list[Sample]
    sample: Sample | None = None
    window_index: int = 0
    window_count: int = 0
    window: np.ndarray | None = None
    features: np.ndarray | None = None
    feature_shape: tuple[int, ...] = ()
    feature_names: list[str] | None = None


def _named_features(impulse: Impulse, block: dict[str, Any]) -> list[str] | None:
    declared = BLOCKS[block["type"]].feature_names
    if declared is None or impulse.input_block["type"] == "image":
        return None
    frames, axes_count = design.window_input_shape(impulse.input_block)
    names = declared(frames, axes_count, float(impulse.input_block["frequency_hz"]), **block["params"])
    axes = impulse.input_block["axes"]
    # The blocks number axes; the user knows them by their sensor names.
    return [re.sub(r"^axis(\d+) ", lambda m: f"{axes[int(m.group(1))]} ", n) for n in names]


def preview_block(
    session: Session, ctx: ProjectContext, dsp_id: str, sample_id: int | None = None, window: int = 0
) -> BlockPreview:
    """Features of processing block ``dsp_id`` of the current impulse for one window of a sample."""
    from backend.impulses import features

    impulse = get_current_or_raise(session, ctx)
    block = next((b for b in impulse.dsp_blocks if b["id"] == dsp_id), None)
    if block is None:
        raise NotFound(f"The current impulse has no processing block {dsp_id}.")
    kind = impulse.input_block["type"]
    usable = [
        s
        for s in dataset.samples(session, ctx.project.id, None)
        if (s.kind == "image") == (kind == "image")
        and (kind == "image" or not dataset.missing_axes(s, impulse.input_block["axes"]))
    ]
    preview = BlockPreview(impulse=impulse, block=block, samples=usable)
    if not usable:
        return preview
    sample = next((s for s in usable if s.id == sample_id), None) if sample_id is not None else usable[0]
    if sample is None:
        raise NotFound(f"Sample {sample_id} is not usable with this impulse.")
    values = dataset.values_for(sample, impulse.input_block)
    try:
        batch = features.block_windows(impulse, values, sample.interval_ms)
    except WindowLongerThanSample as exc:
        raise InvalidInput(
            f"Sample {sample.id} is shorter than one window: {exc}.", field="sample_id"
        ) from exc
    index = min(max(window, 0), batch.shape[0] - 1)
    preview.sample = sample
    preview.window_index = index
    preview.window_count = int(batch.shape[0])
    preview.window = batch[index]
    preview.features = features.features_of_windows(impulse, batch[index : index + 1], dsp_ids=[dsp_id])[0][0]
    preview.feature_shape = features.feature_shape(impulse, [dsp_id])
    preview.feature_names = _named_features(impulse, block)
    return preview
