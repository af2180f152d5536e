"""train.py end to end on tiny data: every model kind, resume after SIGKILL, NaN guard, torchrun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import TINY_ARCH

import train
from gan_demo.models import kinds
from gan_demo.models.checkpoints import load_checkpoint, load_state, state_path
from gan_demo.training.objectives import DCGAN

ROOT = Path(__file__).resolve().parents[2]
TINY = [*TINY_ARCH, "--batch-size", "8", "--log-every", "2"]


def run_train(*args: str) -> int:
    return train.main([*args, *TINY])


@pytest.mark.parametrize("kind", ["dcgan", "aegan", "ae", "vae", "classifier"])
def test_each_kind_trains_and_writes_a_loadable_checkpoint(kind, faces, tmp_path):
    out = tmp_path / "out"
    assert (
        run_train(
            "--model",
            kind,
            "--data",
            str(faces),
            "--out",
            str(out),
            "--max-images",
            "48",
            "--holdout",
            "16",
            "--sample-every",
            "3",
        )
        == 0
    )
    tensors, meta = load_checkpoint(out / f"{kind}-faces")
    assert meta["kind"] == kind and meta["arch"]["size"] == 32
    assert meta["training"]["steps"] == 6 and meta["training"]["images_seen"] == 48
    assert meta["data"]["train_images"] == 80 and meta["data"]["holdout_first"] == "000081.jpg"
    assert "train.py" in meta["training"]["command"] and meta["software"]["torch"] == torch.__version__
    assert all(torch.isfinite(v.float()).all() for v in tensors.values())
    prefixes = {k.split(".")[0] for k in tensors}
    assert (
        prefixes
        == {"dcgan": {"G"}, "aegan": {"G", "E"}, "ae": {"G", "E"}, "vae": {"G", "E"}, "classifier": {"C"}}[kind]
    )
    assert all(v.dtype == torch.float16 for v in tensors.values() if v.is_floating_point())
    if kind != "classifier":
        assert sorted(p.name for p in (out / "samples").iterdir())[-1] == f"{kind}-faces-0000006.png"
    if kind == "classifier":
        assert meta["labels"] == {"kind": "attributes", "names": ["Eyeglasses", "Male", "Smiling"]}
        assert set(meta["training"]["final_losses"]) == {"loss", "acc"}


def test_digits_classifier_and_gan(digits, tmp_path):
    for kind in ("classifier", "dcgan"):
        assert run_train("--model", kind, "--data", str(digits), "--out", str(tmp_path), "--max-images", "32") == 0
        _, meta = load_checkpoint(tmp_path / f"{kind}-digits")
        assert meta["arch"]["channels"] == 1
        assert meta["training"]["options"]["flip"] is False  # digits are not mirror-symmetric


def test_classifier_needs_labels(tmp_path, capsys):
    from conftest import write_npz_folder

    data = write_npz_folder(tmp_path / "nolabels", attributes=False)
    assert (
        run_train("--model", "classifier", "--data", str(data), "--out", str(tmp_path / "o"), "--max-images", "8") == 1
    )
    assert "needs labels" in capsys.readouterr().err


def test_clear_errors_for_bad_paths_and_existing_runs(faces, tmp_path, capsys):
    assert run_train("--model", "dcgan", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o")) == 1
    assert "does not exist" in capsys.readouterr().err
    args = ("--model", "dcgan", "--data", str(faces), "--out", str(tmp_path / "o"), "--max-images", "16")
    assert run_train(*args) == 0
    assert run_train(*args) == 1
    assert "pass --resume" in capsys.readouterr().err


def _state_tensors(stem: Path) -> dict[str, torch.Tensor]:
    return load_state(stem)[0]


def test_resume_after_sigkill_matches_an_uninterrupted_run(faces, tmp_path):
    common = [
        "--model",
        "dcgan",
        "--data",
        str(faces),
        "--max-images",
        "1600",
        "--precision",
        "fp32",
        "--checkpoint-every",
        "10",
        "--seed",
        "3",
        *TINY,
    ]
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert train.main([*common, "--out", str(full)]) == 0

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), *common, "--out", str(killed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stem = killed / "dcgan-faces"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if state_path(stem).exists() and load_state(stem)[1]["step"] >= 20:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_state(stem)[1]["step"]  # the checkpoint on disk is whole and readable
    assert 20 <= killed_at < 200

    assert train.main([*common, "--out", str(killed), "--resume"]) == 0
    a, b = _state_tensors(full / "dcgan-faces"), _state_tensors(stem)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:5]
    assert load_state(stem)[1]["step"] == 200
    assert not list(killed.glob(".*.tmp")), "a temporary file was left behind"


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(faces, tmp_path, monkeypatch, capsys):
    real_step = DCGAN.step
    calls = {"n": 0}

    def step_that_goes_nan(self, x, labels, gen):
        calls["n"] += 1
        losses = real_step(self, x, labels, gen)
        if calls["n"] >= 7:
            losses["loss_G"] = losses["loss_G"] * float("nan")
        return losses

    monkeypatch.setattr(DCGAN, "step", step_that_goes_nan)
    out = tmp_path / "nan"
    code = run_train(
        "--model", "dcgan", "--data", str(faces), "--out", str(out), "--max-images", "160", "--checkpoint-every", "4"
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "loss_G became nan by step 8" in err and "last good checkpoint" in err
    assert load_state(out / "dcgan-faces")[1]["step"] == 4
    _, meta = load_checkpoint(out / "dcgan-faces")
    assert meta["training"]["steps"] == 4


def test_torchrun_two_processes_gloo(faces, tmp_path):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(ROOT / "train.py"),
        "--model",
        "aegan",
        "--data",
        str(faces),
        "--out",
        str(out),
        "--max-images",
        "64",
        *TINY,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    assert files == [
        "aegan-faces.json",
        "aegan-faces.losses.jsonl",
        "aegan-faces.safetensors",
        "aegan-faces.state.safetensors",
    ]
    logged = [json.loads(line)["step"] for line in (out / "aegan-faces.losses.jsonl").read_text().splitlines()]
    assert logged == sorted(set(logged)) and logged[-1] == 4  # once per read-out, by rank 0 alone
    meta = json.loads((out / "aegan-faces.json").read_text())
    assert meta["hardware"]["processes"] == 2 and meta["training"]["images_seen"] == 64
    assert meta["training"]["steps"] == 4  # 64 images / (8 per process x 2 processes)


def refit(generator: Path, data: Path, out: Path, *extra: str) -> int:
    return run_train(
        "--model", "encoder", "--generator", str(generator), "--data", str(data), "--out", str(out),
        "--precision", "fp32", *extra,
    )  # fmt: skip


@pytest.fixture
def invertible(tiny_models, tmp_path) -> tuple[Path, Path]:
    """The tiny AE+GAN with its generator's weights scaled up (a few training steps leave its
    output almost constant), and a folder of that generator's own images, which an encoder can
    learn to invert exactly."""
    import numpy as np

    from gan_demo.data.datasets import to_uint8
    from gan_demo.models.checkpoints import save_checkpoint
    from gan_demo.models.pretrained import load_pretrained

    tensors, meta = load_checkpoint(tiny_models["aegan"])
    tensors = {k: (v.float() * 10).half() if k.startswith("G.") and v.dim() == 4 else v for k, v in tensors.items()}
    stem = tmp_path / "source" / "aegan-faces"
    stem.parent.mkdir()
    save_checkpoint(stem, tensors, meta)
    images = load_pretrained(stem).generate(torch.randn(96, 16, generator=torch.Generator().manual_seed(1)))
    data = tmp_path / "generated"
    data.mkdir()
    names = np.array([f"{i + 1:06d}.jpg" for i in range(96)])
    np.savez(data / "images_00.npz", images=to_uint8(images).permute(0, 2, 3, 1).numpy(), filenames=names)
    return stem, data


def test_encoder_refit_keeps_the_generator_and_learns_to_invert_it(invertible, tmp_path):
    from gan_demo.data.datasets import load_images, to_float
    from gan_demo.models.pretrained import load_pretrained

    stem, data = invertible
    out = tmp_path / "out"
    # a light MMD weight: the tiny runs' batches of 8 make the MMD estimate noisy
    assert (
        refit(stem, data, out, "--max-images", "400", "--lr", "1e-3", "--prior-weight", "0.1", "--sample-every", "25")
        == 0
    )
    before, after = load_pretrained(stem), load_pretrained(out / "aegan-faces")
    assert after.kind == "aegan" and after.arch == before.arch
    assert all(torch.equal(a, b) for a, b in zip(before.G.state_dict().values(), after.G.state_dict().values()))
    x = to_float(load_images(data).images)
    errors = [float((m.generate(m.encode(x)) - x).pow(2).mean()) for m in (before, after)]
    assert errors[1] < 0.7 * errors[0], errors  # measured: 0.40 -> 0.22
    meta = after.meta
    assert meta["generator"]["checkpoint"] == "aegan-faces"
    assert "--model aegan" in meta["generator"]["training"]["command"]
    assert "--model encoder" in meta["training"]["command"] and meta["training"]["images_seen"] == 400
    assert set(meta["training"]["final_losses"]) == {"rec", "prior"}
    assert meta["training"]["options"]["hyper"]["prior_weight"] == 0.1
    assert (out / "samples" / "aegan-faces-0000025.png").exists()  # photos above their reconstructions


def test_an_encoder_fitted_to_a_dcgan_makes_an_aegan_with_its_generator(tiny_models, tmp_path):
    from gan_demo.models.pretrained import load_pretrained

    source = tiny_models["dcgan"]
    assert refit(source, tiny_models["data"], tmp_path, "--max-images", "32") == 0
    dcgan, fitted = load_pretrained(source), load_pretrained(tmp_path / "aegan-faces")  # named for its kind
    assert dcgan.E is None and fitted.kind == "aegan" and fitted.E is not None and fitted.arch == dcgan.arch
    assert all(torch.equal(a, b) for a, b in zip(dcgan.G.state_dict().values(), fitted.G.state_dict().values()))
    z = torch.randn(4, dcgan.arch.z_dim, generator=torch.Generator().manual_seed(0))
    assert torch.equal(dcgan.generate(z), fitted.generate(z))  # the DCGAN's samples, bit for bit
    assert fitted.encode(fitted.generate(z)).shape == z.shape
    generator_stage = fitted.meta["generator"]
    assert generator_stage["checkpoint"] == "dcgan-faces" and "--model dcgan" in generator_stage["training"]["command"]


def test_encoder_refit_resumes_to_the_same_weights(tiny_models, tmp_path):
    args = (tiny_models["aegan"], tiny_models["data"])
    assert refit(*args, tmp_path / "once", "--max-images", "64") == 0
    assert refit(*args, tmp_path / "split", "--max-images", "32") == 0
    assert refit(*args, tmp_path / "split", "--max-images", "64", "--resume") == 0
    for state in ("once", "split"):  # fp32 encoder and Adam moments, not only the fp16 inference copy
        assert load_state(tmp_path / state / "aegan-faces")[1]["step"] == 8
    state_once, state_split = (load_state(tmp_path / d / "aegan-faces")[0] for d in ("once", "split"))
    assert all(torch.equal(state_once[k], state_split[k]) for k in state_once)
    once, meta = load_checkpoint(tmp_path / "once" / "aegan-faces")
    assert meta["training"]["options"]["hyper"]["prior_weight"] == kinds.get("encoder").defaults["prior_weight"]
    split, _ = load_checkpoint(tmp_path / "split" / "aegan-faces")
    assert once.keys() == split.keys() and all(torch.equal(once[k], split[k]) for k in once)


def test_encoder_refit_errors(tiny_models, faces, tmp_path, capsys):
    data = ["--data", str(faces), "--out", str(tmp_path), "--max-images", "8"]
    assert run_train("--model", "encoder", *data) == 1
    assert "pass --generator CHECKPOINT" in capsys.readouterr().err
    assert run_train("--model", "encoder", "--generator", str(tiny_models["classifier"]), *data) == 1
    assert "fits an encoder to a GAN's generator (dcgan or aegan), found a classifier" in capsys.readouterr().err
    assert run_train("--model", "encoder", "--generator", str(tmp_path / "missing"), *data) == 1
    assert "missing.json: missing" in capsys.readouterr().err
    assert run_train("--model", "dcgan", "--generator", str(tiny_models["aegan"]), *data) == 1
    assert "--generator is for --model encoder or video-gan only" in capsys.readouterr().err
    source = tiny_models["aegan"]
    assert run_train("--model", "encoder", "--generator", str(source), *data[:2], "--out", str(source.parent)) == 1
    assert "would overwrite the --generator checkpoint" in capsys.readouterr().err
    assert train.main(["--model", "encoder", "--generator", str(source), *data, *TINY, "--batch-size", "1"]) == 1
    assert "--batch-size 2 or more" in capsys.readouterr().err


def test_a_refit_of_a_refit_still_names_the_generator_run(tiny_models, tmp_path):
    args = (tiny_models["data"], "--max-images", "16")
    assert refit(tiny_models["aegan"], args[0], tmp_path / "first", *args[1:]) == 0
    assert refit(tmp_path / "first" / "aegan-faces", args[0], tmp_path / "second", *args[1:]) == 0
    _, meta = load_checkpoint(tmp_path / "second" / "aegan-faces")
    assert "--model aegan" in meta["generator"]["training"]["command"]
    assert meta["training"]["options"]["hyper"]["beta1"] == 0.9 and meta["training"]["options"]["hyper"]["ema"] == 0


def test_mmd_to_prior_tells_prior_draws_from_shifted_or_shrunk_codes():
    from gan_demo.training.objectives import mmd_to_prior

    gen = torch.Generator().manual_seed(0)
    prior = torch.randn(256, 16, generator=gen)
    same = mmd_to_prior(prior, gen)
    shifted = mmd_to_prior(prior + 1, gen)
    shrunk = mmd_to_prior(prior * 0.5, gen)
    assert abs(float(same)) < 0.02 and float(shifted) > 10 * abs(float(same)) and float(shrunk) > 10 * abs(float(same))
    code = (prior + 1).requires_grad_(True)
    mmd_to_prior(code, gen).backward()
    assert (code.grad.mean(0) > 0).all()  # descending the gradient moves the codes back towards 0


def test_a_time_budget_on_a_cpu_trains_the_budget_recipe_for_that_long(faces, tmp_path):
    """--max-minutes alone on a CPU: a width-32 DCGAN (the cpu-budget recipe) that trains until the
    budget ends, not 20 epochs; an option given explicitly wins over the recipe."""
    common = ["--model", "dcgan", "--data", str(faces), "--holdout", "16", "--size", "32", "--device", "cpu"]
    common += ["--batch-size", "8", "--log-every", "2", "--no-progress", "--sample-every", "1000000"]
    assert train.main([*common, "--out", str(tmp_path / "a"), "--max-minutes", "0.05"]) == 0
    _, meta = load_checkpoint(tmp_path / "a" / "dcgan-faces")
    assert meta["arch"]["width"] == 32 and meta["training"]["options"]["recipe"] == "cpu-budget"
    assert meta["training"]["wall_time_s"] >= 3  # the budget, not the 20 epochs' 200 steps, ended it
    assert train.main([*common, "--out", str(tmp_path / "b"), "--max-minutes", "0", "--width", "8"]) == 0
    _, meta = load_checkpoint(tmp_path / "b" / "dcgan-faces")
    assert meta["arch"]["width"] == 8 and meta["training"]["options"]["recipe"] == "cpu-budget"
    assert train.main([*common, "--out", str(tmp_path / "c"), "--max-images", "16", "--recipe", "course"]) == 0
    _, meta = load_checkpoint(tmp_path / "c" / "dcgan-faces")
    assert meta["arch"]["width"] == 64 and meta["training"]["options"]["recipe"] == "course"
