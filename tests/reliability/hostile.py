"""Hostile and odd image files, made on the spot: what a public upload box and a CLI will meet."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# file name -> True when a sensible result is expected, False when a clear error is
EXPECT_RESULT = {
    "zero-byte.png": False,
    "not-an-image.jpg": False,
    "truncated.jpg": False,
    "truncated.png": False,
    "bomb-30000x30000.png": False,
    "one-pixel.png": True,
    "strip-10000x20.png": True,
    "gray-16bit.png": True,
    "cmyk.jpg": True,
    "palette-transparent.png": True,
    "animated.gif": True,
    "exif-rotated.jpg": True,
    "rgba.png": True,
    "gray-alpha.png": True,
}


def face_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth colourful uint8 RGB picture (H, W, 3)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    out = np.stack([(xx * rng.uniform(0.5, 2) + yy * rng.uniform(0.5, 2)) % 256 for _ in range(3)], axis=-1)
    return out.astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 30000) -> bytes:
    """A valid 1-bit PNG of side x side black pixels: about 110 KB that would decode to 900 megapixels."""
    row = b"\x00" + bytes((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def encoded(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def write_hostile_files(folder: Path) -> dict[str, Path]:
    """Every file of EXPECT_RESULT under folder; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = Image.fromarray(face_like(90, 70))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    frames = [Image.fromarray(face_like(40, 40, seed)).convert("P") for seed in range(3)]
    animated = io.BytesIO()
    frames[0].save(animated, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    palette = rgb.convert("P")
    gray16 = Image.fromarray((face_like(60, 50)[..., 0].astype(np.uint16) * 257), "I;16")
    contents = {
        "zero-byte.png": b"",
        "not-an-image.jpg": b"%PDF-1.4 this is not a picture\n" * 20,
        "truncated.jpg": encoded(rgb, "JPEG", quality=90)[:600],
        "truncated.png": encoded(rgb, "PNG")[:300],
        "bomb-30000x30000.png": bomb_png(),
        "one-pixel.png": encoded(Image.new("RGB", (1, 1), (200, 30, 60)), "PNG"),
        "strip-10000x20.png": encoded(Image.fromarray(face_like(10000, 20)), "PNG"),
        "gray-16bit.png": encoded(gray16, "PNG"),
        "cmyk.jpg": encoded(rgb.convert("CMYK"), "JPEG"),
        "palette-transparent.png": encoded(palette, "PNG", transparency=0),
        "animated.gif": animated.getvalue(),
        "exif-rotated.jpg": encoded(rgb, "JPEG", exif=exif),
        "rgba.png": encoded(rgb.convert("RGBA"), "PNG"),
        "gray-alpha.png": encoded(rgb.convert("LA"), "PNG"),
    }
    assert set(contents) == set(EXPECT_RESULT)
    paths = {}
    for name, data in contents.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def image_size(path) -> tuple[int, int]:
    """(width, height) of an image file as it is displayed (EXIF orientation applied)."""
    from PIL import ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).size


PROBLEM_WORDS = "not a readable image|damaged or truncated|pixel limit|file not found|empty"
