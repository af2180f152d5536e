"""Inpainting's test holes and its classical baseline: a centred square, random brush strokes,
and OpenCV's fast-marching inpainting (Telea 2004)."""

from __future__ import annotations

import numpy as np
import torch

from gan_demo.data.photos import to_uint8_hwc


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
