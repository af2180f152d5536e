"""Interrupted training: five SIGKILLs at random points and inside checkpoint writes, then a full
disk, each followed by --resume. No checkpoint on disk is ever unreadable, the run completes with
the right step count, and its final state equals an uninterrupted run's (same seed, fp32, CPU)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from conftest import TINY_ARCH, write_npz_folder

from gan_demo.models.checkpoints import load_state, state_path
from gan_demo.models.pretrained import load_pretrained

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(__file__).with_name("faulty_train.py")
STEPS, BATCH, EVERY = 60, 8, 2
# (fault, file it hits, which of that process's writes of the file)
KILLS = [
    ("random", "", 0),
    ("kill-mid-write", "-faces.json", 2),
    ("kill-before-rename", "-faces.state.safetensors", 1),  # whole, but never renamed
    ("random", "", 0),
    ("kill-mid-write", "-faces.state.safetensors", 2),
]


def train_args(data: Path, out: Path) -> list[str]:
    return [
        "--model", "dcgan", "--data", str(data), "--out", str(out), *TINY_ARCH,
        "--batch-size", str(BATCH), "--max-images", str(STEPS * BATCH), "--checkpoint-every", str(EVERY),
        "--sample-every", "20", "--precision", "fp32", "--seed", "5", "--resume",
    ]  # fmt: skip


def run(args: list[str], fault: tuple[str, str, int] | None = None) -> subprocess.CompletedProcess:
    prefix = [str(WRAPPER), fault[0], fault[1], str(fault[2])] if fault else [str(ROOT / "train.py")]
    return subprocess.run([sys.executable, *prefix, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def kill_at_random(args: list[str], stem: Path, rng: random.Random) -> None:
    """Start the run, wait until it has written a checkpoint past its resumed step, SIGKILL it at a random moment."""
    before = load_state(stem)[1]["step"] if state_path(stem).exists() else -1
    proc = subprocess.Popen([sys.executable, str(ROOT / "train.py"), *args], cwd=ROOT, stderr=subprocess.DEVNULL)
    # a random step in the first third of what is left: a fixed wait after the first checkpoint
    # let a fast CPU finish all 60 steps before the kill, and the next fault then had none to hit
    target = before + 1 + rng.randrange(max(1, (STEPS - before) // 3))
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if state_path(stem).exists() and load_state(stem)[1]["step"] >= target:
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 0.02))  # then anywhere in a step or a write
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def assert_everything_on_disk_is_readable(stem: Path) -> int:
    """Every checkpoint file present loads; returns the resumable step (0 when none yet)."""
    if stem.with_name(stem.name + ".json").exists():
        assert load_pretrained(stem).G is not None
    for png in (stem.parent / "samples").glob("*.png"):
        from PIL import Image

        with Image.open(png) as im:
            im.load()
    return load_state(stem)[1]["step"] if state_path(stem).exists() else 0


def test_five_kills_and_a_full_disk_then_resume_completes_identically(tmp_path):
    data = write_npz_folder(tmp_path / "faces")
    rng = random.Random(0)
    assert run(train_args(data, tmp_path / "full")).returncode == 0
    out = tmp_path / "killed"
    stem = out / "dcgan-faces"
    args = train_args(data, out)
    steps_seen = []
    for fault in KILLS:
        if fault[0] == "random":
            kill_at_random(args, stem, rng)
        else:
            result = run(args, fault)
            assert result.returncode == -signal.SIGKILL, result.stderr
        steps_seen.append(assert_everything_on_disk_is_readable(stem))
    assert steps_seen == sorted(steps_seen) and steps_seen[-1] < STEPS  # progress kept, never lost

    full = run(args, ("disk-full", "-faces.state.safetensors", 1))
    assert full.returncode == 1
    assert "No space left on device" in full.stderr and "free space, then rerun with --resume" in full.stderr
    assert "Traceback" not in full.stderr
    assert assert_everything_on_disk_is_readable(stem) >= steps_seen[-1]

    done = run(args)
    assert done.returncode == 0, done.stderr
    assert load_state(stem)[1]["step"] == STEPS
    assert load_pretrained(stem).meta["training"]["steps"] == STEPS
    assert not list(out.rglob(".*.tmp")), "temporary files were left behind"
    a, b = load_state(tmp_path / "full" / "dcgan-faces")[0], load_state(stem)[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
