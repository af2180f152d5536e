"""--lr-schedule cosine: rates that decay to 0 over the run, set again on resume, refused on a run
with no known length."""

from __future__ import annotations

import pytest
import torch
from conftest import TINY_ARCH

import train
from gan_demo.models.checkpoints import load_checkpoint, load_state
from gan_demo.training.schedule import lr_factor

TINY = [*TINY_ARCH, "--batch-size", "4", "--log-every", "1"]


def run(*args: str) -> int:
    return train.main([*args, *TINY])


def test_the_cosine_factor_runs_from_one_to_zero():
    assert [lr_factor("cosine", s, 4) for s in range(5)] == pytest.approx([1, 0.8536, 0.5, 0.1464, 0], abs=1e-4)
    assert lr_factor("constant", 3, 4) == 1.0
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'step'"):
        lr_factor("step", 0, 4)


def test_a_cosine_run_decays_its_rates_and_resumes_to_the_same_weights(digits, tmp_path):
    common = ("--model", "video", "--data", str(digits), "--max-images", "16", "--lr-schedule", "cosine")
    straight, halves, flat = tmp_path / "straight", tmp_path / "halves", tmp_path / "flat"
    assert run(*common, "--out", str(straight)) == 0
    assert run(*common, "--out", str(halves), "--max-minutes", "0") == 0  # stops at its first read-out
    assert run(*common, "--out", str(halves), "--resume") == 0
    assert run(*common[:-2], "--out", str(flat)) == 0
    a, meta = load_checkpoint(straight / "video-digits")
    b, _ = load_checkpoint(halves / "video-digits")
    c, _ = load_checkpoint(flat / "video-digits")
    assert meta["training"]["options"]["hyper"]["lr_schedule"] == "cosine"
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the schedule changed the updates
    _, state = load_state(straight / "video-digits")
    (group,) = state["param_groups"]["P"]
    assert group["initial_lr"] == 1e-3 and group["lr"] == pytest.approx(1e-3 * lr_factor("cosine", 3, 4))


def test_a_cosine_run_needs_a_known_length(digits, tmp_path, capsys):
    assert run("--model", "video", "--data", str(digits), "--out", str(tmp_path), "--max-minutes", "1",
               "--lr-schedule", "cosine") == 1  # fmt: skip
    assert "--lr-schedule cosine decays over the run's steps: give --epochs or --max-images" in capsys.readouterr().err
