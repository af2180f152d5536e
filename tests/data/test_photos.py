import io

import numpy as np
import pytest
from PIL import Image

from gan_demo.data.photos import MAX_PIXELS, ImageInputError, load_mask, load_photo, open_image


def png_bytes(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (40, 30), 128),
        Image.new("LA", (30, 40), (128, 0)),
        Image.new("RGBA", (50, 50), (255, 0, 0, 0)),
        Image.new("CMYK", (20, 20), (0, 255, 0, 0)),
        Image.new("I;16", (33, 17), 65535),
        Image.new("P", (10, 10)),
        Image.new("RGB", (1, 1), (1, 2, 3)),
        Image.new("RGB", (10000, 20), (9, 9, 9)),
    ],
    ids=["L", "LA", "RGBA", "CMYK", "I16", "P", "1x1", "10000x20"],
)
def test_any_mode_and_size_becomes_rgb_at_model_size(image):
    x = load_photo(image, size=32, channels=3)
    assert x.shape == (1, 3, 32, 32) and x.min() >= -1 and x.max() <= 1


def test_sixteen_bit_is_scaled_not_clipped_and_alpha_goes_on_white():
    assert open_image(Image.new("I;16", (4, 4), 32768)).getpixel((0, 0)) == (128, 128, 128)
    assert open_image(Image.new("RGBA", (4, 4), (0, 0, 0, 0))).getpixel((0, 0)) == (255, 255, 255)


def test_palette_with_transparency_and_animated_gif():
    p = Image.new("P", (8, 8), 0)
    p.putpalette([255, 0, 0] + [0, 0, 255] * 255)
    p.info["transparency"] = 0
    assert open_image(png_bytes(p)).getpixel((0, 0)) == (255, 255, 255)
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    assert open_image(buf.getvalue()).getpixel((0, 0))[0] > 200  # the first frame


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    upright = open_image(png_bytes(im, "JPEG", exif=exif.tobytes()))
    assert upright.size == (20, 40)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not an image at all", png_bytes(Image.new("RGB", (64, 64)))[:60]],
    ids=["zero-bytes", "text", "truncated-png"],
)
def test_non_images_get_a_clear_error(raw):
    with pytest.raises(ImageInputError):
        open_image(raw)


def test_truncated_jpeg_and_missing_file(tmp_path):
    raw = png_bytes(Image.effect_noise((256, 256), 50).convert("RGB"), "JPEG")
    with pytest.raises(ImageInputError, match="damaged or truncated"):
        open_image(raw[: len(raw) // 2])
    with pytest.raises(ImageInputError, match="file not found"):
        open_image(tmp_path / "nope.png")


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_PIXELS**0.5) + 100
    bomb = png_bytes(Image.new("1", (side, side)))  # a few KB on disk
    assert len(bomb) < 200_000
    with pytest.raises(ImageInputError, match="pixel limit"):
        open_image(bomb)


def test_arrays_with_nan_are_refused_and_float_arrays_accepted():
    with pytest.raises(ImageInputError, match="NaN"):
        open_image(np.full((8, 8, 3), np.nan))
    with pytest.raises(ImageInputError):
        open_image(np.zeros((8, 8, 5)))
    assert open_image(np.ones((8, 8), np.float32)).getpixel((0, 0)) == (255, 255, 255)


def test_masks_from_gray_png_painted_alpha_and_arrays():
    gray = Image.new("L", (64, 64), 0)
    gray.paste(255, (0, 0, 32, 64))
    m = load_mask(gray, 32)
    assert m.shape == (1, 1, 32, 32) and m[..., :, :16].min() == 1 and m[..., :, 16:].max() == 0
    painted = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    painted.paste((255, 255, 255, 255), (8, 8, 16, 16))
    assert load_mask(painted, 32).sum() == 64
    with pytest.raises(ImageInputError, match="NaN"):
        load_mask(np.full((4, 4), np.inf), 4)
