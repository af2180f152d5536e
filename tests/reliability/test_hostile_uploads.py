"""Hostile and odd uploads to every app endpoint that takes a photo, and to every CLI command that
reads one: each gets a clear error naming the problem, or a sensible image, never a crash or a hang,
and the server keeps serving with bounded memory."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reliability.hostile import EXPECT_RESULT, PROBLEM_WORDS, face_like, image_size, write_hostile_files

from bench.app_load import rss_mb
from gan_demo.cli import main as cli
from gan_demo.data.photos import ImageInputError, load_mask, load_photo

REQUEST_LIMIT_S = 30  # far above any tiny-model request; a hang or a runaway decode would cross it
SERVER_GROWTH_LIMIT_MB = 400  # RSS growth of the (in-process) server across every hostile request


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return write_hostile_files(tmp_path_factory.mktemp("hostile"))


def painted_layer(size: tuple[int, int], folder: Path, fill: float = 0.3) -> str:
    """An RGBA brush layer of `size` with a centred opaque square covering about `fill` of it."""
    w, h = size
    layer = np.zeros((h, w, 4), np.uint8)
    dh, dw = max(1, int(h * fill**0.5)), max(1, int(w * fill**0.5))
    layer[(h - dh) // 2 : (h + dh) // 2 or 1, (w - dw) // 2 : (w + dw) // 2 or 1] = (255, 0, 255, 255)
    path = folder / f"layer-{w}x{h}-{fill}.png"
    Image.fromarray(layer).save(path)
    return str(path)


def upload_calls(client, path: Path, folder: Path):
    """endpoint -> a call sending `path` where that endpoint takes a photo."""
    from gradio_client import handle_file

    f = handle_file(str(path))
    size = image_size(path) if EXPECT_RESULT[path.name] else (40, 40)
    editor = {"background": f, "layers": [handle_file(painted_layer(size, folder))], "composite": f, "id": None}
    return {
        "morph": lambda: client.predict("aegan-faces", 0, 1, f, None, 3, "slerp", api_name="/morph"),
        "edit": lambda: client.predict("aegan-faces", 0, f, True, True, "Male", 0.5, 1.0, 0.0, 0.0, api_name="/edit"),
        "inpaint": lambda: client.predict("aegan-faces", editor, 10, 1, api_name="/inpaint"),
        "colorize": lambda: client.predict("aegan-faces", f, api_name="/colorize"),
        "story": lambda: client.predict(f, 0, api_name="/story"),
    }


def first_image(result) -> str:
    """The first image file in an endpoint's result (galleries, tuples and captions included)."""
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    while items:
        item = items.pop(0)
        if isinstance(item, (list, tuple)):
            items[:0] = list(item)
        elif isinstance(item, dict):
            items.insert(0, item.get("image") or item.get("path"))
        elif isinstance(item, str) and Path(item).is_file():
            return item
    raise AssertionError(f"no image in {result!r}")


def test_every_upload_endpoint_survives_every_hostile_file(client, hostile, tmp_path):
    from gradio_client.exceptions import AppError

    start_rss, outcomes = rss_mb(os.getpid()), {}
    for name, path in hostile.items():
        for endpoint, call in upload_calls(client, path, tmp_path).items():
            started = time.perf_counter()
            try:
                result = call()
                outcome = "result"
                assert image_size(first_image(result)) in ((128, 128), (256, 256)), (endpoint, name)
            except AppError as err:
                outcome = "error"
                assert re.search(PROBLEM_WORDS, str(err)), (endpoint, name, str(err))
                assert name in str(err) or "image" in str(err), (endpoint, name, str(err))
            elapsed = time.perf_counter() - started
            assert elapsed < REQUEST_LIMIT_S, (endpoint, name, elapsed)
            outcomes[endpoint, name] = outcome
            assert outcome == ("result" if EXPECT_RESULT[name] else "error"), (endpoint, name)
    assert len(outcomes) == 5 * len(EXPECT_RESULT)
    assert rss_mb(os.getpid()) - start_rss < SERVER_GROWTH_LIMIT_MB
    assert len(client.predict("dcgan-faces", 1, 1.0, 2, api_name="/generate")) == 2  # still serving


@pytest.mark.parametrize(
    "data, problem",
    [
        ('["aegan-faces", NaN, 0.7, 4]', "NaN"),
        ('["aegan-faces", 0, Infinity, 4]', "greater than maximum value 1.0"),
        ('["aegan-faces", 0, 0.7, 1000000000]', "greater than maximum value 32"),
        ('["aegan-faces", -5, 0.7, 4]', "less than minimum value 0|seed must be between"),
        ('["aegan-faces", 1e30, 0.7, 4]', "seed must be between"),
        ('["no-such-model", 0, 0.7, 4]', "not in the list of choices"),
    ],
)
def test_out_of_range_numbers_from_a_script_get_a_clear_error(app_url, client, data, problem):
    """The HTTP API takes any JSON (NaN and Infinity included): Gradio checks slider ranges, the
    Studio checks everything again (gan_demo.limits), so each gets a message naming the field."""
    import httpx

    posted = httpx.post(
        f"{app_url}gradio_api/call/generate",
        content=f'{{"data": {data}}}',
        headers={"content-type": "application/json"},
    )
    events = httpx.get(f"{app_url}gradio_api/call/generate/{posted.json()['event_id']}", timeout=REQUEST_LIMIT_S).text
    assert "event: error" in events and re.search(problem, events), events
    assert len(client.predict("dcgan-faces", 1, 1.0, 2, api_name="/generate")) == 2  # still serving


def test_inpaint_endpoint_masks(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    photo = tmp_path / "photo.png"
    Image.fromarray(face_like(90, 70)).save(photo)
    f = handle_file(str(photo))

    def editor(layer):
        return {"background": f, "layers": [handle_file(layer)], "composite": f, "id": None}

    with pytest.raises(AppError, match="painted layer .*is 40x40, the photo 90x70"):
        client.predict("aegan-faces", editor(painted_layer((40, 40), tmp_path)), 10, 1, api_name="/inpaint")
    with pytest.raises(AppError, match="mask is empty"):
        client.predict("aegan-faces", editor(painted_layer((90, 70), tmp_path, fill=0.0)), 10, 1, api_name="/inpaint")
    masked, best, _ = client.predict(
        "aegan-faces", editor(painted_layer((90, 70), tmp_path, fill=1.0)), 10, 1, api_name="/inpaint"
    )
    assert image_size(best) == (128, 128)  # everything painted: a sample from the model


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    started = time.perf_counter()
    code = cli(argv)
    assert time.perf_counter() - started < REQUEST_LIMIT_S, argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_cli_command_on_every_hostile_file(tiny_models, tiny_directions, hostile, tmp_path, capsys):
    model = str(tiny_models["aegan"])
    masks = tmp_path / "masks"
    masks.mkdir()
    for name, path in hostile.items():
        size = image_size(path) if EXPECT_RESULT[name] else (40, 40)
        mask = masks / f"{path.stem}.png"
        Image.fromarray(np.full(size[::-1], 255, np.uint8)).save(mask)
        commands = {
            "project": ["project", "--image", str(path)],
            "inpaint": ["inpaint", "--image", str(path), "--mask", str(mask), "--steps", "10"],
            "colorize": ["colorize", "--image", str(path), "--steps", "10"],
            "interpolate": ["interpolate", "--keyframes", str(path), "seed:1", "--frames", "3"],
            "edit": ["edit", "--image", str(path), "--attribute", "Male", "--steps", "3"],
        }
        for command, args in commands.items():
            out = tmp_path / "out" / command / path.stem
            code, stdout, stderr = run_cli([args[0], "--checkpoint", model, "--out", str(out), *args[1:]], capsys)
            if EXPECT_RESULT[name]:
                assert code == 0, (command, name, stderr)
                written = [Path(line.split(" ", 1)[1]) for line in stdout.splitlines() if line.startswith("wrote ")]
                assert written and all(p.is_file() and p.resolve().is_relative_to(out.resolve()) for p in written)
            else:
                assert code == 1 and stderr.startswith("error: "), (command, name, stderr)
                assert name in stderr and re.search(PROBLEM_WORDS, stderr), (command, name, stderr)


def test_a_folder_with_hostile_files_writes_the_good_ones_and_fails_at_the_end(tiny_models, hostile, capsys, tmp_path):
    folder = next(iter(hostile.values())).parent
    code, stdout, stderr = run_cli(
        [
            "colorize",
            "--checkpoint",
            str(tiny_models["aegan"]),
            "--image",
            str(folder),
            "--out",
            str(tmp_path),
            "--steps",
            "10",
        ],
        capsys,
    )
    good = [n for n, ok in EXPECT_RESULT.items() if ok]
    bad = [n for n, ok in EXPECT_RESULT.items() if not ok]
    assert code == 1 and f"{len(bad)} of {len(EXPECT_RESULT)} images could not be used" in stderr
    assert all(f"skipped {folder / n}" in stderr for n in bad)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(Path(n).with_suffix(".png").name for n in good)


def test_cli_masks_of_another_size_empty_and_full(tiny_models, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(face_like(90, 70)).save(photo)
    masks = {"wrong": (40, 40, 255), "black": (90, 70, 0), "white": (90, 70, 255)}
    for name, (w, h, value) in masks.items():
        Image.fromarray(np.full((h, w), value, np.uint8)).save(tmp_path / f"{name}.png")
    base = ["inpaint", "--checkpoint", str(tiny_models["aegan"]), "--image", str(photo), "--steps", "10"]
    code, _, stderr = run_cli([*base, "--mask", str(tmp_path / "wrong.png"), "--out", str(tmp_path / "w")], capsys)
    assert code == 1 and "is 40x40, the photo 90x70" in stderr
    code, _, _ = run_cli(
        [*base, "--mask", str(tmp_path / "black.png"), "--out", str(tmp_path / "b"), "--blend", "none"], capsys
    )
    expected = load_photo(photo, 32)
    assert code == 0 and np.array_equal(
        np.asarray(Image.open(tmp_path / "b" / "photo.png")),
        (expected[0].permute(1, 2, 0).numpy() * 127.5 + 127.5).round().astype(np.uint8),
    )  # an empty mask gives the photo back
    code, _, _ = run_cli([*base, "--mask", str(tmp_path / "white.png"), "--out", str(tmp_path / "f")], capsys)
    assert code == 0 and Image.open(tmp_path / "f" / "photo.png").size == (32, 32)  # all masked: a sample


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_arrays_are_refused(bad):
    photo = np.random.default_rng(0).random((20, 20, 3))
    photo[3, 4, 1] = bad
    with pytest.raises(ImageInputError, match="NaN or infinite"):
        load_photo(photo, 32)
    with pytest.raises(ImageInputError, match="NaN or infinite"):
        load_mask(photo, 32)


def test_a_sixteen_bit_upload_reaches_our_decoder_not_gradios(client, hostile):
    """Gradio's own conversion clipped 16-bit photos to white; ours scales them."""
    from gradio_client import handle_file

    gray, _, _ = client.predict("aegan-faces", handle_file(str(hostile["gray-16bit.png"])), api_name="/colorize")
    with Image.open(gray) as im:
        assert 40 < np.asarray(im.convert("L")).mean() < 215


def test_the_studio_checks_every_number_itself(tiny_models, tiny_directions):
    """Behind the HTTP API, gan_demo.limits names the field and its range for any caller."""
    from gan_demo.studio import Studio

    studio = Studio.load(tiny_models["aegan"].parent)
    for args, problem in [
        ((float("nan"), 0.7, 4), "seed must be between"),
        ((0, float("inf"), 4), "truncation must be between 0.05 and 2.0"),
        ((0, 0.7, 10**9), "number of images must be between 1 and 32"),
        ((0, 0.7, 2.5), "number of images must be a whole number"),
        ((10**30, 0.7, 4), "seed must be between"),
    ]:
        with pytest.raises(ValueError, match=problem):
            studio.generate("aegan-faces", *args)
    with pytest.raises(ValueError, match="strength must be between -6.0 and 6.0"):
        studio.edit("aegan-faces", 0, None, {"Male": 100.0}, True)
    with pytest.raises(ValueError, match="steps must be between 10 and 300"):
        studio.inpaint_painted("aegan-faces", None, [], 10**6, 1)


def test_uploads_as_data_urls_and_too_many_layers(client, tmp_path):
    from gradio.data_classes import ImageData
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    from gan_demo.app.adapters import upload_source

    png = tmp_path / "photo.png"
    Image.fromarray(face_like(30, 20)).save(png)
    encoded = "data:image/png;base64," + __import__("base64").b64encode(png.read_bytes()).decode()
    assert upload_source(ImageData(path=None, url=encoded)) == png.read_bytes()
    with pytest.raises(Exception, match="carried no file"):
        upload_source(ImageData(path=None, url="https://example.com/x.png"))
    f = handle_file(str(png))
    layer = handle_file(painted_layer((30, 20), tmp_path))
    editor = {"background": f, "layers": [layer] * 9, "composite": f, "id": None}
    with pytest.raises(AppError, match="9 painted layers; at most 8"):
        client.predict("aegan-faces", editor, 10, 1, api_name="/inpaint")
