"""FID during training (train.py --fid-every): the same figure as `evaluate`, kept across resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY_ARCH

import train
from gan_demo.cli import main as gan_demo_main
from gan_demo.domain import DIGITS, FACES
from gan_demo.models.nets import ArchConfig
from gan_demo.models.pretrained import find_classifier, load_pretrained

ROOT = Path(__file__).resolve().parents[2]
# 8 steps of 8 images, 16 held out; fp32 weights so evaluate reads exactly what training measured
TINY = [*TINY_ARCH, "--batch-size", "8", "--holdout", "16", "--fid-n", "16", "--weights-dtype", "fp32"]


def run(tiny_models, out, *extra: str) -> int:
    data, classifier = str(tiny_models["data"]), str(tiny_models["classifier"])
    return train.main(
        ["--model", "dcgan", "--data", data, "--out", str(out), "--fid-classifier", classifier, *TINY, *extra]
    )


def fid_report(stem) -> dict:
    return json.loads(stem.with_suffix(".json").read_text())["training"]["fid"]


def test_fid_is_tracked_kept_best_and_matches_evaluate(tiny_models, tmp_path, capsys):
    assert run(tiny_models, tmp_path, "--max-images", "64", "--fid-every", "3", "--keep-best") == 0
    report = fid_report(tmp_path / "dcgan-faces")
    assert [step for step, _ in report["history"]] == [3, 6, 8]  # and always the last step
    assert report["photos"] == "the first 16 held-out images" and report["classifier"] == "classifier-faces"
    best_step, best_fid = min(report["history"], key=lambda point: point[1])
    assert report["best"] == {"step": best_step, "fid": best_fid}
    best = load_pretrained(tmp_path / "dcgan-faces-best")
    assert best.meta["training"]["steps"] == best_step

    capsys.readouterr()
    args = ["evaluate", "--checkpoint", str(tmp_path / "dcgan-faces"), "--data", str(tiny_models["data"])]
    classifier = ["--classifier", str(tiny_models["classifier"]), "--holdout", "16", "--n", "16"]
    assert gan_demo_main([*args, *classifier, "--metrics", "fid"]) == 0
    evaluated = json.loads(capsys.readouterr().out)["sample_fid_classifier_features"]
    assert evaluated == pytest.approx(report["history"][-1][1], abs=2e-3)


def test_a_resumed_run_keeps_its_fid_history_and_best(tiny_models, tmp_path, caplog):
    assert run(tiny_models, tmp_path, "--max-images", "32", "--fid-every", "2", "--keep-best") == 0
    assert run(tiny_models, tmp_path, "--max-images", "64", "--fid-every", "2", "--keep-best", "--resume") == 0
    report = fid_report(tmp_path / "dcgan-faces")
    assert [step for step, _ in report["history"]] == [2, 4, 6, 8]
    best = fid_report(tmp_path / "dcgan-faces-best")
    assert best["history"][-1] == [report["best"]["step"], report["best"]["fid"]]  # the best over both runs

    # measured otherwise (8 samples, not 16): the old figures are not comparable, so they go
    assert run(tiny_models, tmp_path, "--max-images", "80", "--fid-every", "2", "--fid-n", "8", "--resume") == 0
    assert [step for step, _ in fid_report(tmp_path / "dcgan-faces")["history"]] == [10]
    assert "FID history of" in caplog.text and "dropped" in caplog.text


def test_fid_errors_are_clear(tiny_models, digits, tmp_path, capsys):
    assert run(tiny_models, tmp_path, "--keep-best") == 1
    assert "--keep-best keeps the checkpoint with the best FID: it needs --fid-every" in capsys.readouterr().err
    data, classifier = str(tiny_models["data"]), str(tiny_models["classifier"])
    common = ["--data", data, "--out", str(tmp_path), "--fid-every", "2", *TINY]
    assert train.main(["--model", "classifier", *common, "--fid-classifier", classifier]) == 1
    assert "--model classifier has none" in capsys.readouterr().err
    refit = ["--model", "encoder", "--generator", str(tiny_models["aegan"]), "--fid-classifier", classifier]
    assert train.main([*refit, *common]) == 1
    assert "keeps its generator frozen, so its FID cannot change" in capsys.readouterr().err
    assert train.main(["--model", "dcgan", *common, "--fid-classifier", str(tiny_models["dcgan"])]) == 1
    assert "FID needs an attribute or digit classifier, found a dcgan" in capsys.readouterr().err
    assert train.main(["--model", "dcgan", *common, "--fid-classifier", str(tmp_path / "nothing")]) == 1
    assert "nothing" in capsys.readouterr().err
    digit_run = ["--model", "dcgan", "--data", str(digits), "--out", str(tmp_path), "--fid-every", "2", *TINY]
    assert train.main([*digit_run, "--fid-classifier", classifier]) == 1
    assert "cannot judge this model's 1x32x32 samples" in capsys.readouterr().err
    assert train.main(["--model", "dcgan", *common, "--fid-every", "-1", "--fid-classifier", classifier]) == 1
    assert "--fid-every must be >= 0" in capsys.readouterr().err


def test_the_shipped_classifier_is_the_default_for_its_image_shape():
    faces, digits = ArchConfig(channels=3, size=64), ArchConfig(channels=1, size=32)
    assert str(find_classifier(faces, FACES)).endswith("checkpoints/classifier-celeba64")
    assert str(find_classifier(digits, DIGITS)).endswith("checkpoints/classifier-mnist")
    assert find_classifier(ArchConfig(channels=3, size=32), FACES) is None
    assert find_classifier(digits, FACES) is None  # digit classes are not face attributes


def test_fid_with_two_torchrun_processes(tiny_models, tmp_path):
    """Rank 0 alone measures; a measurement step between log steps must not hang the other rank."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(ROOT / "train.py")]
    args = ["--model", "dcgan", "--data", str(tiny_models["data"]), "--out", str(tmp_path), "--max-images", "64"]
    fid = ["--fid-every", "3", "--fid-classifier", str(tiny_models["classifier"])]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*cmd, *args, *fid, *TINY], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [step for step, _ in fid_report(tmp_path / "dcgan-faces")["history"]] == [3, 4]
