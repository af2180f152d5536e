"""The registry of model kinds: one row per kind, the only place that knows what a kind is.

A row says which inference networks the kind has and how each is built from a checkpoint's JSON
(its architecture and label names), which objective trains it, the training defaults it differs
in, and what it can do. The loader, the trainer, the latent toolkit and the app ask a row; none
of them compares kind names. `register` adds a kind from outside the package (docs/extending.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from torch import nn

from .nets import ArchConfig, Classifier, Encoder, Generator
from .unet import MapToFace, Segmenter, StyleEncoder
from .video import FramePredictor

MAX_LABELS = 1000  # a hostile JSON must not make us build a giant output layer
# sample: codes -> images; encode: images -> codes; classify: images -> labels; translate: an
# map -> a face; segment: a face -> its part map; predict: frames -> the next ones
ABILITIES = frozenset({"sample", "encode", "classify", "translate", "segment", "predict"})

# (architecture, label names) -> an untrained network, as the checkpoint's JSON describes it
Builder = Callable[[ArchConfig, Sequence[str]], nn.Module]


@dataclass(frozen=True)
class ModelKind:
    """One kind of model. `parts` maps each inference network's key prefix in the weights file
    ("G", "E", "C") to its builder; `objective` is its training objective, as a class or as
    "module:Class" (imported only when training)."""

    name: str
    parts: Mapping[str, Builder]
    objective: str | type
    abilities: frozenset[str]  # of ABILITIES
    defaults: Mapping[str, Any] = field(default_factory=dict)  # training settings (Hyper fields) it differs in
    arch_defaults: Mapping[str, int] = field(default_factory=dict)  # architecture numbers (ArchConfig) it differs in
    saves_as: str = ""  # the kind its checkpoint loads as, when not its own (an encoder refit is an aegan)
    gaussian_prior: bool = True  # codes are drawn from N(0, I) (a plain autoencoder's are not shaped at all)
    adversarial: bool = False  # trained against a discriminator, so its samples are sharp
    needs_labels: bool = False  # trains on the data's labels
    needs_source: bool = False  # refits networks of a trained checkpoint (train.py --generator)
    frozen_generator: bool = False  # its generator comes from the source and never changes
    story: str = ""  # what the course's AE -> VAE -> GAN -> AE+GAN comparison says of it
    title: str = ""  # its name for people ("AE+GAN"), where `name` is the registry's and the files'

    def __post_init__(self) -> None:
        unknown = set(self.abilities) - ABILITIES
        if unknown:
            raise ValueError(f"kind {self.name!r}: unknown abilities {sorted(unknown)}; known: {sorted(ABILITIES)}")

    @property
    def checkpoint_kind(self) -> str:
        return self.saves_as or self.name

    def can(self, ability: str) -> bool:
        return ability in self.abilities

    def build(self, arch: ArchConfig, label_names: Sequence[str] = ()) -> dict[str, nn.Module]:
        """Every inference network, untrained, from the architecture and label names alone."""
        return {prefix: build(arch, label_names) for prefix, build in self.parts.items()}

    def objective_class(self) -> type:
        if isinstance(self.objective, type):
            return self.objective
        module, _, name = self.objective.partition(":")
        return getattr(importlib.import_module(module), name)


_KINDS: dict[str, ModelKind] = {}


def register(kind: ModelKind) -> ModelKind:
    """Add a kind (or replace one of the same name); returns it."""
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (a test's or a plugin's); unknown names are ignored."""
    _KINDS.pop(name, None)


def get(name: str) -> ModelKind:
    if name not in _KINDS:
        raise KeyError(f"unknown model kind {name!r}; known: {', '.join(_KINDS)}")
    return _KINDS[name]


def names() -> list[str]:
    """Every registered kind, in registration order (the order the course tells them in)."""
    return list(_KINDS)


def generator(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return Generator(arch)


def encoder(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return Encoder(arch)


def posterior_encoder(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    """A VAE's encoder: mean and log-variance side by side."""
    return Encoder(arch, out_dim=2 * arch.z_dim)


def classifier(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    if not 0 < len(labels) <= MAX_LABELS:
        raise ValueError(f"a classifier needs 1 to {MAX_LABELS} label names, found {len(labels)}")
    return Classifier(arch, len(labels))


def predictor(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return FramePredictor(arch)


def segmenter(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return Segmenter(arch, part_classes(labels))


def translator(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return MapToFace(arch, part_classes(labels))


def style_encoder(arch: ArchConfig, labels: Sequence[str] = ()) -> nn.Module:
    return StyleEncoder(arch)


def part_classes(labels: Sequence[str]) -> int:
    """A face-map kind's labels are its map's class names."""
    if not 2 <= len(labels) <= 64:
        raise ValueError(f"a face-map model needs 2 to 64 class names, found {len(labels)}")
    return len(labels)


OBJECTIVES, PREDICTION = "gan_demo.training.objectives", "gan_demo.training.prediction"
TRANSLATION = "gan_demo.training.translation"
GAN_IMAGES, CODES_AND_IMAGES = frozenset({"sample"}), frozenset({"sample", "encode"})
# the course's AE -> VAE -> GAN -> AE+GAN comparison, one caption a kind, in its order
STORIES = {
    "ae": "Plain autoencoder: nothing shapes its code space, so random codes decode to smeared, unrealistic faces.",
    "vae": "VAE: the KL term pulls codes onto N(0, I), so random codes give faces, but the pixel loss makes them blurry.",
    "dcgan": "DCGAN: the discriminator judges realism, so samples are sharp, but there is no encoder for photos.",
    "aegan": "AE+GAN: sharp like the GAN, and its encoder maps your photo into the same space, so it can be edited.",
}
TITLES = {
    "ae": "Autoencoder", "vae": "VAE", "dcgan": "DCGAN", "aegan": "AE+GAN", "classifier": "Attribute classifier",
    "encoder": "Encoder refit", "video": "Video predictor", "video-gan": "Video predictor (GAN)",
    "segmenter": "Face segmenter", "pix2pix": "Map-to-face (pix2pix)",
}  # fmt: skip
AUTOENCODER = {"G": generator, "E": encoder}
for row in (
    ModelKind("ae", AUTOENCODER, f"{OBJECTIVES}:AutoEncoder", CODES_AND_IMAGES, gaussian_prior=False),
    ModelKind("vae", {"G": generator, "E": posterior_encoder}, f"{OBJECTIVES}:VAE", CODES_AND_IMAGES),
    ModelKind("dcgan", {"G": generator}, f"{OBJECTIVES}:DCGAN", GAN_IMAGES, adversarial=True),
    ModelKind("aegan", AUTOENCODER, f"{OBJECTIVES}:AEGAN", CODES_AND_IMAGES, adversarial=True),
    ModelKind(
        "classifier", {"C": classifier}, f"{OBJECTIVES}:AttributeClassifier", frozenset({"classify"}),
        defaults={"beta1": 0.9}, needs_labels=True,
    ),
    # A second stage, not a kind of its own on disk: an encoder fitted to a trained generator,
    # saved as an aegan. Its MMD weight was measured against 0.3: checkpoints/README.md, aegan-celeba64.
    ModelKind(
        "encoder", AUTOENCODER, f"{OBJECTIVES}:EncoderRefit", CODES_AND_IMAGES,
        defaults={"beta1": 0.9, "ema": 0.0, "prior_weight": 1.0}, saves_as="aegan", needs_source=True,
        frozen_generator=True,
    ),
    # Video frame prediction on Moving-MNIST clips made from digit images (gan_demo.data.moving_mnist);
    # arch.size is the digits' size, arch.width the predictor's. Rates: SimVP's 1e-3 for the pixel
    # losses; the GAN fine-tunes a trained predictor, at DCGAN's rates and beta1.
    ModelKind(
        "video", {"P": predictor}, f"{PREDICTION}:FramePrediction", frozenset({"predict"}),
        defaults={"lr": 1e-3, "beta1": 0.9},
    ),
    ModelKind(
        "video-gan", {"P": predictor}, f"{PREDICTION}:FramePredictionGAN", frozenset({"predict"}),
        saves_as="video", adversarial=True, needs_source=True,
    ),
    # Face <-> map (pix2pix) on faces joined to their part maps (train.py --maps). Widths from 32:
    # a U-Net of 1.9 M weights, a 34x34 PatchGAN; 8 style numbers. pix2pix's L1 weight 100, its
    # Adam (2e-4, beta1 0.5); the KL weight keeps BicycleGAN's ratio to L1 (0.01 to 10). The
    # segmenter's Dice term added 0.03 of held-out mIoU to the cross-entropy alone in equal time.
    ModelKind(
        "segmenter", {"segmenter": segmenter}, f"{TRANSLATION}:Segmentation", frozenset({"segment"}),
        defaults={"lr": 1e-3, "beta1": 0.9, "dice_weight": 1.0}, arch_defaults={"width": 32},
    ),
    ModelKind(
        "pix2pix", {"translator": translator, "style": style_encoder}, f"{TRANSLATION}:Pix2Pix",
        frozenset({"translate"}), defaults={"rec_weight": 100.0, "adv_weight": 1.0, "kl_weight": 0.1},
        arch_defaults={"width": 32, "z_dim": 8}, adversarial=True,
        gaussian_prior=False,  # the KL weight leaves its styles off N(0, I): drawn where they lie (code-scale)
    ),
):  # fmt: skip
    register(replace(row, story=STORIES.get(row.name, ""), title=TITLES[row.name]))
