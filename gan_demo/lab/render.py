"""One frame of the GAN lab as a picture, drawn with Pillow (fast enough for 5+ frames a second
on 2 cores): the plane on the left, the curves on the right.

The plane: D's belief that a point is real as the background (green: real, purple: generated),
the noise grid as G warps it, the real points (green), the generated ones (purple) and, from
some generated points, G's gradient (the way G moves them). The curves: both losses, the
gradient norm reaching G (log scale) and the distance between the two distributions (MMD).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .distributions import EXTENT
from .game import View

SIZE = 480  # pixels of the plane, and of the curves' panel beside it
REAL, FAKE = (30, 140, 60), (120, 60, 170)
REAL_BG, FAKE_BG = np.array([170, 225, 175]), np.array([215, 190, 240])
SMOOTH = 20  # steps a curve's running mean spans


def to_pixels(points: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Plane coordinates (N, 2) -> pixel coordinates (N, 2), y pointing down."""
    return np.stack([(points[:, 0] + EXTENT), (EXTENT - points[:, 1])], 1) * (size / (2 * EXTENT))


def to_plane(x: float, y: float, size: int = SIZE) -> tuple[float, float]:
    """A pixel of the plane -> its plane coordinates."""
    scale = 2 * EXTENT / size
    return x * scale - EXTENT, EXTENT - y * scale


def dots(pixels: np.ndarray, xy: np.ndarray, colour: tuple[int, int, int], radius: int = 2) -> None:
    """Paint a small disc at each (x, y) pixel position, all at once."""
    offsets = [
        (dx, dy) for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1) if dx * dx + dy * dy <= 5
    ]
    centre = np.rint(xy).astype(int)
    for dx, dy in offsets:
        x, y = centre[:, 0] + dx, centre[:, 1] + dy
        inside = (x >= 0) & (x < pixels.shape[1]) & (y >= 0) & (y < pixels.shape[0])
        pixels[y[inside], x[inside]] = colour


def plane(view: View, size: int = SIZE) -> Image.Image:
    heat = view.heat[..., None]
    background = (FAKE_BG * (1 - heat) + REAL_BG * heat).astype(np.uint8)
    im = Image.fromarray(background).resize((size, size), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(im, "RGBA")
    for line in view.grid:
        draw.line([tuple(p) for p in to_pixels(line, size)], fill=(90, 90, 90, 70), width=1)
    pixels = np.asarray(im).copy()
    for points, colour in ((view.real, REAL), (view.fake, FAKE)):  # points off the plane shown at its edge
        dots(pixels, to_pixels(np.clip(points, -EXTENT, EXTENT), size), colour)
    im = Image.fromarray(pixels)
    draw = ImageDraw.Draw(im, "RGBA")
    for start, end in view.arrows:
        (x0, y0), (x1, y1) = to_pixels(np.stack([start, end]), size)
        draw.line((x0, y0, x1, y1), fill=(20, 20, 20, 230), width=2)
        draw.ellipse((x1 - 1.5, y1 - 1.5, x1 + 1.5, y1 + 1.5), fill=(20, 20, 20, 230))
    draw.text((6, 4), f"step {view.step}", fill=(20, 20, 20))
    return im


def chart(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str, series: list, log: bool = False):
    """Line charts of `series` [(values, colour)] in `box` (left, top, right, bottom), one y scale."""
    left, top, right, bottom = box
    draw.rectangle(box, outline=(180, 180, 180))
    draw.text((left + 4, top + 2), title, fill=(40, 40, 40))
    width = right - left
    values = [thin(smooth(np.asarray(v, dtype=np.float64)), width) for v, _ in series if len(v)]
    if not values:
        return
    if log:
        values = [np.log10(np.maximum(v, 1e-8)) for v in values]
    low = min(float(v.min()) for v in values)
    high = max(float(v.max()) for v in values)
    span = high - low or 1.0
    inner_top, inner_bottom = top + 16, bottom - 4
    for v, (_, colour) in zip(values, [s for s in series if len(s[0])]):
        xs = np.linspace(left + 2, right - 2, len(v)) if len(v) > 1 else np.array([right - 2.0])
        ys = inner_bottom - (v - low) / span * (inner_bottom - inner_top)
        if len(v) > 1:
            draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=2)
    label = (lambda t: f"{10**t:.2g}") if log else (lambda t: f"{t:.3g}")
    draw.text((right - 60, top + 2), f"{label(high)}", fill=(90, 90, 90))
    draw.text((right - 60, bottom - 14), f"{label(low)}", fill=(90, 90, 90))


def smooth(values: np.ndarray) -> np.ndarray:
    """The running mean of the last SMOOTH values at each step (fewer at the start)."""
    if len(values) < 2:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), SMOOTH)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def thin(values: np.ndarray, n: int) -> np.ndarray:
    """At most n evenly spaced values (a chart has no more pixels across)."""
    return values if len(values) <= n else values[np.linspace(0, len(values) - 1, n).astype(int)]


def curves(view: View, size: int = SIZE) -> Image.Image:
    im = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(im)
    h, pad = size // 3, 6
    history = view.history
    chart(draw, (pad, pad, size - pad, h - pad), f"losses: D (green), G (purple); mean of {SMOOTH} steps",
          [(history["loss_d"], REAL), (history["loss_g"], FAKE)])  # fmt: skip
    chart(draw, (pad, h + pad, size - pad, 2 * h - pad), "gradient norm reaching G (log)", [(history["grad_g"], FAKE)],
          log=True)  # fmt: skip
    coverage = view.coverage
    title = "distance between the distributions (MMD)"
    if coverage is not None:
        title += (
            f"; modes {coverage['modes_covered']}/{coverage['modes']}, near a mode {coverage['high_quality_share']:.0%}"
        )
    chart(draw, (pad, 2 * h + pad, size - pad, size - pad), title, [(history["distance"], (40, 40, 40))])
    return im


def frame(view: View, size: int = SIZE) -> Image.Image:
    """The plane and the curves side by side."""
    im = Image.new("RGB", (2 * size, size), "white")
    im.paste(plane(view, size), (0, 0))
    im.paste(curves(view, size), (size, 0))
    return im
