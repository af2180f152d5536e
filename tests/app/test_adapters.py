"""The app's two upload components rely on Gradio internals (gan_demo/app/adapters.py): these
fail when a Gradio upgrade changes them, before a user meets a raw traceback."""

from __future__ import annotations

import base64

import pytest

gr = pytest.importorskip("gradio")
from gradio.components.image_editor import EditorData  # noqa: E402
from gradio.data_classes import FileData, ImageData  # noqa: E402

from gan_demo.app.adapters import mask_editor, painted, photo_upload  # noqa: E402


def test_the_page_draws_them_as_the_built_in_components_with_their_settings():
    photo, editor = photo_upload(label="Photo", height=123), mask_editor(label="Canvas", height=321)
    assert photo.get_block_name() == "image" and editor.get_block_name() == "imageeditor"
    assert (photo.get_config()["label"], photo.get_config()["height"]) == ("Photo", 123)
    assert photo.get_config()["type"] == "filepath" and photo.get_config()["image_mode"] is None
    assert (editor.get_config()["label"], editor.get_config()["height"]) == ("Canvas", 321)


def test_a_damaged_upload_reaches_our_decoder_untouched(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    assert photo_upload().preprocess(ImageData(path=str(junk))) == str(junk)  # Gradio's own would raise
    url = "data:image/png;base64," + base64.b64encode(b"raw bytes").decode()
    assert photo_upload().preprocess(ImageData(url=url)) == b"raw bytes"


def test_the_canvas_hands_on_its_photo_and_painted_layers(tmp_path):
    photo, layer = tmp_path / "photo.png", tmp_path / "layer.png"
    photo.write_bytes(b"damaged photo")
    layer.write_bytes(b"damaged layer")
    value = mask_editor().preprocess(
        EditorData(background=FileData(path=str(photo)), layers=[FileData(path=str(layer))])
    )
    assert painted(value) == (str(photo), [str(layer)])
    assert painted(None) == (None, [])


def test_stop_ends_a_shipped_models_long_fill_within_half_a_second_and_frees_the_lock():
    """The Stop flag (adapters.STOPS) is read at every optimisation step: a 300-step, 8-candidate
    fill of the shipped AE+GAN (about 20 s on 2 cores) ends, and frees the Studio's lock, at once."""
    import threading
    import time
    from pathlib import Path

    import numpy as np

    from gan_demo.app.adapters import STOPS, with_progress
    from gan_demo.studio import Studio

    studio = Studio.load(Path(__file__).resolve().parents[2] / "checkpoints")
    photo = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    layer = np.zeros((64, 64, 4), np.uint8)
    layer[20:44, 20:44] = 255

    def fill(name, photo, steps, candidates, on_step=None):
        return studio.inpaint_painted(name, photo, [layer], steps, candidates, on_step=on_step)

    class Request:
        session_hash = "me"

    callback = with_progress(fill, 4, 3, "inpaint")
    result = {}
    worker = threading.Thread(
        target=lambda: result.setdefault(
            "out", callback("aegan-celeba64", photo, 300, 8, Request(), lambda *a, **k: None)
        )
    )
    worker.start()
    time.sleep(1.5)
    assert studio.lock.locked() and worker.is_alive()
    stopped = time.perf_counter()
    assert STOPS.stop(("me", "inpaint")) and not STOPS.stop(("someone else", "inpaint"))
    worker.join(5)
    assert not worker.is_alive() and not studio.lock.locked()
    assert time.perf_counter() - stopped < 0.5
    assert all(isinstance(v, type(gr.skip())) for v in result["out"])  # outputs left as they were


def test_a_number_outside_its_range_is_a_quiet_user_error_in_every_sessions_copy():
    """Gradio copies a component for a session whenever an event updates it (the Attributes tab
    shows and hides its sliders): the copy's range check is the quiet, named one too."""
    from gan_demo.app.adapters import quiet_bounds

    quiet_bounds()
    quiet_bounds()  # once only, however often the app is built
    shown = gr.Slider(0.1, 1.0, 0.7, label="Truncation")
    copy = type(shown)(0.1, 1.0, 0.7, label="Truncation", visible=False)  # as Gradio makes it
    for slider in (shown, copy):
        with pytest.raises(gr.Error) as caught:
            slider.preprocess(5.0)
        assert caught.value.message == "Truncation: Value 5.0 is greater than maximum value 1.0."
        assert not caught.value.print_exception
        assert slider.preprocess(0.5) == 0.5
    with pytest.raises(gr.Error, match="Seed: Value -1.0 is less than minimum value 0"):
        gr.Number(0, minimum=0, label="Seed").preprocess(-1.0)


def test_stop_reaches_every_run_of_a_sessions_action():
    """A scripted session can run one action several times at once: Stop stops them all, and one
    ending leaves the others stoppable."""
    from gan_demo.app.adapters import StopFlags

    flags = StopFlags()
    first, second = flags.start(("me", "edit")), flags.start(("me", "edit"))
    flags.end(("me", "edit"), first)
    assert flags.stop(("me", "edit")) and second.is_set() and not first.is_set()
    flags.end(("me", "edit"), second)
    assert not flags.stop(("me", "edit"))
