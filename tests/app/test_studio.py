"""gan_demo.studio: the app's operations on a photo, without Gradio."""

from functools import partial

import numpy as np
from PIL import Image

from gan_demo.data.datasets import load_images
from gan_demo.domain import conditional_keep
from gan_demo.studio import Studio, show


def test_edits_and_morphs_of_a_photo_keep_its_detail(tiny_models, tiny_directions, tmp_path):
    upload = tmp_path / "face.png"
    Image.fromarray(load_images(tiny_models["data"]).images[-1].permute(1, 2, 0).numpy()).save(upload)
    studio = Studio.load(tiny_models["aegan"].parent)
    model = studio.model("aegan-faces")
    z, detail = studio.code(model, 0, str(upload))
    assert detail.abs().max() > 0

    before, after, _, _ = studio.edit("aegan-faces", 0, str(upload), {"Male": 2.0}, True, guided=False)
    assert np.array_equal(np.asarray(before), np.asarray(show(model.generate(z, detail))[0]))
    assert not np.array_equal(np.asarray(before), np.asarray(show(model.generate(z))[0]))
    directions = studio.directions["aegan-faces"]
    edited = directions.shift(z, {"Male": 2.0}, keep=partial(conditional_keep, directions.names))
    assert np.array_equal(np.asarray(after), np.asarray(show(model.generate(edited, detail))[0]))

    frames, _, _ = studio.morph("aegan-faces", 0, 0, str(upload), None, 5, out_dir=str(tmp_path / "m"))
    assert np.array_equal(np.asarray(frames[0]), np.asarray(before))
    seed_only = show(model.generate(*studio.code(model, 0)))[0]
    assert np.array_equal(np.asarray(frames[-1]), np.asarray(seed_only))


def test_a_photo_is_projected_once_and_the_morph_preview_follows_the_photos(
    tiny_models, tiny_directions, tmp_path, monkeypatch
):
    """#18 items 6 and 7: re-editing or re-morphing a photo reuses its projection (kept by the
    photo's content, whatever its file is called), and the preview shows the photos' path."""
    import gan_demo.studio as studio_module

    data = load_images(tiny_models["data"]).images
    photo_a, photo_b, copy = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "a-again.png"
    for path, image in ((photo_a, data[-1]), (photo_b, data[-2]), (copy, data[-1])):
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(path)
    studio = Studio.load(tiny_models["aegan"].parent)
    projected = []
    real_subject = studio_module.subject
    monkeypatch.setattr(
        studio_module, "subject", lambda *a, **k: projected.append(k.get("photo") is not None) or real_subject(*a, **k)
    )
    studio.edit("aegan-faces", 0, str(photo_a), {"Male": 1.0}, True, guided=False)
    studio.edit("aegan-faces", 0, str(copy), {"Male": 2.0}, True, guided=False)  # the same pixels, another name
    frames, _, _ = studio.morph("aegan-faces", 0, 0, str(photo_a), str(photo_b), 5, out_dir=str(tmp_path / "m"))
    start = studio.morph_preview("aegan-faces", 0, 0, 0.0, "slerp", str(photo_a), str(photo_b))
    end = studio.morph_preview("aegan-faces", 0, 0, 1.0, "slerp", str(photo_a), str(photo_b))
    assert projected.count(True) == 2  # photo A once (its copy and the morph reuse it), photo B once
    assert np.abs(np.asarray(start, float) - np.asarray(frames[0], float)).max() <= 1
    assert np.abs(np.asarray(end, float) - np.asarray(frames[-1], float)).max() <= 1
    seeds = studio.morph_preview("aegan-faces", 0, 0, 0.0, "slerp")
    assert not np.array_equal(np.asarray(seeds), np.asarray(start))  # the photos' path, not the seeds'


def test_a_photo_gets_a_model_of_its_kind(tiny_models, tiny_directions, tmp_path):
    """#18 item 4: a digit on a face model, or a face on a digit model, is handed the model that
    fits it; a photo that fits keeps the chosen model."""
    from gan_demo.data.photos import looks_like_a_digit

    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255  # a "1": white on black
    face = load_images(tiny_models["data"]).images[-1].permute(1, 2, 0).numpy()
    gray_face = np.asarray(Image.fromarray(face).convert("L"))
    assert looks_like_a_digit(Image.fromarray(digit))
    assert not looks_like_a_digit(Image.fromarray(face)) and not looks_like_a_digit(Image.fromarray(gray_face))

    from pathlib import Path

    studio = Studio.load(Path(__file__).resolve().parents[2] / "checkpoints")  # faces and digits
    names = studio.generators()
    assert studio.model_for_photo("aegan-celeba64", Image.fromarray(digit), names) == "aegan-mnist"
    assert studio.model_for_photo("dcgan-mnist", Image.fromarray(face), names) == "aegan-celeba64"
    assert studio.model_for_photo("dcgan-celeba64", Image.fromarray(face), names) is None  # it fits
    assert studio.model_for_photo(None, Image.fromarray(digit), names) == "aegan-mnist"  # an example clicked


def test_a_warmed_studio_generates_below_truncation_1_without_waiting_for_the_lock(tiny_models):
    """launch's warm-up finds every generator's average face, so a first Generate at the default
    truncation does not queue behind a running optimisation (it found the average face there)."""
    import threading

    studio = Studio.load(tiny_models["aegan"].parent)
    assert studio.warm_up() > 0 and set(studio.averages) == set(studio.generators())
    answered = []
    with studio.lock:  # an optimisation running
        caller = threading.Thread(target=lambda: answered.append(studio.generate("aegan-faces", 0, 0.7, 4)))
        caller.start()
        caller.join(timeout=20)
    assert answered and len(answered[0]) == 4
