"""Attribute directions for a trained model, from labelled photos (encoder) or labelled samples.
Digit models also get directions for stroke thickness and slant, measured on the same images."""

from __future__ import annotations

import torch

from gan_demo.data.datasets import load_images, split_holdout, to_float, to_uint8
from gan_demo.domain import DIGITS, STROKE_NAMES, domain_of
from gan_demo.latent.directions import Directions, fit_directions
from gan_demo.latent.strokes import stroke_labels
from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes


@torch.no_grad()
def encode_all(model: Pretrained, images_uint8: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([model.encode(to_float(part)).cpu() for part in images_uint8.split(batch)])


def directions_from_photos(model: Pretrained, data: str, holdout: int) -> Directions:
    """Encode the labelled training photos (never the held-out ones) and fit every attribute."""
    images = load_images(data, size=model.arch.size, channels=model.arch.channels)
    train, _ = split_holdout(images, holdout)
    if train.labels is None:
        raise ValueError(f"{data}: directions from photos need attribute labels")
    labels, names = with_strokes(train.labels, train.label_names, train.images)
    return fit_directions(encode_all(model, train.images), labels, names, f"{len(train)} encoded photos of {data}")


@torch.no_grad()
def directions_from_classifier(
    model: Pretrained, classifier: Pretrained, n: int, seed: int = 12345, batch: int = 256
) -> Directions:
    """Sample n codes, label the images with the classifier, and fit every attribute."""
    z = sample_codes(n, model.arch.z_dim, seed)
    names = list(classifier.label_names)
    digits = domain_of(names, classifier.arch.channels) is DIGITS
    probs, images = [], []
    for part in z.split(batch):
        samples = model.generate(part)
        probs.append(classifier.probabilities(samples).cpu())
        if digits:  # stroke measures need the images themselves: kept from the same pass, as uint8
            images.append(to_uint8(samples).cpu())
    labels = torch.cat(probs)
    if digits:
        labels, names = with_strokes(labels, names, torch.cat(images))
    return fit_directions(z, labels, names, f"{n} samples labelled by {classifier.name}")


def with_strokes(labels: torch.Tensor, names: list[str], images: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """Digit labels gain the two measured stroke attributes; any other labels stay as they are."""
    if domain_of(names, images.shape[1]) is not DIGITS:
        return labels, list(names)
    return torch.cat([labels.float(), stroke_labels(images)], 1), [*names, *STROKE_NAMES]
