"""The training step recorded as a CUDA graph: the same training as the eager loop, step for step.

The CUDA tests need a GPU (they passed on an H200, README: Training); on a CPU the recording is never
used, and what it relies on (the optimizer flags on resume) is tested here; the EMA in test_ema.py.
"""

from __future__ import annotations

import json
import logging

import pytest
import torch
from conftest import TINY_ARCH

import train
from gan_demo.data.datasets import load_images
from gan_demo.models.checkpoints import optimizer_from_tensors, optimizer_to_tensors
from gan_demo.models.nets import ArchConfig
from gan_demo.training.config import Hyper, RunConfig
from gan_demo.training.loop import Trainer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="records CUDA graphs: needs a GPU")
ARCH = ArchConfig(channels=3, size=32, width=8, z_dim=16, enc_width=8)


def trainer(data, tmp_path, kind="dcgan", device="cpu", steps=12, graphs=True, **hyper) -> Trainer:
    cfg = RunConfig(
        kind=kind,
        out=str(tmp_path),
        name=f"{kind}-{graphs}",
        arch=ARCH,
        hyper=Hyper(**hyper),
        batch_size=8,
        max_images=steps * 8,
        precision="fp32",
        seed=5,
        log_every=4,
        sample_every=10**9,
        checkpoint_every=10**9,
        progress=False,
        cuda_graphs=graphs,
    )
    return Trainer(cfg, data, torch.device(device))


def weights(t: Trainer) -> dict[str, torch.Tensor]:
    return {
        f"{n}.{k}": v.detach().float().cpu()
        for n, m in t.obj.state_modules().items()
        for k, v in m.state_dict().items()
    }


@pytest.fixture
def exact_fp32(monkeypatch):
    """Full fp32 convolutions and products (no TF32), so eager and recorded runs agree closely."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)


def test_cpu_runs_are_never_recorded(faces, tmp_path):
    t = trainer(load_images(str(faces), size=32), tmp_path)
    assert t.graphed is None


def test_resuming_keeps_this_runs_capturable_flag():
    p = torch.nn.Parameter(torch.ones(3))
    recorded = torch.optim.Adam([p], fused=True, capturable=True)
    p.grad = torch.ones(3)
    recorded.step()
    tensors, groups = optimizer_to_tensors(recorded, "opt")
    plain = torch.optim.Adam([p], fused=True)
    optimizer_from_tensors(plain, tensors, "opt", groups)
    assert plain.param_groups[0]["capturable"] is False
    assert torch.equal(plain.state[p]["exp_avg"], recorded.state[p]["exp_avg"])


@cuda
@pytest.mark.parametrize(
    "kind,hyper",
    [("dcgan", {"ema": 0.9, "diffaug": True}), ("aegan", {"ema": 0.9}), ("vae", {}), ("classifier", {})],
)
def test_a_recorded_step_trains_like_the_eager_one(kind, hyper, faces, tmp_path, exact_fp32):
    data = load_images(str(faces), size=32)
    recorded, eager = (trainer(data, tmp_path, kind, "cuda", graphs=g, **hyper) for g in (True, False))
    assert recorded.graphed is not None and eager.graphed is None
    recorded.run()
    eager.run()
    assert recorded.graphed.graph is not None, "the step was never recorded"
    a, b = weights(recorded), weights(eager)
    for k in a:  # cuDNN's algorithm choice may differ between the runs, in the last bits only
        assert torch.allclose(a[k], b[k], rtol=1e-3, atol=1e-4), k
    assert recorded.last_losses == pytest.approx(eager.last_losses, rel=1e-3, abs=1e-4)


@cuda
def test_a_recorded_run_resumes_to_the_uninterrupted_one(faces, tmp_path, exact_fp32):
    data = load_images(str(faces), size=32)
    whole = trainer(data, tmp_path / "whole", device="cuda", ema=0.9)
    whole.run()
    first = trainer(data, tmp_path / "halves", device="cuda", ema=0.9)
    first.train_steps(6)
    first.save()
    second = trainer(data, tmp_path / "halves", device="cuda", ema=0.9)
    assert second.resume() and second.step == 6
    second.run()
    assert whole.graphed.graph is not None and second.graphed.graph is not None
    a, b = weights(whole), weights(second)
    for k in a:
        assert torch.allclose(a[k], b[k], rtol=1e-3, atol=1e-4), k


@cuda
def test_an_unrecordable_step_trains_on_step_by_step(faces, tmp_path, caplog):
    t = trainer(load_images(str(faces), size=32), tmp_path, device="cuda")
    real_step = t.obj.step

    def step_with_a_host_sync(x, labels, gen):
        losses = real_step(x, labels, gen)
        losses["loss_D"].item()  # not allowed while a graph records
        return losses

    t.obj.step = step_with_a_host_sync
    with caplog.at_level(logging.WARNING):
        t.run()
    assert t.graphed.failed and t.step == 12
    assert "could not record" in caplog.text
    assert all(torch.isfinite(torch.tensor(v)) for v in t.last_losses.values())


def test_the_cli_switch_is_recorded_in_the_checkpoint(faces, tmp_path):
    common = ["--model", "dcgan", "--data", str(faces), "--max-images", "16", "--batch-size", "8", *TINY_ARCH]
    assert train.main([*common, "--out", str(tmp_path / "on")]) == 0
    assert train.main([*common, "--out", str(tmp_path / "off"), "--no-cuda-graphs"]) == 0
    options = [
        json.loads((tmp_path / o / "dcgan-faces.json").read_text())["training"]["options"] for o in ("on", "off")
    ]
    assert [o["cuda_graphs"] for o in options] == [True, False]
