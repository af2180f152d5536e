"""The video kinds train by train.py like the others: the pixel-loss predictor, its GAN
fine-tuning, an exact resume, and clear refusals."""

from __future__ import annotations

import pytest
import torch
from conftest import TINY_ARCH

import train
from gan_demo.models.checkpoints import load_checkpoint
from gan_demo.models.nets import ArchConfig
from gan_demo.models.pretrained import load_pretrained
from gan_demo.models.video import FramePredictor

TINY = [*TINY_ARCH, "--batch-size", "4", "--log-every", "1"]


def run(*args: str) -> int:
    return train.main([*args, *TINY])


def test_pixel_and_gan_predictors_train_and_predict(digits, tmp_path):
    assert run("--model", "video", "--data", str(digits), "--out", str(tmp_path), "--max-images", "12") == 0
    pixel = tmp_path / "video-digits"
    assert run(
        "--model", "video-gan", "--generator", str(pixel), "--name", "gan",
        "--data", str(digits), "--out", str(tmp_path), "--max-images", "8",
    ) == 0  # fmt: skip
    for stem, trained_as in ((pixel, "video"), (tmp_path / "gan", "video-gan")):
        tensors, meta = load_checkpoint(stem)
        assert meta["kind"] == "video" and {k.split(".")[0] for k in tensors} == {"P"}
        assert meta["training"]["options"]["kind"] == trained_as and meta["training"]["ema_generator"]
        model = load_pretrained(stem)
        frames = torch.rand(3, 10, 64, 64)
        assert model.predict(frames, 10).shape == (3, 10, 64, 64)
        longer = model.predict(frames, 25)  # continued ten at a time
        assert longer.shape == (3, 25, 64, 64) and longer.min() >= 0 and longer.max() <= 1
        assert torch.allclose(longer[:, :10], model.predict(frames, 10))
    _, meta = load_checkpoint(tmp_path / "gan")
    assert meta["fine_tuned_from"] == "video-digits" and {"loss_D", "loss_G", "mse", "gdl"} <= set(
        meta["training"]["final_losses"]
    )
    assert (tmp_path / "samples" / "video-digits-0000003.png").exists()


def test_a_resumed_run_makes_the_same_clips_and_weights(digits, tmp_path):
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    common = ("--model", "video", "--data", str(digits), "--max-images", "16")  # the EMA of P is resumed too
    assert run(*common, "--out", str(straight)) == 0
    assert run(*common, "--out", str(halves), "--max-minutes", "0") == 0  # stops at its first read-out
    assert run(*common, "--out", str(halves), "--resume") == 0
    a, _ = load_checkpoint(straight / "video-digits")
    b, meta = load_checkpoint(halves / "video-digits")
    assert meta["training"]["steps"] == 4
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_clear_refusals(digits, faces, tmp_path, capsys):
    assert run("--model", "video", "--data", str(faces), "--out", str(tmp_path), "--max-images", "4") == 1
    assert "gray digit images" in capsys.readouterr().err
    assert run("--model", "video-gan", "--data", str(digits), "--out", str(tmp_path), "--max-images", "4") == 1
    assert "--generator" in capsys.readouterr().err
    assert run("--model", "dcgan", "--data", str(digits), "--out", str(tmp_path), "--max-images", "4") == 0
    assert run(
        "--model", "video-gan", "--generator", str(tmp_path / "dcgan-digits"), "--data", str(digits),
        "--out", str(tmp_path / "x"), "--max-images", "4",
    ) == 1  # fmt: skip
    assert "fine-tunes a pixel-loss video predictor" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [torch.rand(2, 9, 64, 64), torch.rand(2, 10, 32, 32)])
def test_the_predictor_names_the_shape_it_needs(bad):
    with pytest.raises(ValueError, match=r"expected frames \(N, 10, 64, 64\)"):
        FramePredictor(ArchConfig(channels=1, size=32, width=8))(bad)


def test_a_video_run_never_trains_on_the_held_out_digits(tmp_path, capsys):
    from conftest import write_mnist_folder

    data = write_mnist_folder(tmp_path / "mnist", n=8010)
    args = ("--model", "video", "--data", str(data), "--out", str(tmp_path), "--max-images", "4")
    assert run(*args) == 1 and "pass --holdout 10 or more" in capsys.readouterr().err
    assert run(*args, "--holdout", "10") == 0
