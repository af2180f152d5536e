"""Part-map images in and out: a PNG of class ids (mode L, 0-7) or of the palette's colours.

A user's map is checked before it is used: square (any size, brought to the model's by each
block's most common class), class ids within range, colours near the palette's (a painted
stroke's antialiased edge is snapped to its nearest class; a photo is refused).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from .face_parts import N_CLASSES, colorize, nearest_class, palette_distance
from .photos import ImageInputError, open_capped

OFF_PALETTE = 60.0  # RGB distance past which a pixel is no class colour
MAX_OFF_PALETTE = 0.05  # a map with more such pixels than this share is refused
ID_MODES = ("L", "P", "I", "I;16", "I;16B", "I;16L")


def map_from_array(array: np.ndarray, size: int, name: str = "the map") -> np.ndarray:
    """(H, W) class ids or (H, W, 3|4) colours -> (size, size) uint8 class ids, checked."""
    array = np.asarray(array)
    if (
        array.ndim not in (2, 3)
        or array.shape[0] != array.shape[1]
        or (array.ndim == 3 and array.shape[2] not in (3, 4))
    ):
        raise ImageInputError(
            f"{name}: a map is a square image of class ids or of the palette's colours, found shape {array.shape}"
        )
    if array.shape[0] < 8:
        raise ImageInputError(f"{name}: {array.shape[0]}x{array.shape[0]} is too small for a map")
    if array.ndim == 2:
        if array.dtype.kind not in "iu":
            raise ImageInputError(f"{name}: class ids must be integers, found {array.dtype}")
        if array.min() < 0 or array.max() >= N_CLASSES:
            raise ImageInputError(
                f"{name}: class ids are 0-{N_CLASSES - 1}, found values up to {int(array.max())}: "
                "save the map as class ids, or in the palette's colours"
            )
        ids = array.astype(np.uint8)
    else:
        rgb = array[..., :3].astype(np.uint8)
        off = float((palette_distance(rgb) > OFF_PALETTE).mean())
        if off > MAX_OFF_PALETTE:
            raise ImageInputError(
                f"{name}: {off:.0%} of its pixels are no class colour: paint with the palette's 8 colours "
                "(or save class ids 0-7 as a gray PNG)"
            )
        ids = nearest_class(rgb)
    return resize_map(ids, size)


def resize_map(ids: np.ndarray, size: int) -> np.ndarray:
    """Nearest-class resize: each output pixel takes its block's most common class (exact for
    whole multiples, nearest otherwise)."""
    side = ids.shape[0]
    if side == size:
        return ids
    if side % size == 0:
        block = side // size
        counts = np.eye(N_CLASSES, dtype=np.int32)[ids].reshape(size, block, size, block, N_CLASSES).sum((1, 3))
        return counts.argmax(-1).astype(np.uint8)
    return np.asarray(Image.fromarray(ids).resize((size, size), Image.NEAREST))


def load_map(source: str | os.PathLike | bytes, size: int) -> np.ndarray:
    """A map file (or its bytes) -> (size, size) uint8 class ids, with a clear error for any
    file that is not a usable map."""
    name = "the map" if isinstance(source, bytes) else Path(source).name
    im = open_capped(source, "map")
    array = np.asarray(im if im.mode in ID_MODES else im.convert("RGBA" if "A" in im.mode else "RGB"))
    return map_from_array(array, size, name)


def save_map(ids: np.ndarray, path: Path, preview: Path | None = None) -> None:
    """The class ids as a gray PNG (mode L, 0-7), and optionally the palette's colours."""
    Image.fromarray(ids.astype(np.uint8), "L").save(path)
    if preview is not None:
        Image.fromarray(colorize(ids)).save(preview)
