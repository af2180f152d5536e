"""The evaluation driver: every metric by name, on a checkpoint's held-out photos.

Each metric is one function registered under the name `evaluate --metrics` takes; it reads an
`Evaluation` (the model, the classifier that judges it, the held-out photos) and returns its part
of the report, or raises `Skipped` with the reason it does not apply. The maths is in
gan_demo.metrics.maths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from gan_demo.data.datasets import ImageData, load_images, split_holdout, to_float
from gan_demo.domain import DIGITS
from gan_demo.latent.directions import Directions, directions_path
from gan_demo.latent.edits import Keep, conditional_rule, edit_codes
from gan_demo.latent.inversion import DETAIL_BOUND, colorize, inpaint, luminance, project
from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.pretrained import Pretrained, classifier_for
from gan_demo.models.sampling import sample_codes

from .inpainting import centre_mask, free_form_mask, telea
from .maths import FID_SEED, chroma, colourfulness, features, fid, generator_scores, kid, psnr


class Skipped(Exception):
    """A metric that does not apply to this model; the message says why."""


@dataclass
class Evaluation:
    """What the metrics read: `held` are the held-out images; the first `n` judge FID, the first
    `fit_n` of those the optimisation metrics (about a second per photo)."""

    model: Pretrained
    classifier: Pretrained | None
    held: ImageData
    n: int
    fit_n: int
    directions: Directions | None = None
    real: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.real = to_float(self.held.images)
        self.n = min(self.n, len(self.held))
        self.fit_n = min(self.n, self.fit_n)

    def judge(self) -> Pretrained:
        """The classifier whose features and labels judge a generator."""
        if self.model.G is None:
            raise Skipped(f"{self.model.name} is a {self.model.kind}: it has no generator to judge")
        if self.classifier is None:
            raise Skipped(f"no classifier reads {self.model.name}'s images: pass --classifier")
        return self.classifier

    @cached_property
    def real_features(self) -> torch.Tensor:
        return features(self.judge(), self.real[: self.n])


METRICS: dict[str, Callable[[Evaluation], dict]] = {}


def metric(name: str):
    """Register a metric function under the name `--metrics` takes."""

    def register(fn: Callable[[Evaluation], dict]) -> Callable[[Evaluation], dict]:
        METRICS[name] = fn
        return fn

    return register


@metric("classifier")
def classifier_accuracy(ev: Evaluation) -> dict:
    """A classifier checkpoint's accuracy on the held-out labels."""
    model, held = ev.model, ev.held
    if model.C is None:
        raise Skipped(f"{model.name} is a {model.kind}, not a classifier")
    if held.labels is None:
        raise Skipped("the held-out images have no labels")
    probs = torch.cat([model.probabilities(part).cpu() for part in ev.real.split(256)])
    if model.label_kind == "attributes":
        acc = ((probs > 0.5) == (held.labels > 0.5)).float().mean(0)
    else:
        acc = (probs.argmax(1) == held.labels.argmax(1)).float().mean().view(1)
    names = model.label_names if model.label_kind == "attributes" else ["digit"]
    return {
        "classifier_accuracy": {
            "mean": round(float(acc.mean()), 4),
            "per_label": {name: round(float(a), 4) for name, a in zip(names, acc)},
        }
    }


@metric("digits")
def digits(ev: Evaluation) -> dict:
    classifier = ev.judge()
    if classifier.domain is not DIGITS:
        raise Skipped(f"{classifier.name} reads {classifier.domain.name}, not digits")
    return {"digits": digit_balance(ev.model, classifier)}


@metric("fid")
def sample_fid(ev: Evaluation) -> dict:
    """FID and KID of samples against the held-out photos, in the classifier's features."""
    codes = sample_codes(ev.n, ev.model.arch.z_dim, seed=FID_SEED)
    scores = generator_scores(ev.model.generate, codes, ev.judge(), ev.real_features)
    return {
        "sample_fid_classifier_features": round(scores["fid"], 3),
        "sample_kid_classifier_features": round(scores["kid"], 5),
        "inception_fid": "unavailable: needs torchmetrics and downloaded Inception weights (not fetched offline)",
    }


@metric("edit")
def edits(ev: Evaluation) -> dict:
    """The domain's edit targets, plain, conditional and guided, read by the classifier."""
    model, classifier, directions = ev.model, ev.judge(), ev.directions
    if directions is None:
        raise Skipped(f"{model.name} has no directions file")
    targets = [a for a in model.domain.edit_targets if a in directions.names and a in classifier.label_names]
    if not targets:
        raise Skipped(f"none of {model.domain.edit_targets} is both a direction and a label of {classifier.name}")
    keep = conditional_rule(directions)
    return {
        "edits": {
            attr: {
                "plain": edit_success(model, classifier, directions, attr),
                "conditional": edit_success(model, classifier, directions, attr, keep=keep),
                "guided": edit_success(model, classifier, directions, attr, keep=keep, guide=classifier),
            }
            for attr in targets
        }
    }


@metric("projection")
def projection(ev: Evaluation) -> dict:
    """Projected twice: the code alone, then with the default detail."""
    model, photos = ev.model, ev.real[: ev.fit_n]
    ev.judge()  # a generator is needed
    return {
        "projection_psnr_db": {
            **({"encoder_only": round(encoder_psnr(model, photos), 2)} if model.has_encoder else {}),
            "optimised_code_only": round(projection_psnr(model, photos, 0.0), 2),
            "optimised": round(projection_psnr(model, photos, DETAIL_BOUND), 2),
        }
    }


@metric("inpainting")
def inpainting(ev: Evaluation) -> dict:
    """Centre and free-form holes filled by the model and by OpenCV's Telea, PSNR in the hole and FID."""
    model, classifier, k = ev.model, ev.judge(), ev.fit_n
    photos, real_features = ev.real[:k], ev.real_features
    # FID of few images is biased upwards: the same k photos without holes give its floor
    untouched = features(classifier, photos)
    report = {
        "photos": k,
        "uncorrupted": {"fid": round(fid(untouched, real_features), 3), "kid": round(kid(untouched, real_features), 5)},
    }
    for name, make in (
        ("centre_24", lambda i: centre_mask(model.arch.size, model.arch.size * 3 // 8)),
        ("free_form", lambda i: free_form_mask(model.arch.size, i)),
    ):
        ours, base, p_ours, p_base = [], [], [], []
        for i, x in enumerate(photos.split(1)):
            hole = make(i)
            ours.append(inpaint(model, x, hole, seed=i).image)
            base.append(telea(x, hole))
            p_ours.append(psnr(ours[-1], x, hole))
            p_base.append(psnr(base[-1], x, hole))
        f_ours, f_base = features(classifier, torch.cat(ours)), features(classifier, torch.cat(base))
        report[name] = {
            "psnr_hole_db": {"ours": round(float(np.mean(p_ours)), 2), "telea": round(float(np.mean(p_base)), 2)},
            "fid_classifier_features": {
                "ours": round(fid(f_ours, real_features), 3),
                "telea": round(fid(f_base, real_features), 3),
            },
            "kid_classifier_features": {
                "ours": round(kid(f_ours, real_features), 5),
                "telea": round(kid(f_base, real_features), 5),
            },
        }
    return {"inpainting": report}


@metric("colorization")
def colorization(ev: Evaluation) -> dict:
    model, photos = ev.model, ev.real[: ev.fit_n]
    ev.judge()
    if model.arch.channels != 3:
        raise Skipped(f"{model.name} makes gray images: nothing to colour")
    outs = torch.cat([colorize(model, luminance(x), seed=i).image for i, x in enumerate(photos.split(1))])
    gray = luminance(photos).expand(-1, 3, -1, -1)
    return {
        "colorization": {
            "chroma_psnr_db": {
                "ours": round(psnr(chroma(outs), chroma(photos)), 2),
                "gray_input": round(psnr(chroma(gray), chroma(photos)), 2),
            },
            "colourfulness": {
                "ours": round(colourfulness(outs), 2),
                "gray_input": round(colourfulness(gray), 2),
                "real": round(colourfulness(photos), 2),
            },
            "max_luminance_error": round(float((luminance(outs) - luminance(photos)).abs().max()), 4),
        }
    }


def evaluate(
    model: Pretrained,
    data: str,
    holdout: int = 500,
    metrics: list[str] | None = None,
    classifier: str | None = None,
    n: int = 500,
    fit_n: int = 100,
) -> dict:
    """Every metric named (all by default, in METRICS' order), on the last `holdout` images of
    `data`, judged by `classifier` (default: the one that reads the model's images, see
    gan_demo.models.pretrained.classifier_for); a metric that does not apply says why under
    "skipped"."""
    wanted = list(METRICS) if metrics is None else list(metrics)
    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; known: {', '.join(METRICS)}")
    images = load_images(data, size=model.arch.size, channels=model.arch.channels)
    _, held = split_holdout(images, holdout)
    judge = None
    if model.G is not None:
        try:
            judge = classifier_for(model, classifier)
        except CheckpointError:
            if classifier is not None:
                raise
    path = directions_path(model.path) if model.path is not None else None
    directions = Directions.load(path) if path is not None and path.exists() else None
    ev = Evaluation(model, judge, held, n, fit_n, directions)
    report: dict = {"checkpoint": model.name, "held_out_images": len(held)}
    if judge is not None:
        report["classifier"] = judge.name
    skipped = {}
    for name in (m for m in METRICS if m in wanted):
        try:
            report.update(METRICS[name](ev))
        except Skipped as why:
            skipped[name] = str(why)
    if skipped:
        report["skipped"] = skipped
    return report


@torch.no_grad()
def edit_report(
    model: Pretrained,
    classifier: Pretrained,
    z: torch.Tensor,
    edited: torch.Tensor,
    attribute: str,
    detail: torch.Tensor | None = None,
) -> dict:
    """As read by `classifier`: the share of codes whose attribute changed sides, and the mean
    absolute change of the other attributes' probabilities (images drawn with `detail`, if any)."""
    i = classifier.label_names.index(attribute)
    before = classifier.probabilities(model.generate(z, detail)).cpu()
    after = classifier.probabilities(model.generate(edited, detail)).cpu()
    flipped = ((after[:, i] > 0.5) != (before[:, i] > 0.5)).float().mean()
    others = torch.ones(before.shape[1], dtype=torch.bool)
    others[i] = False
    return {
        "flip_rate": round(float(flipped), 3),
        "other_attributes_mean_abs_change": round(float((after - before)[:, others].abs().mean()), 4),
    }


def edit_success(
    model: Pretrained,
    classifier: Pretrained,
    directions: Directions,
    attribute: str,
    n: int = 200,
    strength: float = 2.0,
    keep: Keep = (),
    guide: Pretrained | None = None,
) -> dict:
    """Push each of n samples across the attribute's boundary (towards the side `classifier` says
    it is not on), as `edit_codes` edits with `keep` and `guide`, and report `edit_report`."""
    z = sample_codes(n, model.arch.z_dim, seed=777)
    edited = edit_codes(
        model, directions, z, {attribute: across(model, classifier, z, attribute) * strength}, keep, guide=guide
    )
    return edit_report(model, classifier, z, edited, attribute)


@torch.no_grad()
def across(model: Pretrained, classifier: Pretrained, z: torch.Tensor, attribute: str, detail=None) -> torch.Tensor:
    """Per code (N,), the sign of an edit across the attribute's boundary: -1 where `classifier`
    reads the attribute in the image, +1 where it does not."""
    before = classifier.probabilities(model.generate(z, detail)).cpu()[:, classifier.label_names.index(attribute)]
    return torch.where(before > 0.5, -1.0, 1.0)


@torch.no_grad()
def digit_balance(model: Pretrained, classifier: Pretrained, n: int = 1000) -> dict:
    """Over n samples: the share the digit classifier labels with confidence >= 0.9, and each
    class's share of the labels (a collapsed generator shows missing or dominant digits)."""
    probs = torch.cat(
        [
            classifier.probabilities(model.generate(part)).cpu()
            for part in sample_codes(n, model.arch.z_dim, seed=31).split(250)
        ]
    )
    confidence, label = probs.max(1)
    shares = torch.bincount(label, minlength=probs.shape[1]).float() / n
    return {
        "confident_share": round(float((confidence >= 0.9).float().mean()), 3),
        "class_shares": [round(float(v), 3) for v in shares],
        "min_share": round(float(shares.min()), 3),
        "max_share": round(float(shares.max()), 3),
    }


def projection_psnr(model: Pretrained, photos: torch.Tensor, detail_bound: float, steps: int | None = None) -> float:
    """Mean PSNR of each photo's projection, with that bound on its detail (default steps unless given)."""
    return float(
        np.mean([psnr(project(model, x, steps=steps, detail_bound=detail_bound).image, x) for x in photos.split(1)])
    )


def encoder_psnr(model: Pretrained, photos: torch.Tensor) -> float:
    """Mean PSNR of G(E(x)) over the photos, one at a time (as a user's photo is encoded)."""
    return float(np.mean([psnr(model.generate(model.encode(x)).cpu(), x) for x in photos.split(1)]))
