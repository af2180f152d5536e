import gzip

import numpy as np
import pytest
import torch
from conftest import ATTRS, blob_images, write_idx, write_npz_folder
from PIL import Image

from gan_demo.data.datasets import DataError, load_images, random_flip, split_holdout, to_float, to_uint8


def test_npz_shards_with_attributes(faces):
    data = load_images(faces)
    assert data.images.dtype == torch.uint8 and data.images.shape == (96, 3, 32, 32)
    assert data.label_names == ATTRS and data.label_kind == "attributes"
    assert data.labels.shape == (96, 3) and set(data.labels.unique().tolist()) <= {0.0, 1.0}
    assert data.names[0] == "000001.jpg"
    # attributes are joined by file name, not by position
    rows = (faces / "attributes.csv").read_text().splitlines()
    first = [int(v) > 0 for v in rows[1].split(",")[1:]]
    assert data.labels[0].bool().tolist() == first


def test_npz_resize_and_gray(faces):
    data = load_images(faces, size=64, channels=1)
    assert data.images.shape == (96, 1, 64, 64)


def test_npz_single_channel_without_attributes(tmp_path):
    folder = write_npz_folder(tmp_path / "g", channels=1, attributes=False)
    data = load_images(folder)
    assert data.images.shape == (96, 1, 32, 32) and data.labels is None


def test_npz_mixed_sizes_is_an_error(tmp_path):
    folder = write_npz_folder(tmp_path / "m", attributes=False)
    np.savez(folder / "images_09.npz", images=blob_images(4, 16, 3))
    with pytest.raises(DataError, match="one size and channel count"):
        load_images(folder)


def test_npz_wrong_channel_count_is_an_error(tmp_path):
    (tmp_path / "c").mkdir()
    np.savez(tmp_path / "c" / "x.npz", images=np.zeros((4, 8, 8, 4), np.uint8))
    with pytest.raises(DataError, match=r"\(N, H, W, 1\|3\)"):
        load_images(tmp_path / "c")


def test_corrupt_shard_is_skipped_with_count(tmp_path, caplog):
    folder = write_npz_folder(tmp_path / "k", attributes=False)
    (folder / "images_05.npz").write_bytes(b"PK\x03\x04 definitely not a zip")
    data = load_images(folder)
    assert data.skipped == 1 and len(data) == 96
    assert "skipping unreadable shard" in caplog.text


def test_all_shards_corrupt_is_an_error(tmp_path):
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "a.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="none of the 1 npz shards"):
        load_images(tmp_path / "z")


def test_mnist_idx_padded_to_32(digits):
    data = load_images(digits, size=32)
    assert data.images.shape == (80, 1, 32, 32)
    assert data.images[:, :, :2].max() == 0  # the 2-pixel border is padding
    assert data.label_kind == "classes" and data.labels.argmax(1)[:10].tolist() == list(range(10))


def test_mnist_bad_magic_and_truncation(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x12\x34\x56\x78")
    with pytest.raises(DataError, match="bad magic"):
        load_images(folder)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28)))
    raw = gzip.open(folder / "t10k-images-idx3-ubyte.gz").read()
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(raw[:-100])
    with pytest.raises(DataError, match="truncated"):
        load_images(folder)


def test_image_folder_tree(tmp_path):
    root = tmp_path / "photos"
    (root / "a" / "b").mkdir(parents=True)
    imgs = blob_images(3, 80, 3)
    Image.fromarray(imgs[0]).save(root / "one.png")
    Image.fromarray(imgs[1][:, :60]).save(root / "a" / "two.jpg")  # not square: centre-cropped
    Image.fromarray(imgs[2]).convert("L").save(root / "a" / "b" / "three.webp")  # gray -> RGB
    (root / "notes.txt").write_text("ignored")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    data = load_images(root, size=32)
    assert data.images.shape == (3, 3, 32, 32) and data.skipped == 1
    assert sorted(data.names) == ["a/b/three.webp", "a/two.jpg", "one.png"]


def test_image_folder_all_unreadable(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "x.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="none of the 1 image files"):
        load_images(tmp_path / "p")


def test_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_images(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no npz shards, MNIST IDX files or images"):
        load_images(tmp_path / "empty")


def test_download_names_need_download_flag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="pass --download"):
        load_images("mnist", download_root=tmp_path / "tv")


def test_holdout_split_is_the_tail(faces):
    train, held = split_holdout(load_images(faces), 16)
    assert len(train) == 80 and len(held) == 16 and held.names[0] == "000081.jpg"
    with pytest.raises(DataError):
        split_holdout(train, 80)


def test_tensor_augmentation_and_ranges():
    u8 = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8)
    x = to_float(u8)
    assert x.min() >= -1 and x.max() <= 1 and torch.equal(to_uint8(x), u8)
    flipped = random_flip(x, torch.Generator().manual_seed(0))
    same = [(torch.equal(a, b), torch.equal(a.flip(2), b)) for a, b in zip(x, flipped)]
    assert all(s or f for s, f in same) and any(f and not s for s, f in same)


def test_training_and_the_app_decode_a_photo_alike(tmp_path):
    """One decoder: a transparent PNG (composited on white) and a 16-bit one are the same pixels
    in a training folder as in an upload."""
    from gan_demo.data.photos import load_photo

    folder = tmp_path / "photos"
    folder.mkdir()
    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[5:30, 10:40] = (200, 30, 60, 255)  # an opaque patch on a transparent background
    Image.fromarray(rgba).save(folder / "a.png")
    Image.fromarray(np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) * 20).save(folder / "b.png")
    data = load_images(folder, size=32, channels=3)
    for i, name in enumerate(data.names):
        served = to_uint8(load_photo(folder / name, 32, 3))[0]
        assert torch.equal(data.images[i], served), name
    assert data.images[0, :, 0, 0].tolist() == [255, 255, 255]  # transparent is white, as in the app
