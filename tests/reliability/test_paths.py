"""Paths: the app writes only inside its temporary folders and serves no file outside them; CLI
output names derived from input names stay inside --out."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from gan_demo.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", "runs", ".pytest_cache", ".ruff_cache"}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under folder (virtual environments and caches aside) with its size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in SKIP and not d.startswith(".venv")]
        for name in filenames:
            path = Path(dirpath) / name
            stat = path.stat()
            out[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return out


def test_the_server_writes_only_in_its_temporary_folders(tiny_models, tiny_directions, tmp_path):
    pytest.importorskip("gradio_client")
    from gradio_client import Client, handle_file

    from bench.app_load import free_port, start_server

    places = {name: tmp_path / name for name in ("tmp", "gradio", "home", "client", "uploads")}
    for folder in places.values():
        folder.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(places["tmp"]),
        "GRADIO_TEMP_DIR": str(places["gradio"]),
        "HOME": str(places["home"]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    models = tiny_models["aegan"].parent
    before = {**snapshot(ROOT), **snapshot(models)}
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(str(models), port, env)
    try:
        photo = places["uploads"] / "photo.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 60, 3), np.uint8)).save(photo)
        client = Client(url, verbose=False, download_files=str(places["client"]))
        f = handle_file(str(photo))
        client.predict("aegan-faces", 0, 0.7, 4, api_name="/generate")
        client.predict("aegan-faces", 0, 1, f, None, 4, "slerp", api_name="/morph")
        client.predict("aegan-faces", 0, f, True, True, "Male", 0.5, 1.0, 0.0, 0.0, api_name="/edit")
        client.predict("aegan-faces", f, api_name="/colorize")
        client.predict(f, 0, api_name="/story")

        # an upload whose name tries to climb out of the upload folder
        hostile_name = "../../../../" + str(places["home"] / "escaped.png").lstrip("/")
        upload = httpx.post(f"{url}gradio_api/upload", files={"files": (hostile_name, photo.read_bytes(), "image/png")})
        assert upload.status_code == 200
        stored = Path(upload.json()[0])
        assert stored.resolve().is_relative_to(places["gradio"].resolve())
        colorized = client.predict(
            "aegan-faces", {"path": str(stored), "meta": {"_type": "gradio.FileData"}}, api_name="/colorize"
        )
        assert colorized[1] is not None

        # files the server must not hand out: the repository, its checkpoints, the system
        for secret in (ROOT / "README.md", models / "aegan-faces.json", Path("/etc/passwd")):
            assert httpx.get(f"{url}gradio_api/file={secret}").status_code in (403, 404), secret
    finally:
        server.kill()
        server.wait()
    after = {**snapshot(ROOT), **snapshot(models)}
    assert after == before, sorted(set(after.items()) ^ set(before.items()))[:5]
    assert not list(places["home"].rglob("*")), list(places["home"].rglob("*"))[:5]
    assert any(places["gradio"].rglob("*.png")) and any(places["tmp"].rglob("*.png"))  # it did write, there


def test_cli_output_names_stay_inside_out(tiny_models, tmp_path, capsys):
    """--image as a folder: outputs mirror its names, including odd ones, under --out only."""
    photos = tmp_path / "in"
    (photos / "sub").mkdir(parents=True)
    for name in ("a b.png", "sub/..hidden.png", "sub/ünï.png"):
        Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(photos / name)
    os.symlink("/etc", photos / "link-outside")  # a link out of the folder is not followed
    out = tmp_path / "out"
    args = ["colorize", "--checkpoint", str(tiny_models["aegan"]), "--image", str(photos), "--out", str(out)]
    assert cli([*args, "--steps", "10"]) == 0
    written = [
        Path(line.split(" ", 1)[1]) for line in capsys.readouterr().out.splitlines() if line.startswith("wrote ")
    ]
    assert len(written) == 3 and all(p.resolve().is_relative_to(out.resolve()) for p in written)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "a b.png",
        "sub/..hidden.png",
        "sub/ünï.png",
    ]


def test_a_path_that_was_not_uploaded_is_refused(client, tiny_models):
    """Our upload components skip Gradio's image decoding, not its check that a path was uploaded."""
    from gradio_client.exceptions import AppError

    for secret in ("/etc/passwd", str(tiny_models["aegan"]) + ".json"):
        with pytest.raises(AppError):
            client.predict("aegan-faces", {"path": secret, "meta": {"_type": "gradio.FileData"}}, api_name="/colorize")
