"""Factories for deploying image impulses: a project of real handwritten digits (sklearn's, 0, 1 and 7,
tinted RGB) stored as image samples, and an image impulse over them."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from backend.impulses import service as impulses
from backend.impulses.models import Impulse
from backend.impulses.schemas import DspBlockIn, ImpulseCreate, InputBlock, LearnBlockIn
from backend.projects.service import ProjectContext
from tests.backend.impulses.factories import make_sample
from tests.firmware.deploy.image_factories import CLASS_NAMES, digit_frames


def add_digit_images(
    session: Session,
    ctx: ProjectContext,
    *,
    train_per_class: int = 30,
    test_per_class: int = 2,
    size: int = 16,
) -> None:
    """Digit images of ``size`` x ``size`` pixels (the 16x16 frames resized by nearest neighbour), the
    first ``train_per_class`` of each class for training, the next ``test_per_class`` for testing."""
    frames, labels = digit_frames()
    rows = (np.arange(size) * 16) // size
    for k, name in enumerate(CLASS_NAMES):
        chosen = np.flatnonzero(labels == k)[: train_per_class + test_per_class]
        for n, i in enumerate(chosen):
            image = np.ascontiguousarray(frames[i][rows][:, rows])
            category = "training" if n < train_per_class else "testing"
            make_sample(session, ctx.project, image, label=name, category=category, kind="image")
    session.flush()


def save_image_impulse(
    session: Session,
    ctx: ProjectContext,
    *,
    size: int = 16,
    color_depth: str = "grayscale",
    learn_params: dict[str, object] | None = None,
) -> Impulse:
    """Images resized to ``size`` x ``size`` (squash), the image block, a conv2d classifier."""
    design = ImpulseCreate(
        name="Digits",
        input_block=InputBlock(
            type="image", width=size, height=size, resize_mode="squash", color_depth=color_depth
        ),
        dsp_blocks=[DspBlockIn(id="dsp1", type="image", params={})],
        learn_blocks=[
            LearnBlockIn(
                id="learn1",
                type="classifier",
                params={"architecture": "conv2d", **(learn_params or {})},
                inputs=["dsp1"],
            )
        ],
    )
    impulse = impulses.save(session, ctx, design)
    session.flush()
    return impulse
