"""Classifier-guided edits on a model whose attributes are known exactly: the "generator" writes
the code into the image and the "classifier" reads two correlated attributes off it linearly."""

import pytest
import torch
from torch import nn

from gan_demo.guided import guided_edit
from gan_demo.latent import Directions, sample_codes
from gan_demo.models import ArchConfig
from gan_demo.pretrained import Pretrained

Z_DIM = 8
# attribute 1 shares half its direction with attribute 0, as Wearing_Lipstick does with Male
READOUT = torch.zeros(3, Z_DIM)
READOUT[0, 0] = 1.0
READOUT[1, 0], READOUT[1, 1] = 0.7, 0.7
READOUT[2, 2] = 1.0
NAMES = ["Male", "Wearing_Lipstick", "Smiling"]


class CodeImage(nn.Module):
    """z -> a 1x32x32 image holding z in its first pixels."""

    def forward(self, z):
        image = torch.zeros(z.shape[0], 32 * 32)
        image = torch.cat([z, image[:, Z_DIM:]], 1)
        return image.view(-1, 1, 32, 32)


class LinearReadout(nn.Module):
    def forward(self, x):
        return 2.0 * x.flatten(1)[:, :Z_DIM] @ READOUT.T


def models():
    arch = ArchConfig(channels=1, size=32, width=8, z_dim=Z_DIM)
    gen = Pretrained("codes", "dcgan", arch, {}, torch.device("cpu"), G=CodeImage())
    clf = Pretrained(
        "readout",
        "classifier",
        arch,
        {},
        torch.device("cpu"),
        C=LinearReadout(),
        label_names=NAMES,
        label_kind="attributes",
    )
    unit = nn.functional.normalize(READOUT, dim=1)
    directions = Directions(NAMES, unit, unit, torch.full((3,), 1.0))
    return gen, clf, directions


def probabilities(clf, gen, z):
    return clf.C(gen.G(z)).sigmoid()


def test_guided_edit_reaches_the_target_and_holds_the_correlated_attribute():
    gen, clf, directions = models()
    z = sample_codes(64, Z_DIM, seed=0) * 0.3
    before = probabilities(clf, gen, z)
    plain = z + 2.0 * directions.linear[0]
    guided = guided_edit(gen, clf, directions, z, {"Male": 2.0}, steps=100)
    after_plain, after_guided = probabilities(clf, gen, plain), probabilities(clf, gen, guided)
    # the plain direction drags the correlated attribute along; the guided edit holds it
    assert (after_plain[:, 1] - before[:, 1]).abs().mean() > 0.2
    assert (after_guided[:, 1] - before[:, 1]).abs().mean() < 0.03
    assert (after_guided[:, 2] - before[:, 2]).abs().mean() < 0.03
    assert (after_guided[:, 0] > 0.85).all()  # strength 2: logit at least about 2
    removed = guided_edit(gen, clf, directions, z, {"Male": -2.0}, steps=100)
    assert (probabilities(clf, gen, removed)[:, 0] < 0.15).all()


def test_guided_edit_without_strength_returns_the_codes():
    gen, clf, directions = models()
    z = sample_codes(4, Z_DIM, seed=1)
    assert torch.equal(guided_edit(gen, clf, directions, z, {"Male": 0.0, "Smiling": 0}), z)


def test_guided_edit_errors():
    gen, clf, directions = models()
    z = sample_codes(2, Z_DIM, seed=2)
    with pytest.raises(KeyError, match="Bald"):
        guided_edit(gen, clf, directions, z, {"Bald": 1.0})
    clf.label_kind = "classes"
    with pytest.raises(ValueError, match="attribute classifier"):
        guided_edit(gen, clf, directions, z, {"Male": 1.0})
