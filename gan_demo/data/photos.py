"""Photos in and out: any file Pillow reads -> NCHW float in [-1, 1]; tensors -> PNG, GIF, MP4.

Decoding is capped in pixels before it starts, so a decompression bomb is refused, not decoded.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # about 6300 x 6300; larger files are refused before decoding
# Formats we decode; Pillow knows more (EPS would even start Ghostscript), none a photo needs
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers MPO, multi-picture phone JPEGs


class ImageInputError(ValueError):
    """An input that is not a usable image, with a message naming it and the problem."""


def _flatten(im: Image.Image) -> Image.Image:
    """Any mode -> 8-bit RGB: 16-bit scaled (not clipped), alpha composited on white, CMYK converted."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or array.max() > 255 else 255.0
        im = Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    elif im.mode == "F":
        array = np.asarray(im, dtype=np.float64)
        if not np.isfinite(array).all():
            raise ImageInputError("the image holds NaN or infinite values")
        im = Image.fromarray(np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return im.convert("RGB")


def open_capped(
    source: str | os.PathLike | bytes, what: str = "image", expect: tuple[int, int] | None = None
) -> Image.Image:
    """A path or raw bytes -> a decoded PIL image (first frame, mode kept). The size is read from
    the header and checked against MAX_PIXELS (and `expect`, a (width, height)) before any pixel
    is decoded."""
    if source is None:
        raise ImageInputError(f"no {what} given: upload one (or pick an example)")
    name = what if isinstance(source, bytes) else f"{what} {source}" if what != "image" else str(source)
    try:
        if isinstance(source, bytes):
            stream = io.BytesIO(source)
        else:
            if not Path(source).is_file():
                raise ImageInputError(f"{name}: file not found")
            if Path(source).stat().st_size == 0:
                raise ImageInputError(f"{name}: the file is empty (0 bytes)")
            stream = open(source, "rb")
        with stream:
            im = Image.open(stream, formats=FORMATS)
            if im.width * im.height > MAX_PIXELS:
                raise ImageInputError(f"{name}: {im.width}x{im.height} is over the {MAX_PIXELS:,}-pixel limit")
            if expect is not None and im.size != tuple(expect):
                raise ImageInputError(f"{name} is {im.width}x{im.height}, the photo {expect[0]}x{expect[1]}")
            im.seek(0)  # first frame of an animation
            im.load()
        if im.width < 1 or im.height < 1:
            raise ImageInputError(f"{name}: empty image")
        return im
    except ImageInputError:
        raise
    except Image.DecompressionBombError as err:  # Pillow's own, larger limit: refused at the header too
        raise ImageInputError(f"{name}: over the {MAX_PIXELS:,}-pixel limit") from err
    except UnidentifiedImageError as err:
        raise ImageInputError(f"{name}: not a readable image (we read {', '.join(FORMATS)})") from err
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        raise ImageInputError(f"{name}: the image is damaged or truncated ({err})") from err


def open_image(source: str | os.PathLike | bytes | Image.Image | np.ndarray) -> Image.Image:
    """A path, raw bytes, a PIL image or a uint8/float array -> an upright 8-bit RGB PIL image."""
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        if source.width * source.height > MAX_PIXELS:
            raise ImageInputError(f"image {source.width}x{source.height} is over the {MAX_PIXELS:,}-pixel limit")
        im = source
    else:
        im = open_capped(source)  # checks the cap at the file's header
    try:
        return _flatten(ImageOps.exif_transpose(im))
    except (OSError, ValueError) as err:
        raise ImageInputError(f"image: could not be converted ({err})") from err


def _from_array(array: np.ndarray) -> Image.Image:
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)) or 0 in array.shape:
        raise ImageInputError(f"array of shape {array.shape}: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)")
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise ImageInputError("the image array holds NaN or infinite values")
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0) + 0.5, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    return _flatten(Image.fromarray(array))


def looks_like_a_digit(im: Image.Image) -> bool:
    """A handwritten digit, not a face: gray (its channels within 8 of each other) on a mostly
    black ground, as MNIST's are; a gray face photo is not mostly black."""
    array = np.asarray(im.convert("RGB").resize((64, 64)), np.int16)
    gray = np.abs(array - array.mean(axis=2, keepdims=True)).max() <= 8
    return bool(gray and (array.mean(axis=2) < 40).mean() > 0.5)


def fit_square(im: Image.Image, size: int, channels: int) -> np.ndarray:
    """PIL RGB -> (S, S, C) uint8: centre square, antialiased (Lanczos) resize, gray if C == 1.
    The one way a photo becomes model input, for training data and for uploads alike."""
    im = ImageOps.fit(im, (size, size), method=Image.Resampling.LANCZOS)
    if channels == 1:
        im = im.convert("L")
    array = np.asarray(im)
    return array[..., None] if array.ndim == 2 else array


def to_tensor(im: Image.Image, size: int, channels: int) -> torch.Tensor:
    """PIL RGB -> (1, C, S, S) float in [-1, 1], through fit_square."""
    array = fit_square(im, size, channels).astype(np.float32)
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0) / 127.5 - 1.0


def load_photo(source, size: int, channels: int = 3) -> torch.Tensor:
    return to_tensor(open_image(source), size, channels)


def load_mask(source, size: int, expect: tuple[int, int] | None = None) -> torch.Tensor:
    """A mask image (white = fill) -> (1, 1, S, S) float with 1 where the hole is.

    An RGBA mask counts opaque pixels as hole when it has any transparency (painted layers).
    `expect` is the photo's (width, height): a mask of another size is refused, since it would
    be cropped differently and mark the wrong pixels.
    """
    name = "mask" if isinstance(source, (bytes, np.ndarray, Image.Image)) else f"mask {source}"
    if isinstance(source, np.ndarray):
        array = source.astype(np.float64)
        if array.ndim not in (2, 3) or 0 in array.shape:
            raise ImageInputError(f"mask array of shape {array.shape}: expected (H, W) or (H, W, C)")
        if not np.isfinite(array).all():
            raise ImageInputError("the mask array holds NaN or infinite values")
        if array.ndim == 3:
            array = array.max(axis=2)
        im = Image.fromarray((array > (0.5 if array.max() <= 1 else 127)).astype(np.uint8) * 255, "L")
    else:
        raw = source if isinstance(source, Image.Image) else open_capped(source, "mask", expect=expect)
        if raw.mode in ("RGBA", "LA") and raw.getextrema()[-1][0] < 255:
            im = raw.getchannel("A")
        else:
            im = raw.convert("L")
    if expect is not None and im.size != tuple(expect):
        raise ImageInputError(
            f"{name} is {im.width}x{im.height}, the photo {expect[0]}x{expect[1]}: draw the mask at the photo's size"
        )
    im = ImageOps.fit(im, (size, size), method=Image.Resampling.NEAREST)
    return torch.from_numpy((np.asarray(im) > 127).astype(np.float32))[None, None]


def painted_alpha(layer, photo_size: tuple[int, int]) -> np.ndarray:
    """Where a painted layer (array, PIL image, file path or bytes) of the photo's size is
    painted: its alpha, or its brightest channel when it has no alpha; (H, W)."""
    if isinstance(layer, (np.ndarray, Image.Image)):
        array = np.asarray(layer if isinstance(layer, np.ndarray) else layer.convert("RGBA"))
        if array.shape[1::-1] != tuple(photo_size):
            raise ImageInputError(
                f"the painted layer is {array.shape[1]}x{array.shape[0]}, the photo {photo_size[0]}x{photo_size[1]}"
            )
    else:
        array = np.asarray(open_capped(layer, "the painted layer", expect=photo_size).convert("RGBA"))
    if array.ndim == 2:
        return array
    return array[..., 3] if array.shape[2] == 4 else array.max(axis=2)


def painted_mask(layers: list, photo_size: tuple[int, int], max_layers: int) -> np.ndarray:
    """Where any of the painted layers (see painted_alpha; None entries ignored) is painted, as a
    bool (H, W) array; at most `max_layers`, each decoded only after its size is checked."""
    layers = [layer for layer in layers or [] if layer is not None]
    if not layers:
        raise ImageInputError("paint over the part of the photo to fill with the brush")
    if len(layers) > max_layers:
        raise ImageInputError(f"{len(layers)} painted layers; at most {max_layers} are read")
    painted = None
    for layer in layers:  # one decoded layer at a time
        alpha = painted_alpha(layer, photo_size)
        painted = alpha if painted is None else np.maximum(painted, alpha)
    return painted > 0


def to_uint8_hwc(images: torch.Tensor) -> np.ndarray:
    """(N, C, S, S) in [-1, 1] -> (N, S, S, 3) uint8 (gray repeated to RGB)."""
    array = images.detach().float().cpu().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    if array.shape[1] == 1:
        array = array.expand(-1, 3, -1, -1)
    return array.permute(0, 2, 3, 1).numpy()


def to_pil(images: torch.Tensor) -> list[Image.Image]:
    return [Image.fromarray(a) for a in to_uint8_hwc(images)]


def save_frames(frames: torch.Tensor, path: str | os.PathLike, fps: int = 8) -> Path:
    """A frame sequence (N, C, S, S) -> GIF (looping) or MP4 (H.264, yuv420p: plays everywhere)."""
    import imageio.v3 as iio

    path = Path(path)
    array = to_uint8_hwc(frames)
    scale = max(1, 256 // array.shape[1])  # tiny frames upscaled (pixels kept sharp), GIF and MP4 alike
    array = array.repeat(scale, axis=1).repeat(scale, axis=2)
    if path.suffix.lower() == ".gif":
        iio.imwrite(path, array, duration=1000 / fps, loop=0)
    elif path.suffix.lower() == ".mp4":
        write_mp4(array, path, fps)
    else:
        raise ValueError(f"{path}: frames are written as .gif or .mp4")
    return path


def write_mp4(array: np.ndarray, path: Path, fps: int) -> None:
    """(N, H, W, 3) uint8 -> H.264 by PyAV, x264's "ultrafast" preset: 20 frames of the Video tab's
    animation take 0.05 s where the default preset took 0.5 s (the files are a little larger)."""
    import av

    h, w = array.shape[1] - array.shape[1] % 2, array.shape[2] - array.shape[2] % 2  # yuv420p needs even sides
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for frame in array[:, :h, :w]:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        out.mux(stream.encode())
