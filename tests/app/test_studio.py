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
