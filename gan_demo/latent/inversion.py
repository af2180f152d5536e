"""Photo -> latent code, and the edits built on it: projection, inpainting, colorization.

All take and return NCHW float images in [-1, 1] at the model's size. The optimisation runs a
batch of candidate codes at once and keeps the best, so restarts cost one batched pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes

# How far (per feature, in the first block's post-ReLU units) a projection's detail may move the
# generator's 4x4 feature map. 0.15 lifts the AE+GAN's held-out projection from 21.6 to about
# 26 dB while attribute edits of the projected photos flip as often as from the code alone;
# 0.3 fits closer but edits less (bench/card_analysis.py projection-edits, model card).
DETAIL_BOUND = 0.15


@dataclass
class Fit:
    """The best code found, its image, the loss it reached, and every candidate's image; `detail`
    is the projection's residual on the generator's first feature map (None when not fitted)."""

    z: torch.Tensor  # (1, z_dim)
    image: torch.Tensor  # (1, C, S, S)
    loss: float
    candidates: torch.Tensor  # (K, C, S, S), best first
    detail: torch.Tensor | None = None  # (1, *G.detail_shape())


def prior_penalty(z: torch.Tensor) -> torch.Tensor:
    """Keep each code near the shell of radius sqrt(z_dim) where N(0, I) puts almost all its mass."""
    return (z.norm(dim=1) / z.shape[1] ** 0.5 - 1).pow(2)


def initial_codes(model: Pretrained, targets: torch.Tensor, candidates: int, seed: int, score) -> torch.Tensor:
    """Candidate starting codes, `candidates` per photo, photo by photo (B * K, z_dim): the
    encoder's code (plus small perturbations) when there is an encoder; otherwise, for each
    photo, the best-scoring of many random codes (`score(images, rows)` is the data loss of each
    image against photo rows[i])."""
    z_dim = model.arch.z_dim
    if model.has_encoder:
        z0 = model.encode(targets).cpu()
        noise = sample_codes(candidates, z_dim, seed) * 0.3
        noise[0] = 0
        return (z0[:, None] + noise[None]).reshape(-1, z_dim)
    pool = sample_codes(max(64, 8 * candidates), z_dim, seed)
    with torch.no_grad():
        images = model.render(pool.to(model.device))
        best = [
            score(images, torch.full((len(pool),), b, device=model.device)).cpu().argsort()[:candidates]
            for b in range(len(targets))
        ]
    return torch.cat([pool[order] for order in best])


def budget(model: Pretrained, steps: int | None, candidates: int | None) -> tuple[int, int]:
    """Default optimisation budget, about a second on a 2-core CPU: with an encoder one start
    refined longer; without one, several random starts."""
    return steps or (100 if model.has_encoder else 60), candidates or (1 if model.has_encoder else 4)


def optimise(
    model: Pretrained,
    z: torch.Tensor,
    loss_fn,
    steps: int,
    rows: torch.Tensor | None = None,
    lr: float = 0.1,
    prior_weight: float | None = None,
    on_step: Callable[[int, int], None] | None = None,
    detail_bound: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Adam on a batch of codes, and with `detail_bound` > 0 on a residual of the generator's
    first feature map kept within +-detail_bound; returns the codes, the residuals (None without
    one) and each one's final data loss. `loss_fn(images, rows)` is each image's data loss against
    photo rows[i] (all photo 0 when `rows` is None); every code's loss is its own, so a batch of
    photos optimises as each alone would. `on_step(done, total)` reports progress (and may raise
    to cancel)."""
    if prior_weight is None:  # a plain AE's codes are not Gaussian: no prior to pull them towards
        prior_weight = 0.05 if model.spec.gaussian_prior else 0.0
    if detail_bound < 0:
        raise ValueError(f"detail bound must be >= 0, got {detail_bound}")
    z = z.to(model.device).clone().requires_grad_(True)
    rows = torch.zeros(len(z), dtype=torch.long, device=model.device) if rows is None else rows.to(model.device)
    groups = [{"params": [z], "lr": lr}]
    detail = None
    if detail_bound > 0 and model.detail_shape() is not None:
        detail = torch.zeros(z.shape[0], *model.detail_shape(), device=model.device, requires_grad=True)
        # Adam's steps are about lr each: the bound is reachable in a tenth of the steps, but never
        # in fewer than four, so a short run cannot fling every entry to the bound at once
        groups.append({"params": [detail], "lr": min(detail_bound / 4, 10 * detail_bound / max(steps, 1))})
    opt = torch.optim.Adam(groups)
    model.G.requires_grad_(False)
    for step in range(steps):
        if on_step is not None:
            on_step(step, steps)
        data_loss = loss_fn(model.render(z, detail), rows)
        loss = (data_loss + prior_weight * prior_penalty(z)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if detail is not None:
            with torch.no_grad():
                detail.clamp_(-detail_bound, detail_bound)
    with torch.no_grad():
        detail = detail.detach() if detail is not None else None
        return z.detach(), detail, loss_fn(model.render(z, detail), rows)


def _pick(
    model: Pretrained, z: torch.Tensor, detail: torch.Tensor | None, losses: torch.Tensor, photos: int, finish
) -> list[Fit]:
    """Per photo, its candidates (consecutive rows) best first; `finish(images, b)` turns photo b's
    candidates into what is returned (blended, recoloured)."""
    fits = []
    k = len(z) // photos
    for b in range(photos):
        part = slice(b * k, (b + 1) * k)
        order = losses[part].argsort()
        zb, db = z[part][order], None if detail is None else detail[part][order]
        with torch.no_grad():
            images = finish(model.generate(zb, db), b)
        best = None if db is None else db[:1].cpu()
        fits.append(Fit(zb[:1].cpu(), images[:1].cpu(), float(losses[part][order[0]]), images.cpu(), best))
    return fits


def rows_for(photos: int, candidates: int, device: torch.device) -> torch.Tensor:
    """Which photo each of the photos x candidates codes belongs to, photo by photo."""
    return torch.arange(photos, device=device).repeat_interleave(candidates)


def project(
    model: Pretrained,
    photo: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    feature_weight: float = 0.1,
    on_step: Callable[[int, int], None] | None = None,
    detail_bound: float = DETAIL_BOUND,
) -> Fit:
    """Find z with G(z) close to the photo: pixel L2 plus, when a classifier is given as
    `model.C`, its feature distance; encoder initialisation when the model has one. With
    `detail_bound` > 0 a bounded residual on the generator's first feature map is fitted too
    (layer-wise inversion, as in Bau et al. 2019): it carries what the code cannot, and edits and
    morphs of the photo keep it; 0 fits the code alone."""
    return project_all(model, photo, steps, candidates, seed, feature_weight, on_step, detail_bound)[0]


def project_all(
    model: Pretrained,
    photos: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    feature_weight: float = 0.1,
    on_step: Callable[[int, int], None] | None = None,
    detail_bound: float = DETAIL_BOUND,
) -> list[Fit]:
    """`project` for a batch of photos (B, C, S, S) in one optimisation: a Fit per photo."""
    targets = photos.to(model.device)
    features = None
    if model.C is not None:
        with torch.no_grad():
            features = model.C.features(targets)

    def loss_fn(images: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        loss = (images - targets[rows]).pow(2).flatten(1).mean(1)
        if features is not None:
            loss = loss + feature_weight * (model.C.features(images) - features[rows]).pow(2).mean(1)
        return loss

    steps, candidates = budget(model, steps, candidates)
    z0 = initial_codes(model, targets, candidates, seed, loss_fn)
    rows = rows_for(len(targets), candidates, model.device)
    z, detail, losses = optimise(model, z0, loss_fn, steps, rows, on_step=on_step, detail_bound=detail_bound)
    return _pick(model, z, detail, losses, len(targets), lambda images, b: images)


def blank_detail(model: Pretrained, n: int = 1) -> torch.Tensor | None:
    """The detail of a sampled code: none, as zeros so that photos and seeds stack and morph alike
    (None for a generator that takes no detail)."""
    shape = model.detail_shape()
    return None if shape is None else torch.zeros(n, *shape)


def project_code_and_detail(
    model: Pretrained,
    photo: torch.Tensor,
    detail_bound: float = DETAIL_BOUND,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A photo's projected code (1, z_dim) and detail (zeros when `detail_bound` is 0, None for a
    generator without one), on the CPU: what edits and morphs of the photo start from."""
    fit = project(model, photo, detail_bound=detail_bound, on_step=on_step)
    return fit.z, fit.detail if fit.detail is not None else blank_detail(model)


def context_weights(mask_hole: torch.Tensor, window: int = 7) -> torch.Tensor:
    """Yeh et al.'s importance weights: a known pixel counts by the share of hole pixels around it,
    so the context right next to the hole matters most; hole pixels weigh 0."""
    share = F.avg_pool2d(mask_hole, window, stride=1, padding=window // 2, count_include_pad=False)
    return (1 - mask_hole) * (share + 0.05)


def feather(mask_hole: torch.Tensor, width: int = 2) -> torch.Tensor:
    """Blend weight: 1 in the hole, falling to 0 within `width` pixels outside it, 0 elsewhere."""
    if width <= 0:
        return mask_hole
    grown = F.max_pool2d(mask_hole, 2 * width + 1, stride=1, padding=width)
    soft = F.avg_pool2d(grown, 2 * width + 1, stride=1, padding=width, count_include_pad=False)
    return torch.maximum(mask_hole, soft * grown)


def poisson_blend(photo: torch.Tensor, fill: torch.Tensor, mask_hole: torch.Tensor) -> torch.Tensor:
    """OpenCV's seamlessClone of the completion into the photo, inside the (slightly grown) hole."""
    import cv2

    from gan_demo.data.photos import to_uint8_hwc

    src, dst = to_uint8_hwc(fill)[0], to_uint8_hwc(photo)[0]
    grown = F.max_pool2d(mask_hole, 3, stride=1, padding=1)[0, 0].cpu().numpy()
    ys, xs = np.nonzero(grown)
    h, w = grown.shape
    # seamlessClone needs the region inside the frame, away from its border
    ys, xs = ys.clip(1, h - 2), xs.clip(1, w - 2)
    region = np.zeros((h, w), np.uint8)
    region[ys, xs] = 255
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    centre = (int((x0 + x1 + 1) // 2), int((y0 + y1 + 1) // 2))
    out = cv2.seamlessClone(
        np.ascontiguousarray(src[..., ::-1]), np.ascontiguousarray(dst[..., ::-1]), region, centre, cv2.NORMAL_CLONE
    )[..., ::-1]
    result = torch.from_numpy(out.copy()).permute(2, 0, 1).float().unsqueeze(0) / 127.5 - 1
    if photo.shape[1] == 1:
        result = result.mean(1, keepdim=True)
    keep = 1 - torch.from_numpy(region > 0).float()[None, None]
    return photo.cpu() * keep + result * (1 - keep)


BLENDS = ("feather", "poisson", "none")


def inpaint(
    model: Pretrained,
    photo: torch.Tensor,
    mask_hole: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    blend: str = "feather",
    on_step: Callable[[int, int], None] | None = None,
) -> Fit:
    """Fill the hole (mask 1) from the generator's manifold: optimise z on the weighted context
    loss plus the prior, keep the best candidate, and blend the known pixels back.

    Outside the hole the photo comes back unchanged, but for a 2-pixel feathered band
    (`blend="feather"`) or the grown hole edge (`blend="poisson"`); `blend="none"` pastes exactly.
    An empty mask returns the photo; a full mask returns samples.
    """
    return inpaint_all(model, photo, mask_hole, steps, candidates, seed, blend, on_step)[0]


def inpaint_all(
    model: Pretrained,
    photos: torch.Tensor,
    holes: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    blend: str = "feather",
    on_step: Callable[[int, int], None] | None = None,
) -> list[Fit]:
    """`inpaint` for a batch of photos (B, C, S, S) and their holes (B, 1, S, S) in one
    optimisation: a Fit per photo."""
    if holes.shape[-2:] != photos.shape[-2:] or len(holes) != len(photos):
        raise ValueError(f"masks are {tuple(holes.shape)}, photos {tuple(photos.shape)}: their sizes must match")
    if blend not in BLENDS:
        raise ValueError(f"blend must be one of {', '.join(map(repr, BLENDS))}, got {blend!r}")
    holes = (holes > 0.5).float()
    fits: list[Fit | None] = [None] * len(photos)
    for b, hole in enumerate(holes):
        if hole.sum() == 0:  # nothing to fill: the photo back
            fits[b] = Fit(torch.zeros(1, model.arch.z_dim), photos[b : b + 1].clone(), 0.0, photos[b : b + 1].clone())
        elif hole.min() == 1:  # nothing known: samples
            z = sample_codes(candidates or 4, model.arch.z_dim, seed)
            images = model.generate(z).cpu()
            fits[b] = Fit(z[:1], images[:1], 0.0, images)
    todo = [b for b, fit in enumerate(fits) if fit is None]
    if not todo:
        return fits
    if len(todo) < len(photos):  # some were done above (empty or full masks)
        photos, holes = photos[todo], holes[todo]
    targets, hole = photos.to(model.device), holes.to(model.device)
    weights = torch.cat([w / w.mean() for w in context_weights(hole).split(1)])  # each photo's mean weight 1

    def loss_fn(images: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return ((images - targets[rows]).abs() * weights[rows]).flatten(1).mean(1)

    known = targets * (1 - hole)
    steps, candidates = budget(model, steps, candidates)
    z0 = initial_codes(model, known, candidates, seed, loss_fn)
    z, _, losses = optimise(model, z0, loss_fn, steps, rows_for(len(todo), candidates, model.device), on_step=on_step)

    def finish(fills: torch.Tensor, b: int) -> torch.Tensor:
        if blend == "poisson":
            return torch.cat(
                [poisson_blend(targets[b : b + 1].cpu(), f[None].cpu(), hole[b : b + 1].cpu()) for f in fills]
            ).to(fills.device)
        alpha = feather(hole[b : b + 1]) if blend == "feather" else hole[b : b + 1]
        return targets[b : b + 1] * (1 - alpha) + fills * alpha

    for b, fit in zip(todo, _pick(model, z, None, losses, len(todo), finish)):
        fits[b] = fit
    return fits


# ITU-R BT.601 luma weights, as in JPEG's YCbCr: images in [-1, 1] keep the same weights
LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def luminance(images: torch.Tensor) -> torch.Tensor:
    return (images * LUMA.to(images.device)).sum(1, keepdim=True) if images.shape[1] == 3 else images


def with_luminance(images: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Keep the chroma of `images` (YCbCr Cb, Cr: RGB minus its luma) on the luma `y`. Where that
    leaves the RGB cube, the chroma is shrunk towards gray just enough, so the luma stays exact."""
    chroma = images - luminance(images)
    limit = torch.where(
        chroma > 0,
        (1 - y) / chroma.clamp_min(1e-8),
        torch.where(chroma < 0, (-1 - y) / chroma.clamp_max(-1e-8), torch.ones_like(chroma)),
    )
    scale = limit.amin(dim=1, keepdim=True).clamp(0, 1)
    return y + scale * chroma


def colorize(
    model: Pretrained,
    gray: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
) -> Fit:
    """Colour a gray face: optimise z so that the luminance of G(z) matches the input, then keep
    the input's luminance and take only the chroma (YCbCr Cb, Cr) from G(z)."""
    return colorize_all(model, gray, steps, candidates, seed, on_step)[0]


def colorize_all(
    model: Pretrained,
    grays: torch.Tensor,
    steps: int | None = None,
    candidates: int | None = None,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
) -> list[Fit]:
    """`colorize` for a batch of gray faces (B, 1 or 3, S, S) in one optimisation: a Fit per face."""
    if model.arch.channels != 3:
        raise ValueError(f"{model.name} makes {model.arch.channels}-channel images; colorization needs an RGB model")
    y = luminance(grays.to(model.device))

    def loss_fn(images: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return (luminance(images) - y[rows]).pow(2).flatten(1).mean(1)

    steps, candidates = budget(model, steps, candidates)
    z0 = initial_codes(model, y.expand(-1, 3, -1, -1), candidates, seed, loss_fn)
    z, _, losses = optimise(model, z0, loss_fn, steps, rows_for(len(y), candidates, model.device), on_step=on_step)
    return _pick(model, z, None, losses, len(y), lambda images, b: with_luminance(images, y[b : b + 1]))
