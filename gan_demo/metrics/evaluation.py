"""Quality metrics, offline: FID/KID in the attribute classifier's feature space, PSNR, edit
success, projection, inpainting against OpenCV's Telea, colorization, classifier accuracy."""

from __future__ import annotations

import numpy as np
import torch

from gan_demo.data.datasets import load_images, split_holdout, to_float
from gan_demo.data.photos import to_uint8_hwc
from gan_demo.latent.directions import CONDITIONAL_KEEP, Directions, directions_path, sample_codes
from gan_demo.latent.guided import guided_edit
from gan_demo.latent.inversion import DETAIL_BOUND, colorize, inpaint, luminance, project, psnr
from gan_demo.models.pretrained import Pretrained, load_pretrained

EDIT_TARGETS = ["Smiling", "Eyeglasses", "Male", "Blond_Hair"]


@torch.no_grad()
def features(classifier: Pretrained, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([classifier.C.features(part.to(classifier.device)).double().cpu() for part in images.split(batch)])


def _sqrtm_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T


def fid(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, F)."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    c1, c2 = torch.cov(f1.T), torch.cov(f2.T)
    s1 = _sqrtm_psd(c1)
    cross = torch.linalg.eigvalsh(s1 @ c2 @ s1).clamp_min(0).sqrt().sum()
    # a distance is >= 0; float32 rounding leaves up to about -0.005 for identical sets
    return max(0.0, float((mu1 - mu2).pow(2).sum() + c1.trace() + c2.trace() - 2 * cross))


def kid(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """Unbiased squared MMD with the cubic polynomial kernel (Binkowski et al.)."""
    d = f1.shape[1]

    def k(a, b):
        return (a @ b.T / d + 1) ** 3

    m, n = f1.shape[0], f2.shape[0]
    kxx, kyy, kxy = k(f1, f1), k(f2, f2), k(f1, f2)
    return float((kxx.sum() - kxx.trace()) / (m * (m - 1)) + (kyy.sum() - kyy.trace()) / (n * (n - 1)) - 2 * kxy.mean())


def telea(photo: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """OpenCV's fast-marching inpainting (Telea 2004): the classical baseline."""
    import cv2

    img = to_uint8_hwc(photo)[0][..., ::-1]
    out = cv2.inpaint(np.ascontiguousarray(img), (hole[0, 0].numpy() * 255).astype(np.uint8), 3, cv2.INPAINT_TELEA)[
        ..., ::-1
    ]
    result = torch.from_numpy(out.copy()).permute(2, 0, 1).float().unsqueeze(0) / 127.5 - 1
    return result[:, : photo.shape[1]]


def centre_mask(size: int, side: int) -> torch.Tensor:
    mask = torch.zeros(1, 1, size, size)
    lo = (size - side) // 2
    mask[..., lo : lo + side, lo : lo + side] = 1
    return mask


def free_form_mask(size: int, seed: int) -> torch.Tensor:
    """Random thick brush strokes covering roughly 15-30 % of the image."""
    import cv2

    rng = np.random.default_rng(seed)
    canvas = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(2, 5)):
        points = rng.integers(4, size - 4, (rng.integers(3, 6), 2))
        cv2.polylines(
            canvas, [points.reshape(-1, 1, 2).astype(np.int32)], False, 255, int(rng.integers(size // 12, size // 6))
        )
    return torch.from_numpy(canvas > 0).float()[None, None]


def edited_codes(
    model: Pretrained,
    directions: Directions,
    attribute: str,
    z: torch.Tensor,
    sign: torch.Tensor,
    strength: float = 2.0,
    keep: list[str] = (),
    guide: Pretrained | None = None,
    detail: torch.Tensor | None = None,
) -> torch.Tensor:
    """Each code z (N, z_dim) moved by strength x the attribute's separation in the direction
    sign (N,) of +-1, along the (conditional) direction, or corrected by `guided_edit` when a
    `guide` classifier is given (reading the images with projected photos' `detail`)."""
    keep = [k for k in keep if k != attribute and k in directions.names]
    if guide is None:
        return z + sign.unsqueeze(1) * strength * directions.step(attribute, keep=keep)
    edited = z.clone()
    for s in (-1.0, 1.0):
        rows = sign == s
        if rows.any():
            edited[rows] = guided_edit(
                model,
                guide,
                directions,
                z[rows],
                {attribute: s * strength},
                keep,
                detail=None if detail is None else detail[rows],
            )
    return edited


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
    keep: list[str] = (),
    guide: Pretrained | None = None,
) -> dict:
    """Push each of n samples across the attribute's boundary (towards the side `classifier` says
    it is not on) and report `edit_report`; `guide` as in `edited_codes`."""
    z = sample_codes(n, model.arch.z_dim, seed=777)
    with torch.no_grad():
        before = classifier.probabilities(model.generate(z)).cpu()[:, classifier.label_names.index(attribute)]
    sign = torch.where(before > 0.5, -1.0, 1.0)
    edited = edited_codes(model, directions, attribute, z, sign, strength, keep, guide)
    return edit_report(model, classifier, z, edited, attribute)


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


def colourfulness(images: torch.Tensor) -> float:
    """Hasler and Suesstrunk's colourfulness (0 for gray), on 0-255 RGB."""
    rgb = images.add(1).mul(127.5)
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    return float((rg.std() ** 2 + yb.std() ** 2).sqrt() + 0.3 * (rg.mean() ** 2 + yb.mean() ** 2).sqrt())


def chroma(images: torch.Tensor) -> torch.Tensor:
    """YCbCr chroma channels (Cb, Cr) of RGB in [-1, 1]."""
    r, g, b = images[:, 0], images[:, 1], images[:, 2]
    return torch.stack([-0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b], 1)


def projection_psnr(model: Pretrained, photos: torch.Tensor, detail_bound: float, steps: int | None = None) -> float:
    """Mean PSNR of each photo's projection, with that bound on its detail (default steps unless given)."""
    return float(
        np.mean([psnr(project(model, x, steps=steps, detail_bound=detail_bound).image, x) for x in photos.split(1)])
    )


def encoder_psnr(model: Pretrained, photos: torch.Tensor) -> float:
    """Mean PSNR of G(E(x)) over the photos, one at a time (as a user's photo is encoded)."""
    return float(np.mean([psnr(model.generate(model.encode(x)).cpu(), x) for x in photos.split(1)]))


def evaluate(model: Pretrained, args) -> dict:
    """Every metric asked for in args.metrics, on the held-out images of args.data."""
    data = load_images(args.data, size=model.arch.size, channels=model.arch.channels)
    _, held = split_holdout(data, args.holdout)
    real = to_float(held.images)
    n = min(args.n, len(held))
    report: dict = {"checkpoint": model.name, "held_out_images": len(held)}
    classifier = load_pretrained(args.classifier, model.device) if args.classifier else None
    if classifier is not None and classifier.arch.channels != model.arch.channels:
        classifier = None
    metrics = set(args.metrics)
    if "classifier" in metrics and model.C is not None and held.labels is not None:
        probs = torch.cat([model.probabilities(part).cpu() for part in real.split(256)])
        if model.label_kind == "attributes":
            acc = ((probs > 0.5) == (held.labels > 0.5)).float().mean(0)
        else:
            acc = (probs.argmax(1) == held.labels.argmax(1)).float().mean().view(1)
        report["classifier_accuracy"] = {
            "mean": round(float(acc.mean()), 4),
            "per_label": {
                name: round(float(a), 4)
                for name, a in zip(model.label_names if model.label_kind == "attributes" else ["digit"], acc)
            },
        }
    if model.G is None or classifier is None:
        return report
    if "digits" in metrics and classifier.label_kind == "classes":
        report["digits"] = digit_balance(model, classifier)
    real_features = features(classifier, real[:n])
    if "fid" in metrics:
        samples = torch.cat(
            [model.generate(part).cpu() for part in sample_codes(n, model.arch.z_dim, seed=2024).split(256)]
        )
        f = features(classifier, samples)
        report["sample_fid_classifier_features"] = round(fid(f, real_features), 3)
        report["sample_kid_classifier_features"] = round(kid(f, real_features), 5)
        report["inception_fid"] = (
            "unavailable: needs torchmetrics and downloaded Inception weights (not fetched offline)"
        )
    if (
        "edit" in metrics
        and model.C is None
        and classifier.label_kind == "attributes"
        and directions_path(args.checkpoint).exists()
    ):
        directions = Directions.load(directions_path(args.checkpoint))
        report["edits"] = {
            attr: {
                "plain": edit_success(model, classifier, directions, attr),
                "conditional": edit_success(model, classifier, directions, attr, keep=CONDITIONAL_KEEP),
                "guided": edit_success(model, classifier, directions, attr, keep=CONDITIONAL_KEEP, guide=classifier),
            }
            for attr in EDIT_TARGETS
            if attr in directions.names
        }
    k = min(n, args.fit_n)  # optimisation-based metrics cost about a second per image
    if "projection" in metrics:  # projected twice: the code alone, then with the default detail
        report["projection_psnr_db"] = {
            **({"encoder_only": round(encoder_psnr(model, real[:k]), 2)} if model.has_encoder else {}),
            "optimised_code_only": round(projection_psnr(model, real[:k], 0.0), 2),
            "optimised": round(projection_psnr(model, real[:k], DETAIL_BOUND), 2),
        }
    if "inpainting" in metrics:
        # FID of few images is biased upwards: the same k photos without holes give its floor
        untouched = features(classifier, real[:k])
        report["inpainting"] = {
            "photos": k,
            "uncorrupted": {
                "fid": round(fid(untouched, real_features), 3),
                "kid": round(kid(untouched, real_features), 5),
            },
        }
        for name, make in (
            ("centre_24", lambda i: centre_mask(model.arch.size, model.arch.size * 3 // 8)),
            ("free_form", lambda i: free_form_mask(model.arch.size, i)),
        ):
            ours, base, p_ours, p_base = [], [], [], []
            for i, x in enumerate(real[:k].split(1)):
                hole = make(i)
                ours.append(inpaint(model, x, hole, seed=i).image)
                base.append(telea(x, hole))
                p_ours.append(psnr(ours[-1], x, hole))
                p_base.append(psnr(base[-1], x, hole))
            f_ours, f_base = features(classifier, torch.cat(ours)), features(classifier, torch.cat(base))
            report["inpainting"][name] = {
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
    if "colorization" in metrics and model.arch.channels == 3:
        outs = torch.cat([colorize(model, luminance(x), seed=i).image for i, x in enumerate(real[:k].split(1))])
        gray = luminance(real[:k]).expand(-1, 3, -1, -1)
        report["colorization"] = {
            "chroma_psnr_db": {
                "ours": round(psnr(chroma(outs), chroma(real[:k])), 2),
                "gray_input": round(psnr(chroma(gray), chroma(real[:k])), 2),
            },
            "colourfulness": {
                "ours": round(colourfulness(outs), 2),
                "gray_input": round(colourfulness(gray), 2),
                "real": round(colourfulness(real[:k]), 2),
            },
            "max_luminance_error": round(float((luminance(outs) - luminance(real[:k])).abs().max()), 4),
        }
    return report
