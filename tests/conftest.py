"""Tiny generated datasets, so the suite runs offline and without ../shared."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

ATTRS = ["Eyeglasses", "Male", "Smiling"]
# train.py options for models small enough to train in a blink on a CPU
TINY_ARCH = ["--width", "8", "--enc-width", "8", "--z-dim", "16", "--size", "32", "--device", "cpu", "--no-progress"]


def blob_images(n: int, size: int, channels: int, seed: int = 0) -> np.ndarray:
    """n smooth uint8 images (N, H, W, C): a coloured disc on a gradient, varied by seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, channels), np.uint8)
    for i in range(n):
        cy, cx, r = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.15, 0.3)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r).astype(float)
        for c in range(channels):
            base = rng.uniform(0, 0.5) * yy + rng.uniform(0, 0.5)
            out[i, :, :, c] = np.clip((base * (1 - disc) + rng.uniform(0.3, 1) * disc) * 255, 0, 255)
    return out


def write_npz_folder(
    folder: Path, n: int = 96, size: int = 32, channels: int = 3, shards: int = 2, attributes: bool = True
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images = blob_images(n, size, channels)
    names = np.array([f"{i + 1:06d}.jpg" for i in range(n)])
    for s, idx in enumerate(np.array_split(np.arange(n), shards)):
        np.savez_compressed(
            folder / f"images_{s:02d}.npz",
            images=images[idx] if channels == 3 else images[idx, :, :, 0],
            filenames=names[idx],
        )
    if attributes:
        rng = np.random.default_rng(1)
        rows = ["image_id," + ",".join(ATTRS)] + [
            f"{name}," + ",".join(str(v) for v in rng.choice([-1, 1], len(ATTRS))) for name in names
        ]
        (folder / "attributes.csv").write_text("\n".join(rows) + "\n")
    return folder


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_mnist_folder(folder: Path, n: int = 80) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", blob_images(n, 28, 1)[..., 0])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


@pytest.fixture(scope="session", autouse=True)
def temp_dir_of_the_run(tmp_path_factory):
    """The system temp dir, for this process and every process it starts (torchrun, demo.py, the
    load check), inside pytest's own folder of the run: gradio_client leaves an empty folder in it
    for every file it downloads (hundreds a run), torchrun its own, and pytest keeps only its
    last three runs."""
    import os
    import tempfile

    before = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = str(tmp_path_factory.mktemp("tmp"))
    yield
    tempfile.tempdir = before[0]
    if before[1] is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = before[1]


@pytest.fixture
def faces(tmp_path: Path) -> Path:
    """A celeba64-style folder: two npz shards of 32x32 RGB images plus attributes.csv."""
    return write_npz_folder(tmp_path / "faces")


@pytest.fixture
def digits(tmp_path: Path) -> Path:
    return write_mnist_folder(tmp_path / "digits")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """A tiny AE+GAN, DCGAN and attribute classifier trained for a few steps by train.py itself."""
    import train

    root = tmp_path_factory.mktemp("models")
    data = write_npz_folder(root / "faces")
    tiny = [*TINY_ARCH, "--batch-size", "16", "--max-images", "64", "--holdout", "16"]
    for kind in ("aegan", "dcgan", "classifier"):
        assert train.main(["--model", kind, "--data", str(data), "--out", str(root), *tiny]) == 0
    return {
        "data": data,
        "aegan": root / "aegan-faces",
        "dcgan": root / "dcgan-faces",
        "classifier": root / "classifier-faces",
    }


@pytest.fixture(scope="session")
def tiny_video_models(tiny_models) -> dict[str, Path]:
    """A tiny pixel-loss video predictor, its GAN fine-tuning and the digits the app's clips use,
    beside the tiny image models (so the app serves them too)."""
    import train
    from gan_demo.cli import main as cli

    root = tiny_models["aegan"].parent
    digits = write_mnist_folder(root / "digits")
    tiny = [*TINY_ARCH, "--batch-size", "4", "--max-images", "8", "--data", str(digits), "--out", str(root)]
    assert train.main(["--model", "video", *tiny]) == 0
    assert (
        train.main(
            ["--model", "video-gan", "--generator", str(root / "video-digits"), "--name", "video-digits-gan", *tiny]
        )
        == 0
    )
    assert (
        cli(
            [
                "video-digits",
                "--digits",
                str(digits),
                "--checkpoint",
                str(root / "video-digits"),
                "--digits-from",
                "all",
            ]
        )
        == 0
    )
    return {"digits": digits, "video": root / "video-digits", "video-gan": root / "video-digits-gan"}


@pytest.fixture(scope="session")
def tiny_map_models(tiny_models) -> dict[str, Path]:
    """A tiny segmenter, pix2pix and its L1-only twin on the tiny faces' maps (their red channel
    in 8 bands), beside the tiny image models (so the app serves them too)."""
    import train
    from gan_demo.data.datasets import load_images
    from gan_demo.data.face_parts import write_maps

    root = tiny_models["aegan"].parent
    data = load_images(tiny_models["data"])
    maps = root / "maps.npz"
    write_maps(maps, (data.images[:, 0] // 32).numpy(), data.names, [])
    tiny = [
        *TINY_ARCH,
        "--batch-size",
        "4",
        "--max-images",
        "8",
        "--data",
        str(tiny_models["data"]),
        "--maps",
        str(maps),
    ]
    for extra in (
        ["--model", "segmenter"],
        ["--model", "pix2pix"],
        ["--model", "pix2pix", "--adv-weight", "0", "--name", "pix2pix-l1"],
    ):
        assert train.main([*extra, *tiny, "--out", str(root)]) == 0
    return {"maps": maps, "segmenter": root / "segmenter-faces", "pix2pix": root / "pix2pix-faces"}


@pytest.fixture(scope="session")
def tiny_directions(tiny_models) -> Path:
    """Attribute directions beside the tiny AE+GAN, from its encoded photos."""
    from gan_demo.latent.attributes import directions_from_photos
    from gan_demo.latent.directions import directions_path
    from gan_demo.models.pretrained import load_pretrained

    path = directions_path(tiny_models["aegan"])
    if not path.exists():
        directions_from_photos(load_pretrained(tiny_models["aegan"]), str(tiny_models["data"]), 16).save(path)
    return path


@pytest.fixture(scope="session")
def served_studio(tiny_models, tiny_directions, tiny_video_models, tiny_map_models):
    """The Studio of the real Gradio server, in-process, on the tiny models plus one broken
    checkpoint it must skip; with the server's URL."""
    pytest.importorskip("gradio")
    from bench.app_load import free_port
    from gan_demo.app.layout import close, serve
    from gan_demo.studio import Studio

    folder = tiny_models["aegan"].parent
    (folder / "broken.json").write_text("{}")
    (folder / "broken.safetensors").write_bytes(b"junk")
    studio = Studio.load(folder, "cpu")
    assert "broken" in studio.skipped
    port = free_port()
    demo = serve(studio, "127.0.0.1", port)
    yield studio, f"http://127.0.0.1:{port}/"
    close(demo)  # after the requests still running


@pytest.fixture(scope="session")
def app_url(served_studio) -> str:
    return served_studio[1]


@pytest.fixture(scope="session")
def client(app_url, tmp_path_factory):
    from gradio_client import Client

    # its downloads under pytest's own temporary folders (pruned), not a new folder in /tmp each
    return Client(app_url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))
