"""Truncation towards the average face (#18 item 5): on the shipped face GANs, truncation 0.1 gives
faces near the average face, not the flat brown squares that shrinking codes towards 0 gave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gan_demo.latent.average import towards
from gan_demo.models.sampling import sample_codes

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def as_array(images) -> np.ndarray:
    """Images (or Studio.generate's (image, caption) pairs) as one array in [-1, 1]."""
    images = [im[0] if isinstance(im, tuple) else im for im in images]
    return np.stack([np.asarray(im, np.float32) / 127.5 - 1 for im in images])


@pytest.fixture(scope="module")
def studio():
    from gan_demo.studio import Studio

    return Studio.load(CHECKPOINTS, "cpu")


@pytest.mark.parametrize("name", ["dcgan-celeba64", "aegan-celeba64"])
def test_low_truncation_gives_the_average_face_not_a_flat_square(studio, name):
    model = studio.models[name]
    with torch.no_grad():
        mean = model.generate(sample_codes(256, model.arch.z_dim, 999)).mean(0).permute(1, 2, 0).numpy()
    low = as_array(studio.generate(name, 0, 0.1, 8))
    mean = np.asarray(
        torch.nn.functional.interpolate(torch.from_numpy(mean).permute(2, 0, 1)[None], low.shape[1:3])[0].permute(
            1, 2, 0
        )
    )
    structure = low.reshape(len(low), -1, 3).std(1).mean()  # a flat square: about 0.04
    distance = np.sqrt(((low - mean) ** 2).mean())  # to the mean of many samples; shrunk codes: 0.18-0.23
    assert structure > 0.1 and distance < 0.12, (structure, distance)
    full = as_array(studio.generate(name, 0, 1.0, 8))
    assert np.sqrt(((full - mean) ** 2).mean()) > distance  # truncation 1: the seed's own, varied samples


def test_towards_keeps_codes_on_the_shell_and_ends_at_both_codes():
    centre, codes = sample_codes(1, 64, 1), sample_codes(5, 64, 2)
    assert torch.allclose(towards(centre, codes, 1.0), codes, atol=1e-5)
    assert torch.allclose(towards(centre, codes, 0.0), centre.expand(5, -1), atol=1e-5)
    halfway = towards(centre, codes, 0.5).norm(dim=1)
    assert torch.allclose(halfway, (centre.norm() + codes.norm(dim=1)) / 2, atol=1e-4)


def test_the_plain_autoencoders_random_codes_give_smeared_faces_not_brown_squares(studio):
    """The story's autoencoder row: random codes at the scale of its own codes of real faces
    (checkpoints/ae-celeba64.codes.safetensors), so they decode to faces the course calls smeared
    and unrealistic; N(0, I) codes, 9 times too small for it, decode to flat squares."""
    model = studio.models["ae-celeba64"]
    assert "ae-celeba64" in studio.scales and studio.scales["ae-celeba64"].images == 2000
    row = next(row for row in studio.story(seed=0) if row[0].startswith("ae-celeba64"))
    samples = as_array(row[1])
    with torch.no_grad():
        flat = model.generate(sample_codes(4, model.arch.z_dim, 0)).flatten(2).std(-1).mean().item()
    structure = samples.reshape(len(samples), -1, 3).std(1).mean()
    assert flat < 0.06 and structure > 0.2, (flat, structure)


def test_code_scale_is_measured_saved_and_checked(tiny_models, tmp_path):
    from gan_demo.cli import main
    from gan_demo.latent.code_scale import CodeScale, code_scale_path
    from gan_demo.models.checkpoints import CheckpointError

    checkpoint = tiny_models["aegan"]
    assert main(["code-scale", "--checkpoint", str(checkpoint), "--data", str(tiny_models["data"]), "--n", "40"]) == 0
    path = code_scale_path(checkpoint)
    scale = CodeScale.load(path, 16)
    assert scale.images == 40 and (scale.std > 0).all()
    with pytest.raises(CheckpointError, match="a mean and a std of 8 numbers"):
        CodeScale.load(path, 8)
    assert scale.chol is None  # an autoencoder's dimensions are drawn on their own
    bent = CodeScale(scale.mean, scale.std, 40, torch.full((16, 15), float("nan")))
    with pytest.raises(CheckpointError, match="16x16 covariance factor"):
        CodeScale.load(bent.save(tmp_path / "bent.codes.safetensors"), 16)
    path.unlink()  # the other tests' app has no such file
    (tmp_path / "junk.codes.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError):
        CodeScale.load(tmp_path / "junk.codes.safetensors", 16)
