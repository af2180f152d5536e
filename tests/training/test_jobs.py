"""Training runs the app starts (gan_demo.training.jobs): train.py in a subprocess, its losses and
grids read back; Cancel keeps what the run learned; one run per server."""

from __future__ import annotations

import time

import pytest

from gan_demo.training.jobs import Busy, Request, Trainer, grid_steps
from tests.conftest import write_npz_folder


def test_cancel_keeps_the_checkpoint_so_far_and_frees_the_slot_and_failures_say_why(tmp_path):
    data = write_npz_folder(tmp_path / "faces")
    trainer = Trainer(tmp_path / "work")
    job = trainer.start(Request("dcgan", data, 5.0, size=32, width=8, batch_size=16), "me", "test")
    with pytest.raises(Busy, match="already running"):
        trainer.start(Request("dcgan", data, 1.0, size=32, width=8, batch_size=16), "you", "test")
    deadline = time.monotonic() + 120
    while not job.snapshot().losses and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not trainer.cancel("you") and job.running  # only its owner cancels a run
    started = time.monotonic()
    assert trainer.cancel("me")
    snap = job.snapshot()
    assert time.monotonic() - started < 30 and not job.running
    assert snap.state == "cancelled" and "kept" in snap.message and snap.checkpoint is not None
    assert snap.losses[0]["step"] > 0 and {"loss_D", "loss_G"} <= set(snap.losses[-1])
    # the slot is free again: a run on a folder with no data fails, with train.py's message and no server path
    failed = trainer.start(Request("dcgan", tmp_path / "nothing", 1, size=32), "you", "x")
    failed.process.wait(120)
    snap = failed.snapshot()
    assert snap.state == "failed" and snap.message and str(tmp_path) not in snap.message


def test_requests_are_bounded(tmp_path):
    with pytest.raises(ValueError, match="minutes must be between"):
        Request("dcgan", tmp_path, 600).checked()
    with pytest.raises(ValueError, match="model kind"):
        Request("classifier", tmp_path, 1).checked()
    assert grid_steps(Request("dcgan", tmp_path, 1)) == 14  # about 20 s of a 64-px DCGAN on 2 cores
