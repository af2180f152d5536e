"""The Train tab through the real server: a tiny run on a zip of generated images ends with sample
grids and a model every other tab lists; a second run meanwhile is told the server is busy; bad
zips get a clear message and write nothing outside the server's work folder."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

TINY = dict(kind="dcgan", minutes=0.05, size="32", width=8, batch=16, seed=0)


def png(rng, size=(40, 48)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def images_zip(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("zips") / "faces.zip"
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(40):
            zf.writestr(f"faces/{i:03d}.png", png(rng))
        zf.writestr("faces/notes.txt", "not an image")
    return str(path)


def train(client: Client, archive: str, **settings):
    s = {**TINY, **settings}
    return client.predict(
        "My images (a zip)",
        handle_file(archive),
        s["kind"],
        s["minutes"],
        s["size"],
        s["width"],
        s["batch"],
        s["seed"],
        api_name="/train",
    )


def test_train_a_tiny_model_and_use_it_elsewhere(app_url, images_zip, tmp_path):
    first, second = (Client(app_url, verbose=False, download_files=str(tmp_path / name)) for name in "ab")
    result, busy = {}, {}

    def run():
        result["out"] = train(first, images_zip)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)  # the first run has started (its unpacking takes well under a second)
    with pytest.raises(AppError) as err:
        train(second, images_zip)
    busy["message"] = str(err.value)
    thread.join(120)
    assert "already running" in busy["message"]
    status, samples, chart, history, files, *lists = result["out"]
    assert "Done" in status
    name = status.split("**")[1]
    assert name.startswith("trained-dcgan-mine-")
    with Image.open(samples) as grid:
        assert grid.width > 32  # a grid of 32-px samples
    assert len(history) >= 1 and any(str(f).endswith(".safetensors") for f in files)
    assert {row[2] for row in chart["data"]} == {"loss_D", "loss_G"}  # (step, loss, series) rows
    # every model list knows it, in this session and in a page opened later
    gallery = first.predict(name, 0, 1.0, 2, api_name="/generate")
    assert len(gallery) == 2
    later = Client(app_url, verbose=False, download_files=str(tmp_path / "c"))
    assert len(later.predict(name, 1, 1.0, 1, api_name="/generate")) == 1
    # the tiny classifier reads its 32-px faces: it got attribute directions, so Attributes edits it
    before, after, *_ = later.predict(name, 3, None, False, True, "Male", 0.5, 1.0, 0.0, 0.0, api_name="/edit")
    assert Path(before).exists() and Path(after).exists()


def zip_with(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("not a zip", "not a zip file"),
        ("traversal", "points outside its folder"),
        ("absolute", "points outside its folder"),
        ("bomb", "zip bomb"),
        ("no images", "no images found in the zip"),
    ],
)
def test_bad_zips_get_a_clear_message(client, tmp_path, case, expected):
    rng = np.random.default_rng(1)
    if case == "not a zip":
        archive = tmp_path / "photo.zip"
        archive.write_bytes(png(rng))
        archive = str(archive)
    elif case == "traversal":
        archive = zip_with(tmp_path / "t.zip", {"ok.png": png(rng), "../../escaped.png": png(rng)})
    elif case == "absolute":
        archive = zip_with(tmp_path / "a.zip", {"/tmp/escaped-absolute.png": png(rng)})
    elif case == "bomb":
        archive = zip_with(tmp_path / "b.zip", {"big.png": bytes(60 * 2**20)})  # 60 MB of zeros: about 60 KB packed
    else:
        archive = zip_with(tmp_path / "n.zip", {"readme.txt": b"hello", "data.csv": b"1,2"})
    with pytest.raises(AppError) as err:
        train(client, archive)
    message = str(err.value)
    assert expected in message and "/tmp/" not in message.replace("'/tmp/escaped-absolute.png'", "")
    assert not (tmp_path.parent / "escaped.png").exists() and not Path("/tmp/escaped-absolute.png").exists()
