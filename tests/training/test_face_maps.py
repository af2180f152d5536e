"""Face <-> map: maps joined to faces, both kinds trained by train.py, the map files users hand
us, the scores, and the CLI's segment and translate."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import TINY_ARCH, blob_images
from PIL import Image

import train
from gan_demo import cli
from gan_demo.data.datasets import attach_maps, load_images, random_flip, to_float
from gan_demo.data.face_parts import PALETTE, MapError, colorize, read_maps, write_maps
from gan_demo.data.map_files import load_map, map_from_array
from gan_demo.data.photos import ImageInputError
from gan_demo.latent.code_scale import random_codes, scale_beside
from gan_demo.metrics.segmentation import average_map, map_scores, nearest_maps
from gan_demo.models.checkpoints import load_checkpoint
from gan_demo.models.pretrained import load_pretrained
from gan_demo.training.translation import dice_loss

TINY = [*TINY_ARCH, "--batch-size", "4", "--log-every", "1"]


def tiny_maps(images: np.ndarray) -> np.ndarray:
    """A map any face of the tiny set determines: its red channel in 8 bands."""
    return (images[..., 0] // 32).astype(np.uint8)


@pytest.fixture
def maps_file(faces, tmp_path):
    """Maps for all but the first two tiny faces (as the preparation drops faces it finds no mesh in)."""
    data = load_images(faces)
    images = data.images.permute(0, 2, 3, 1).numpy()
    path = tmp_path / "maps.npz"
    write_maps(path, tiny_maps(images)[2:], data.names[2:], data.names[:2])
    return path


def run(*args: str) -> int:
    return train.main([*args, *TINY])


def test_maps_join_their_faces_by_name_and_mirror_with_them(faces, maps_file):
    data = attach_maps(load_images(faces), maps_file)
    assert len(data) == 94 and data.skipped == 2 and data.label_kind == "maps" and len(data.label_names) == 8
    assert torch.equal(data.labels, torch.from_numpy(tiny_maps(data.images.permute(0, 2, 3, 1).numpy())))
    x = data.images[:16].float()
    flipped, maps = random_flip(x, torch.Generator().manual_seed(0), data.labels[:16])
    assert not torch.equal(flipped, x)
    assert torch.equal(maps, torch.from_numpy(tiny_maps(flipped.permute(0, 2, 3, 1).numpy().astype(np.uint8))))


def test_segmenter_and_pix2pix_train_resume_and_answer(faces, maps_file, tmp_path):
    common = ("--data", str(faces), "--maps", str(maps_file), "--out", str(tmp_path), "--max-images", "8")
    assert run("--model", "segmenter", *common) == 0
    assert run("--model", "pix2pix", *common) == 0
    assert run("--model", "pix2pix", "--adv-weight", "0", "--name", "l1", *common) == 0
    segmenter, gan, l1 = (load_pretrained(tmp_path / n) for n in ("segmenter-faces", "pix2pix-faces", "l1"))
    faces_in = torch.rand(3, 3, 32, 32) * 2 - 1
    found = segmenter.segment(faces_in)
    assert found.shape == (3, 32, 32) and found.dtype == torch.uint8 and found.max() < 8
    for model in (gan, l1):
        one = model.translate(found)
        assert one.shape == (3, 3, 32, 32) and one.abs().max() <= 1
        styles = model.translate(
            found[:1].expand(2, -1, -1), torch.randn(2, 16, generator=torch.Generator().manual_seed(0))
        )
        assert not torch.allclose(styles[0], styles[1])  # the style code reaches the face
        assert model.style_of(faces_in).shape == (3, 16)
    _, meta = load_checkpoint(tmp_path / "segmenter-faces")
    assert meta["training"]["options"]["hyper"]["dice_weight"] == 1.0  # the kind's default
    assert {"ce", "dice"} <= set(meta["training"]["final_losses"])
    _, meta = load_checkpoint(tmp_path / "pix2pix-faces")
    assert meta["adversarial"] and {"loss_D", "loss_G", "l1", "kl"} <= set(meta["training"]["final_losses"])
    _, meta = load_checkpoint(tmp_path / "l1")
    assert not meta["adversarial"] and "loss_D" not in meta["training"]["final_losses"]
    assert meta["data"]["skipped_files"] == 2 and meta["labels"]["kind"] == "maps"
    assert (tmp_path / "samples" / "pix2pix-faces-0000002.png").exists()


def test_the_dice_loss_counts_a_small_class_as_much_as_a_large_one():
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, 0, 0] = 3  # one pixel of class 3 among 63 of class 0
    right = torch.nn.functional.one_hot(target, 8).permute(0, 3, 1, 2).float() * 50
    assert dice_loss(right, target) < 1e-3
    missed = right.clone()
    missed[0, :, 0, 0] = right[0, :, 1, 1]  # the small class read as the large one
    # Dice loses half of one of the 8 classes' overlap (a 1/64 share of the pixels), 1/16 in all.
    assert abs(dice_loss(missed, target) - 1 / 16) < 0.01


def test_a_resumed_pix2pix_run_matches_a_straight_one(faces, maps_file, tmp_path):
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    common = ("--model", "pix2pix", "--data", str(faces), "--maps", str(maps_file), "--max-images", "16")
    assert run(*common, "--out", str(straight)) == 0
    assert run(*common, "--out", str(halves), "--max-minutes", "0") == 0
    assert run(*common, "--out", str(halves), "--resume") == 0
    a, _ = load_checkpoint(straight / "pix2pix-faces")
    b, _ = load_checkpoint(halves / "pix2pix-faces")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_clear_refusals(faces, digits, maps_file, tmp_path, capsys):
    assert run("--model", "segmenter", "--data", str(faces), "--out", str(tmp_path), "--max-images", "4") == 1
    assert "pass --maps" in capsys.readouterr().err
    small = tmp_path / "small.npz"
    write_maps(small, np.zeros((4, 16, 16), np.uint8), ["000001.jpg"] * 4, [])
    assert run("--model", "pix2pix", "--data", str(faces), "--maps", str(small), "--out", str(tmp_path)) == 1
    assert "maps are 16x16, the faces 32x32" in capsys.readouterr().err
    hostile = tmp_path / "hostile.npz"
    np.savez(hostile, maps=np.array([{"a": 1}], dtype=object), filenames=np.array(["x"]))
    assert run("--model", "segmenter", "--data", str(faces), "--maps", str(hostile), "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "not a maps file" in err and str(tmp_path) not in err
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(MapError, match="not a readable maps file"):
        read_maps(tmp_path / "junk.npz")
    bad_ids = tmp_path / "ids.npz"
    np.savez_compressed(bad_ids, maps=np.full((2, 32, 32), 9, np.uint8), filenames=np.array(["a", "b"]))
    with pytest.raises(MapError, match="class ids are 0-7"):
        read_maps(bad_ids)


def test_map_images_users_hand_us(tmp_path):
    ids = np.random.default_rng(0).integers(0, 8, (64, 64)).astype(np.uint8)
    Image.fromarray(ids, "L").save(tmp_path / "ids.png")
    assert np.array_equal(load_map(tmp_path / "ids.png", 64), ids)
    painted = colorize(ids).astype(np.int16) + np.random.default_rng(1).integers(-20, 20, (64, 64, 3))
    Image.fromarray(np.clip(painted, 0, 255).astype(np.uint8)).save(tmp_path / "painted.png")
    assert np.array_equal(load_map(tmp_path / "painted.png", 64), ids)  # antialiased colours snap back
    big = np.kron(ids, np.ones((4, 4), np.uint8))
    assert np.array_equal(map_from_array(colorize(big), 64), ids)  # 256 px -> 64 by each block's class
    with pytest.raises(ImageInputError, match="class ids are 0-7"):
        map_from_array(np.full((64, 64), 200, np.uint8), 64)
    with pytest.raises(ImageInputError, match="no class colour"):
        map_from_array(blob_images(1, 64, 3)[0], 64)  # a photo, not a map
    with pytest.raises(ImageInputError, match="square"):
        map_from_array(np.zeros((64, 48), np.uint8), 64)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageInputError, match="empty"):
        load_map(tmp_path / "empty.png", 64)
    (tmp_path / "map.pkl").write_bytes(pickle.dumps(ids))
    with pytest.raises(ImageInputError):
        load_map(tmp_path / "map.pkl", 64)
    assert tuple(PALETTE[0]) == (0, 0, 0) and len({tuple(c) for c in PALETTE}) == 8


def test_scores_on_known_maps():
    truth = torch.zeros(1, 4, 4, dtype=torch.uint8)
    truth[0, :2] = 1  # half class 1, half class 0
    found = truth.clone()
    found[0, 0, 0] = 0  # one class-1 pixel missed
    s = map_scores(found, truth)
    assert s["pixel_acc"] == pytest.approx(15 / 16)
    assert s["class_acc"] == pytest.approx((1 + 7 / 8) / 2)
    assert s["miou"] == pytest.approx((8 / 9 + 7 / 8) / 2)
    maps = torch.stack([truth[0], truth[0], torch.ones(4, 4, dtype=torch.uint8)])
    assert torch.equal(average_map(maps), truth[0])
    assert nearest_maps(found, maps).tolist() == [0]


def test_cli_segments_and_translates(faces, maps_file, tmp_path, capsys):
    common = ("--data", str(faces), "--maps", str(maps_file), "--out", str(tmp_path), "--max-images", "4")
    assert run("--model", "segmenter", *common) == 0 and run("--model", "pix2pix", *common) == 0
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, im in enumerate(blob_images(2, 48, 3)):
        Image.fromarray(im).save(photos / f"face{i}.png")
    (photos / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "maps"
    code = cli.main(
        ["segment", "--checkpoint", str(tmp_path / "segmenter-faces"), "--image", str(photos), "--out", str(out)]
    )
    assert code == 1 and "1 of 3 images could not be used" in capsys.readouterr().err  # the others written
    written = Image.open(out / "face0.png")
    assert written.mode == "L" and written.size == (32, 32) and np.asarray(written).max() < 8
    assert Image.open(out / "preview" / "face0.png").mode == "RGB"
    (out / "broken.png").unlink(missing_ok=True)
    faces_out = tmp_path / "made"
    args = ["translate", "--checkpoint", str(tmp_path / "pix2pix-faces"), "--map", str(out / "face0.png")]
    assert cli.main([*args, "--out", str(faces_out)]) == 0
    made = Image.open(faces_out / "face0.png")
    assert made.mode == "RGB" and made.size == (32, 32)
    Image.fromarray(blob_images(1, 32, 3)[0]).save(tmp_path / "photo-as-map.png")
    args[-1] = str(tmp_path / "photo-as-map.png")
    assert cli.main([*args, "--out", str(faces_out)]) == 1
    assert "no class colour" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "segment",
                "--checkpoint",
                str(tmp_path / "pix2pix-faces"),
                "--image",
                str(photos / "face0.png"),
                "--out",
                str(out),
            ]
        )
        == 1
    )
    assert "does not segment" in capsys.readouterr().err


def test_random_styles_are_drawn_where_the_training_faces_styles_lie(faces, maps_file, tmp_path):
    common = ("--data", str(faces), "--maps", str(maps_file), "--out", str(tmp_path), "--max-images", "8")
    assert run("--model", "pix2pix", *common) == 0
    ck = tmp_path / "pix2pix-faces"
    assert cli.main(["code-scale", "--checkpoint", str(ck), "--data", str(faces), "--n", "64"]) == 0
    model = load_pretrained(ck)
    scale = scale_beside(ck, model.arch.z_dim)
    assert scale is not None and scale.images == 64 and scale.chol is not None
    styles = model.style_of(to_float(load_images(faces).images[:64]))
    assert torch.allclose(scale.mean, styles.mean(0), atol=1e-5)
    assert torch.allclose(scale.chol @ scale.chol.T, torch.cov(styles.T), atol=1e-4)  # correlations kept
    drawn = random_codes(model, 20_000, 0, scale)
    assert torch.allclose(torch.cov(drawn.T), torch.cov(styles.T), atol=0.05 * float(styles.var(0).max()))
    # the CLI's translate draws its --seed's style there too
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "map.png")
    out = tmp_path / "made"
    assert cli.main(["translate", "--checkpoint", str(ck), "--map", str(tmp_path / "map.png"), "--out", str(out)]) == 0
    expected = model.translate(torch.zeros(1, 32, 32, dtype=torch.uint8), random_codes(model, 1, 0, scale))
    made = torch.from_numpy(np.asarray(Image.open(out / "map.png"))).permute(2, 0, 1).float() / 127.5 - 1
    assert (made - expected[0]).abs().max() < 2 / 255 + 1e-6
