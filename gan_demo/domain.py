"""Faces or digits: each domain's vocabulary, and the one rule that says which a model is.

A domain names what its classifier reads (40 CelebA attributes, or one of ten digits), the
sliders the app shows, what a conditional edit holds, the course's example equation and the
attributes `evaluate` edits. Every module that asks "faces or digits?" asks `domain_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DIGIT_NAMES = [str(d) for d in range(10)]
STROKE_NAMES = ["thickness", "slant"]  # measured on the images (gan_demo.latent.strokes), not labelled
# what a conditional face edit holds (the app's and `evaluate`'s)
CONDITIONAL_KEEP = ["Male", "Young", "Smiling", "Eyeglasses", "Blond_Hair"]


@dataclass(frozen=True)
class Domain:
    name: str  # "faces" or "digits"
    noun: str  # one image of it: "face", "digit"
    label_kind: str  # what its classifier predicts: "attributes" (multi-label) or "classes" (one of k)
    sliders: tuple[str, ...]  # the attributes the app gives a slider of their own, in order
    first_edits: frozenset[str]  # sliders that start at 2, so the first click already shows an edit
    extra_default: str  # the app's "any other attribute" choice, when the model knows it
    equation: tuple[str, str, str]  # A, B, C of the equation builder's example
    edit_targets: tuple[str, ...]  # the attributes `evaluate` edits (classifier labels)


FACES = Domain(
    "faces",
    "face",
    "attributes",
    (
        *("Smiling", "Eyeglasses", "Male", "Young", "Blond_Hair"),
        *("Black_Hair", "Bald", "Mustache", "Heavy_Makeup", "Wearing_Hat"),
    ),
    frozenset({"Smiling"}),
    "Pale_Skin",
    ("Male, Eyeglasses", "Male, -Eyeglasses", "-Male, -Eyeglasses"),  # Radford et al.'s man with glasses
    ("Smiling", "Eyeglasses", "Male", "Blond_Hair"),
)
DIGITS = Domain(
    "digits",
    "digit",
    "classes",
    tuple(STROKE_NAMES),
    frozenset({"thickness"}),
    "0",
    ("8", "0", "1"),
    tuple(DIGIT_NAMES),
)
DOMAINS = (FACES, DIGITS)


def domain_of(label_names: Sequence[str], channels: int) -> Domain:
    """Digits when the labels (a model's training labels, a classifier's outputs or a directions
    file's names) include the ten digits; faces for other labels; unlabelled, by the channels
    (gray: digits)."""
    if set(DIGIT_NAMES) <= set(label_names):
        return DIGITS
    if label_names:
        return FACES
    return DIGITS if channels == 1 else FACES


def conditional_keep(names: Sequence[str], edited: str) -> list[str]:
    """What a conditional edit of `edited` holds, of the model's attribute `names`: on faces
    CONDITIONAL_KEEP; on digits the digit while a stroke measure changes, and the stroke measures
    while the digit changes (holding the other digits would block the change itself)."""
    if edited in STROKE_NAMES:
        return [n for n in DIGIT_NAMES if n in names]
    if edited in DIGIT_NAMES:
        return [n for n in STROKE_NAMES if n in names]
    return [k for k in CONDITIONAL_KEEP if k in names]


def parse_filters(text: str) -> dict[str, bool]:
    """The equation builder's set syntax: 'Male, Eyeglasses, -Smiling' -> {'Male': True,
    'Eyeglasses': True, 'Smiling': False}."""
    out = {}
    for token in (t.strip() for t in text.split(",")):
        if token:
            out[token.lstrip("+-")] = not token.startswith("-")
    return out
