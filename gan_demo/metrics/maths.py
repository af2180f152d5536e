"""Metric maths on tensors, importing nothing but torch: classifier features, FID and KID
between feature sets, a generator's scores, PSNR, colourfulness and chroma.

Images are NCHW float in [-1, 1]. A "classifier" is anything with a `.C.features(images)`
network and a `.device` (gan_demo.models.pretrained.Pretrained).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

FID_SEED = 2024  # the seed of the codes a generator's FID is measured on, in training and in `evaluate`


@torch.no_grad()
def features(classifier, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
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


@torch.no_grad()
def generator_scores(
    generate: Callable[[torch.Tensor], torch.Tensor], codes: torch.Tensor, classifier, real_features: torch.Tensor
) -> dict[str, float]:
    """FID and KID between the features of the images `generate` makes from `codes` and
    `real_features`: how training tracks its generator, and how `evaluate` scores a checkpoint."""
    samples = torch.cat([generate(part).float().cpu() for part in codes.split(256)])
    fake_features = features(classifier, samples)
    return {"fid": fid(fake_features, real_features), "kid": kid(fake_features, real_features)}


def psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Peak signal-to-noise ratio in dB for images in [-1, 1] (over `mask` pixels when given)."""
    err = (a.float() - b.float()).pow(2)
    if mask is not None:
        mask = mask.expand_as(err)
        mse = (err * mask).sum() / mask.sum().clamp_min(1)
    else:
        mse = err.mean()
    return float(10 * torch.log10(4.0 / mse.clamp_min(1e-10)))


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
