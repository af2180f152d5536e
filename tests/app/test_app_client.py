"""The real Gradio server, in-process on a free port, driven through gradio_client."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gr = pytest.importorskip("gradio")
from gradio_client import handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("up") / "face.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)).save(path)
    return str(path)


def image_size(path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_generate(client):
    gallery = client.predict("aegan-faces", 3, 0.7, 5, api_name="/generate")
    assert len(gallery) == 5 and image_size(gallery[0]["image"]) == (128, 128)


def test_morph_and_preview(client, photo):
    frames, gif, mp4 = client.predict("aegan-faces", 0, 1, handle_file(photo), None, 6, "slerp", api_name="/morph")
    assert len(frames) == 6 and Path(gif).suffix == ".gif"
    with Image.open(gif) as im:  # A -> B -> A, as large as the MP4 (the 32 px frames shown at 256)
        assert im.n_frames == 2 * 6 - 2 and im.size == (256, 256)
    import av

    with av.open(mp4) as clip:  # long enough to watch: the loop repeated to 4 s or more
        stream = clip.streams.video[0]
        assert (stream.width, stream.height) == (256, 256) and stream.frames / float(stream.average_rate) >= 4
    assert image_size(client.predict("dcgan-faces", 0, 1, 0.3, "lerp", api_name="/morph_preview")) == (128, 128)


def test_edit_and_equation(client):
    sliders = [1.0, 0.0, 0.0]  # Smiling, Eyeglasses, Male: the tiny data's attributes
    before, after, probs_before, probs_after = client.predict(
        "aegan-faces", 3, None, True, True, "Male", 0.5, *sliders, api_name="/edit"
    )
    assert image_size(before) == image_size(after) == (128, 128)
    assert {c["label"] for c in probs_before["confidences"]} == {"Eyeglasses", "Male", "Smiling"}
    assert all(0 <= c["confidence"] <= 1 for c in probs_after["confidences"])
    exemplars, result, implied = client.predict(
        "aegan-faces", "Male, Eyeglasses", "Male, -Eyeglasses", "-Male", 0, api_name="/equation"
    )
    # 32 px images with 2 px gaps, shown at 4x: 3 rows of 3 exemplars and their mean; a 3x3 grid
    assert image_size(exemplars) == (4 * (4 * 34 + 2), 4 * (3 * 34 + 2))
    assert image_size(result) == (4 * (3 * 34 + 2),) * 2
    assert "-Male, Eyeglasses" in implied


def test_inpaint_from_editor(client, photo, tmp_path):
    layer = np.zeros((70, 90, 4), np.uint8)
    layer[20:50, 30:60] = (255, 0, 255, 255)
    Image.fromarray(layer).save(tmp_path / "layer.png")
    editor = {
        "background": handle_file(photo),
        "layers": [handle_file(str(tmp_path / "layer.png"))],
        "composite": handle_file(photo),
        "id": None,
    }
    masked, best, others = client.predict("aegan-faces", editor, 10, 3, api_name="/inpaint")
    assert image_size(masked) == image_size(best) == (128, 128)
    assert image_size(others) == (4 * (3 * 34 + 2), 4 * 36)  # 3 candidates of 32 px with 2 px gaps, x4


def test_inpaint_without_a_painted_mask_is_a_clear_error(client, photo):
    editor = {"background": handle_file(photo), "layers": [], "composite": handle_file(photo), "id": None}
    with pytest.raises(AppError, match="paint over"):
        client.predict("aegan-faces", editor, 10, 1, api_name="/inpaint")


def test_colorize(client, photo):
    gray, colour, original = client.predict("aegan-faces", handle_file(photo), api_name="/colorize")
    assert image_size(gray) == image_size(colour) == (128, 128) and original is not None


def test_bad_upload_is_a_clear_error_and_the_server_survives(client, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(AppError, match="Truncated|damaged or truncated|not a readable image|cannot identify"):
        client.predict("aegan-faces", handle_file(str(junk)), api_name="/colorize")
    assert len(client.predict("dcgan-faces", 1, 1.0, 2, api_name="/generate")) == 2


def test_story(client, photo):
    out = client.predict(handle_file(photo), 0, api_name="/story")
    captions = [out[i] for i in range(0, 12, 3)]
    assert any("dcgan-faces" in c for c in captions) and any("aegan-faces" in c for c in captions)
    aegan_row = next(i for i in range(0, 12, 3) if "aegan-faces" in out[i])
    assert out[aegan_row + 2] is not None  # the AE+GAN reconstructs the photo


def test_video_prediction_by_seed_and_by_placed_digits(client):
    animation, mse, ssim, identity, gif, mp4 = client.predict(
        "held-out clip", 4, "3", "7", 30, -150, 10, api_name="/predict_clip"
    )
    with Image.open(animation) as im:  # truth, copy-last, pixel loss and GAN side by side, 10 in + 10 out
        assert im.n_frames == 20 and im.size == (4 * 128 + 3 * 4, 168)
    methods = {row[2] for row in mse["data"]}
    assert methods == {"copy last frame", "pixel loss (video-digits)", "GAN (video-digits-gan)"}
    assert len(mse["data"]) == 30 and all(-1 <= row[1] <= 1 for row in ssim["data"])
    assert Path(mp4).stat().st_size > 1000 and Path(gif).suffix == ".gif"
    longer, *_ = client.predict("two digits I place", 1, "0", "9", 0, 90, 30, api_name="/predict_clip")
    with Image.open(longer) as im:
        assert im.n_frames == 40
    with pytest.raises(AppError, match="greater than maximum value 90"):
        client.predict("held-out clip", 0, "3", "7", 0, 0, 500, api_name="/predict_clip")


def canvas(value: dict) -> dict:
    """An editor value the server sent, as the client sends it back (files by handle)."""
    return {"background": handle_file(value["background"]), "layers": [], "composite": handle_file(value["composite"])}


def test_face_to_map_to_face(client, photo, tmp_path):
    face, value = client.predict(0, api_name="/map_start")
    with Image.open(value["composite"]) as im:
        painted = np.asarray(im.convert("RGB")).copy()
    assert image_size(face) == (32, 32) and painted.shape == (256, 256, 3)
    gan, l1, score = client.predict(canvas(value), 1, 3, None, api_name="/map_to_face")
    assert image_size(gan) == image_size(l1) == (3 * 32, 32)  # one face per style, a row per translator
    assert "pix2pix (L1 + cGAN)" in score and "L1 only" in score
    with Image.open(gan) as im:
        row = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(row[:, :32] - row[:, 32:64]).mean() > 0  # two styles of one map differ
    # an edit: a block of "eyes" painted in, read back from the composite
    painted[100:140, 60:200] = (40, 120, 255)
    edited = tmp_path / "edited.png"
    Image.fromarray(painted).save(edited)
    again = client.predict(
        {"background": handle_file(value["background"]), "layers": [], "composite": handle_file(str(edited))},
        1, 3, handle_file(photo), api_name="/map_to_face",
    )  # fmt: skip
    assert not np.array_equal(np.asarray(Image.open(again[0])), np.asarray(Image.open(gan)))
    upload_face, upload_value = client.predict(handle_file(photo), api_name="/map_of_photo")
    assert image_size(upload_face) == (32, 32) and Path(upload_value["composite"]).exists()
    square = tmp_path / "square.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(square)
    with pytest.raises(AppError, match="no class colour"):  # a photo is not a map
        client.predict(
            {"background": handle_file(str(square)), "layers": [], "composite": handle_file(str(square))},
            0,
            2,
            None,
            api_name="/map_to_face",
        )
    with pytest.raises(AppError, match="square"):
        wide = tmp_path / "wide.png"
        Image.fromarray(painted[:, :200]).save(wide)
        client.predict(
            {"background": handle_file(str(wide)), "layers": [], "composite": handle_file(str(wide))},
            0,
            2,
            None,
            api_name="/map_to_face",
        )


def answered_while_three_wait_for_the_lock(studio, waiting, passing) -> tuple:
    """`passing()`'s answer, got while three `waiting()` calls wait for the optimisation lock
    (held here, as a running optimisation holds it) in their workers."""
    with studio.lock:
        jobs = [waiting() for _ in range(3)]
        time.sleep(1.0)  # the three in their workers, waiting for the lock
        answer = passing().result(timeout=30)
        assert not any(job.done() for job in jobs)  # answered while they still wait
    for job in jobs:
        job.result(timeout=60)
    return answer


def test_calls_that_need_no_lock_pass_those_waiting_for_it(served_studio, client, tmp_path):
    """A guided edit, or a morph of a photo (projected first), waits for the optimisation lock in
    one of its endpoint's workers; a plain edit, or a morph between seeds, is answered at once,
    not queued behind three of them (with 2 workers it waited for the running optimisation)."""
    studio, _ = served_studio
    # a seed's face at truncation 1: below 1 the average face is needed, found once behind the lock
    edit = dict(name="aegan-faces", seed=3, strength_Smiling=1.0, truncation=1.0, api_name="/edit")
    before, changed, *_ = answered_while_three_wait_for_the_lock(
        studio, lambda: client.submit(guided=True, **edit), lambda: client.submit(guided=False, **edit)
    )
    assert image_size(before) == image_size(changed) == (128, 128)
    photo = tmp_path / "new.png"  # a photo not projected before: no projection kept to reuse
    Image.fromarray(np.random.default_rng(7).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(photo)
    morph = dict(name="aegan-faces", seed_a=0, seed_b=1, frames=4, truncation=1.0, api_name="/morph")
    frames, *_ = answered_while_three_wait_for_the_lock(
        studio, lambda: client.submit(photo_a=handle_file(str(photo)), **morph), lambda: client.submit(**morph)
    )
    assert len(frames) == 4


def test_every_endpoint_is_named_described_and_typed(client):
    """The API as `view_api()` shows it: a description for every endpoint, every parameter and
    answer named after what it holds (no `param_7`, no `value_112`), step-1 sliders typed as
    integers, photos that may be left out marked optional; and a call by keyword works."""
    import re

    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/generate", "/edit", "/equation", "/inpaint", "/story", "/lab_play", "/train"} <= set(endpoints)
    for name, endpoint in endpoints.items():
        assert endpoint["description"].strip(), name
        for parameter in endpoint["parameters"]:
            assert not re.fullmatch(r"param_\d+", parameter["parameter_name"]), (name, parameter)
        for answer in endpoint["returns"]:
            assert not re.fullmatch(r"value_\d+", answer["label"]), (name, answer)

    def parameter(endpoint: str, name: str) -> dict:
        return next(p for p in endpoints[endpoint]["parameters"] if p["parameter_name"] == name)

    for endpoint, name in [
        ("/generate", "n"),
        ("/morph", "frames"),
        ("/inpaint", "candidates"),
        ("/lab_step", "layers"),
    ]:
        assert parameter(endpoint, name)["python_type"]["type"] == "int", (endpoint, name)
    for endpoint, name in [("/edit", "photo"), ("/morph", "photo_a"), ("/story", "photo"), ("/train", "upload")]:
        assert parameter(endpoint, name)["parameter_has_default"], (endpoint, name)
    assert not parameter("/colorize", "upload")["parameter_has_default"]  # colorize needs its photo
    assert parameter("/edit", "strength_Male")["python_type"]["type"] == "float"

    before, after, *_ = client.predict(name="aegan-faces", seed=3, strength_Smiling=1.5, api_name="/edit")
    assert image_size(before) == image_size(after) == (128, 128)


def test_expected_user_errors_are_clear_pathless_and_leave_no_traceback(client, tmp_path, capfd):
    """Each expected mistake gets a message naming the problem (and the file by its own name, not
    the server's cache folder), and the server's log holds no traceback for any of them."""
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    (tmp_path / "notes.txt").write_text("hello")
    broken, notes = handle_file(str(tmp_path / "broken.png")), handle_file(str(tmp_path / "notes.txt"))
    capfd.readouterr()
    mistakes = {
        "no image given": lambda: client.predict("aegan-faces", None, api_name="/colorize"),
        "broken.png: not a readable image": lambda: client.predict("aegan-faces", broken, api_name="/colorize"),
        "notes.txt: not a readable image": lambda: client.predict(name="aegan-faces", photo_a=notes, api_name="/morph"),
        "no label 'Nonsense'": lambda: client.predict(
            "aegan-faces", "Nonsense", "Male", "Male", 0, api_name="/equation"
        ),
        "upload a zip": lambda: client.predict(source="My images (a zip)", api_name="/train"),
        "paint a map first": lambda: client.predict(None, 0, 3, None, api_name="/map_to_face"),
        # outside a slider's range: Gradio's own check, named after the slider
        "Truncation: Value 5.0 is greater than maximum value 1.0": lambda: client.predict(
            "aegan-faces", 0, 5.0, 4, api_name="/generate"
        ),
    }
    for expected, call in mistakes.items():
        with pytest.raises(AppError) as caught:
            call()
        message = str(caught.value)
        assert expected in message and "/tmp" not in message and "gradio" not in message, message
    log = capfd.readouterr()
    assert "Traceback" not in log.err + log.out, log.err[-3000:]
