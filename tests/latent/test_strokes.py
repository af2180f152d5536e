"""Digit stroke measures and the digit models' edit directions (identity, thickness, slant)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import TINY_ARCH

from gan_demo.domain import CONDITIONAL_KEEP, DIGIT_NAMES, STROKE_NAMES, conditional_keep
from gan_demo.latent.directions import Directions
from gan_demo.latent.strokes import stroke_labels, stroke_measures


def stroke(top: tuple[int, int], bottom: tuple[int, int], width: int) -> np.ndarray:
    image = np.zeros((32, 32), np.uint8)
    cv2.line(image, top, bottom, 255, width)
    return image


def measure(*images: np.ndarray) -> torch.Tensor:
    return stroke_measures(torch.from_numpy(np.stack(images)).unsqueeze(1))


def bar(width: int) -> np.ndarray:
    image = np.zeros((32, 32), np.uint8)
    image[4:28, 14 : 14 + width] = 255
    return image


def test_thickness_is_the_stroke_width_and_slant_its_lean():
    thin, thick = bar(2), bar(5)
    right, left = stroke((22, 4), (10, 27), 3), stroke((10, 4), (22, 27), 3)
    m = measure(thin, thick, right, left)
    assert 1.5 < m[0, 0] < 2.6 and 4.0 < m[1, 0] < 5.6, m[:, 0]  # widths 2 and 5
    assert abs(m[0, 1]) < 1 and abs(m[1, 1]) < 1  # upright
    expected = np.degrees(np.arctan(12 / 23))  # 12 pixels across over 23 down: about 27.6 degrees
    assert m[2, 1] == pytest.approx(expected, abs=3) and m[3, 1] == pytest.approx(-expected, abs=3)


def test_no_ink_measures_zero_and_bad_input_is_refused():
    assert measure(np.zeros((32, 32), np.uint8)).tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match="uint8 digits"):
        stroke_measures(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="uint8 digits"):
        stroke_measures(torch.zeros(2, 1, 32, 32))


def test_stroke_labels_split_at_the_median():
    images = [stroke((16, 4), (16, 27), w) for w in (1, 2, 4, 6)]
    labels = stroke_labels(torch.from_numpy(np.stack(images)).unsqueeze(1))
    assert labels[:, 0].tolist() == [0, 0, 1, 1]


def test_conditional_edits_of_digits_keep_the_digit_or_the_strokes():
    names = [*DIGIT_NAMES, *STROKE_NAMES]
    assert conditional_keep(names, "thickness") == DIGIT_NAMES  # a thicker 7 stays a 7
    assert conditional_keep(names, "7") == STROKE_NAMES  # a 7 made from a 1 keeps its strokes
    faces = ["Male", "Smiling", "Pale_Skin"]
    assert conditional_keep(faces, "Smiling") == [k for k in CONDITIONAL_KEEP if k in faces]


def test_shift_takes_one_keep_list_per_attribute():
    torch.manual_seed(0)
    k, dim = len(DIGIT_NAMES) + 2, 32
    table = torch.nn.functional.normalize(torch.randn(k, dim), dim=1)
    d = Directions([*DIGIT_NAMES, *STROKE_NAMES], table, table.clone(), torch.full((k,), 2.0))
    z = torch.randn(3, dim)
    both = d.shift(z, {"thickness": 1.5, "3": -1.0}, keep=lambda name: conditional_keep(d.names, name))
    one_by_one = z + 1.5 * d.step("thickness", keep=DIGIT_NAMES) - d.step("3", keep=STROKE_NAMES)
    assert torch.allclose(both, one_by_one, atol=1e-6)
    # the thickness step holds every digit's boundary
    assert (table[:10] @ d.step("thickness", keep=DIGIT_NAMES)).abs().max() < 1e-5


def test_a_digit_model_gets_identity_and_stroke_directions_and_edits(tmp_path, digits):
    import train
    from gan_demo.latent.attributes import directions_from_classifier, directions_from_photos
    from gan_demo.latent.directions import directions_path
    from gan_demo.models.checkpoints import load_checkpoint, save_checkpoint
    from gan_demo.models.pretrained import load_pretrained
    from gan_demo.studio import Studio

    tiny = [*TINY_ARCH, "--batch-size", "16", "--max-images", "64", "--holdout", "16"]
    for kind in ("aegan", "dcgan", "classifier"):
        assert train.main(["--model", kind, "--data", str(digits), "--out", str(tmp_path), *tiny]) == 0
    # scale the generator up: a few training steps leave its output almost constant
    tensors, meta = load_checkpoint(tmp_path / "aegan-digits")
    save_checkpoint(
        tmp_path / "aegan-digits",
        {k: (v.float() * 10).half() if k.startswith("G.") and v.dim() == 4 else v for k, v in tensors.items()},
        meta,
    )
    aegan = load_pretrained(tmp_path / "aegan-digits")
    from_photos = directions_from_photos(aegan, str(digits), 16)
    assert from_photos.names == [*DIGIT_NAMES, *STROKE_NAMES] and from_photos.linear.shape == (12, 16)
    from_photos.save(directions_path(tmp_path / "aegan-digits"))
    dcgan, classifier = load_pretrained(tmp_path / "dcgan-digits"), load_pretrained(tmp_path / "classifier-digits")
    assert directions_from_classifier(dcgan, classifier, 64).names == [*DIGIT_NAMES, *STROKE_NAMES]

    studio = Studio.load(str(tmp_path), torch.device("cpu"))
    assert studio.editable() == ["aegan-digits"] and studio.guided_available("aegan-digits")
    for guided in (False, True):  # the directions alone; then the digit classifier holding the digit
        before, after, read_before, _ = studio.edit("aegan-digits", 0, None, {"thickness": 3.0}, True, guided)
        assert np.abs(np.asarray(before, float) - np.asarray(after, float)).mean() > 0
        assert set(read_before) == set(DIGIT_NAMES)  # the digit classifier's read-out
