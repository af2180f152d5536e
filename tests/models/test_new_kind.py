"""A model kind registered from this file alone, with no edit under gan_demo/: trained a few steps
by the training entry point train.py runs, written, loaded by the normal loader, and offered,
sampled and morphed by the app (docs/extending.md walks through the same kind)."""

from __future__ import annotations

import pytest
import torch
from conftest import TINY_ARCH
from torch import nn

from gan_demo.models import kinds
from gan_demo.models.checkpoints import load_checkpoint
from gan_demo.models.kinds import ModelKind
from gan_demo.models.nets import ArchConfig
from gan_demo.models.pretrained import load_pretrained
from gan_demo.studio import Studio
from gan_demo.training.command import main as train
from gan_demo.training.objectives import Objective


class PixelGenerator(nn.Module):
    """z -> image through one linear layer and tanh: the smallest generator there is."""

    def __init__(self, arch: ArchConfig):
        super().__init__()
        self.shape = (arch.channels, arch.size, arch.size)
        self.net = nn.Linear(arch.z_dim, arch.channels * arch.size * arch.size)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(z.flatten(1))).view(-1, *self.shape)


class MomentMatching(Objective):
    """G's samples are pulled towards the batch's per-pixel mean and spread."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add("G", self.part("G"))
        self.add_optimizer("G", self.nets["G"].parameters(), self.hyper.lr)
        self.add_ema("G")

    def step(self, x, labels, gen):
        with self.autocast():
            fake = self.nets["G"](self.noise(x.shape[0], gen)).float()
        loss = (fake.mean(0) - x.mean(0)).pow(2).mean() + (fake.std(0) - x.std(0)).pow(2).mean()
        self.update("G", loss)
        self.after_step()
        return {"loss": loss.detach()}


TOY = ModelKind("toy", {"G": lambda arch, labels: PixelGenerator(arch)}, MomentMatching, frozenset({"sample"}))


@pytest.fixture
def toy():
    kinds.register(TOY)
    yield TOY
    kinds.unregister(TOY.name)


def test_a_kind_registered_here_trains_saves_loads_and_is_offered_by_the_app(toy, faces, tmp_path):
    out = tmp_path / "models"
    args = ["--model", "toy", "--data", str(faces), "--out", str(out), *TINY_ARCH, "--batch-size", "16"]
    assert train([*args, "--max-images", "160", "--lr", "1e-2", "--log-every", "2"]) == 0
    tensors, meta = load_checkpoint(out / "toy-faces")
    assert (
        meta["kind"] == "toy" and meta["training"]["steps"] == 10 and set(meta["training"]["final_losses"]) == {"loss"}
    )

    model = load_pretrained(out / "toy-faces")  # built from the JSON by the registered row, no other code
    assert isinstance(model.G, PixelGenerator) and model.detail_shape() is None
    untrained = PixelGenerator(model.arch)
    assert not torch.equal(model.G.net.weight, untrained.net.weight.to(model.G.net.weight.dtype))
    images = model.generate(torch.randn(3, model.arch.z_dim))
    assert images.shape == (3, 3, 32, 32) and images.abs().max() <= 1

    studio = Studio.load(out)
    assert studio.generators() == ["toy-faces"]
    assert len(studio.generate("toy-faces", 0, 0.7, 4)) == 4
    frames, gif, mp4 = studio.morph("toy-faces", 0, 1, frames=5, out_dir=str(tmp_path / "morph"))
    assert len(frames) == 5 and gif.endswith(".gif")

    pytest.importorskip("gradio")
    from gan_demo.app.layout import build_app

    choices = [
        [c[1] for c in component["props"]["choices"]]  # (title, file name) pairs
        for component in build_app(studio).get_config_file()["components"]
        if component["type"] == "dropdown" and component["props"].get("label") == "Model"
    ]
    assert choices and all("toy-faces" in c for c in choices[:2])  # Generate and Morph offer it
