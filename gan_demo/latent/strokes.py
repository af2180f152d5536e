"""Stroke thickness and slant of digit images, measured with OpenCV: Morpho-MNIST's two shape
attributes (Castro et al. 2019), so digit models get edit directions for them without labels."""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch


def stroke_measures(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, S, S) uint8 digits, light strokes on dark -> (N, 2): thickness in pixels and slant
    in degrees (positive: the top leans right).

    Thickness is 2 x ink area / contour length (a stroke of width w and length L >> w has area wL
    and outline 2L; Morpho-MNIST's skeleton-based measure needs a thinning OpenCV's core lacks).
    The contour runs through boundary pixels' centres, so wide strokes read a little thin (a
    5-pixel bar: 4.4). Slant is the shear of the ink's second moments, atan(-mu11 / mu02), as in
    OpenCV's deskewing of digits. An image with no ink measures (0, 0)."""
    if images.ndim != 4 or images.shape[1] != 1 or images.dtype != torch.uint8:
        raise ValueError(f"stroke measures need (N, 1, S, S) uint8 digits, got {tuple(images.shape)} {images.dtype}")
    out = np.zeros((images.shape[0], 2), dtype=np.float32)
    for i, image in enumerate(images[:, 0].cpu().numpy()):
        ink = (image >= 128).astype(np.uint8)
        moments = cv2.moments(ink, binaryImage=True)
        if moments["m00"] == 0:
            continue
        contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        outline = sum(cv2.arcLength(c, closed=True) for c in contours)
        out[i, 0] = 2 * moments["m00"] / outline if outline > 0 else 1.0  # a lone pixel: outline 0
        if moments["mu02"] > 0:
            out[i, 1] = math.degrees(math.atan(-moments["mu11"] / moments["mu02"]))
    return torch.from_numpy(out)


def stroke_labels(images: torch.Tensor) -> torch.Tensor:
    """0/1 labels (N, 2): thicker than the median digit, more slanted to the right than the median,
    the two classes a direction is fitted between."""
    measures = stroke_measures(images)
    return (measures > measures.median(0).values).float()
