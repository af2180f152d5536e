"""The current face's link: what it carries, and what a wrong one says."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

pytest.importorskip("gradio")

from gan_demo.app.faces import Face, face_from_link, seed_of_caption  # noqa: E402

MODELS = ["aegan-celeba64", "dcgan-celeba64"]


def test_a_face_comes_back_from_its_link():
    face = Face("dcgan-celeba64", 12, 0.65)
    query = dict(parse_qsl(face.link("attributes")[1:]))
    assert face_from_link(query, MODELS) == ("attributes", face)
    assert "link to this face" in face.line("attributes", "DCGAN")
    photo_line = Face("dcgan-celeba64", 0, 1.0, photo="/tmp/x.png").line("attributes", "DCGAN")
    assert "?" not in photo_line and "not photos" in photo_line  # an upload stays on its server


def test_a_page_without_a_face_in_its_address_opens_as_usual():
    assert face_from_link({}, MODELS) is None
    assert face_from_link({"tab": "generate"}, MODELS) is None


@pytest.mark.parametrize(
    "query, said",
    [
        ({"model": "nothing", "seed": "2"}, "is not served here"),
        ({"model": "aegan-celeba64", "seed": "two"}, "the link's face"),
        ({"model": "aegan-celeba64", "seed": "-1"}, "seed must be between"),
        ({"model": "aegan-celeba64", "seed": "1", "truncation": "5"}, "truncation must be between"),
    ],
)
def test_a_wrong_link_says_what_is_wrong(query, said):
    import gradio as gr

    with pytest.raises(gr.Error, match=said):
        face_from_link(query, MODELS)


def test_captions_give_their_seeds():
    assert seed_of_caption("seed 12") == 12
    assert seed_of_caption("a face") is None and seed_of_caption(None) is None
