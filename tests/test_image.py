"""Tests for sepconv_core.image: decoding uploads safely, resizing, grayscale, test pattern.

Every file is generated here in memory with Pillow (or crafted byte by byte), and every
expected value is computed independently from the source pixels, never from load_image itself.
"""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from sepconv_core.image import (
    ImageLoadError,
    center_square,
    load_image,
    resize_to,
    to_grayscale,
    to_uint8,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets"


# ---------------------------------------------------------------------------------------------
# Helpers that build files
# ---------------------------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def crafted_gray_png(width: int, height: int, rows: int | None = None) -> bytes:
    """An 8-bit grayscale PNG written by hand; the IDAT holds ``rows`` black rows (default all)."""
    rows = height if rows is None else rows
    raw = (b"\x00" + b"\x00" * width) * rows  # filter byte 0, then the row's pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def blocks(colours: np.ndarray, block: int = 8) -> np.ndarray:
    """Each entry of a (h, w, 3) uint8 array becomes a block x block square."""
    return np.repeat(np.repeat(colours, block, axis=0), block, axis=1)


@pytest.fixture(scope="module")
def big_jpeg() -> bytes:
    """A 4000 x 3000 JPEG: red rises left to right, green top to bottom, blue constant."""
    height, width = 3000, 4000
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = np.round((np.arange(width) + 0.5) / width * 255)[None, :]
    pixels[..., 1] = np.round((np.arange(height) + 0.5) / height * 255)[:, None]
    pixels[..., 2] = 60
    return encode(Image.fromarray(pixels), "JPEG", quality=90)


# ---------------------------------------------------------------------------------------------
# Ordinary files
# ---------------------------------------------------------------------------------------------


def test_png_rgb_round_trip_is_exact():
    """An RGB PNG comes back as float32 (H, W, 3) equal to the source / 255."""
    source = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    image = load_image(encode(Image.fromarray(source), "PNG"))
    assert image.dtype == np.float32
    assert image.shape == (5, 7, 3)
    np.testing.assert_allclose(image, source / 255.0, atol=1e-6)


@pytest.mark.parametrize(
    ("fmt", "options"), [("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})]
)
def test_other_lossless_formats_round_trip_exactly(fmt, options):
    """BMP, TIFF and lossless WebP give back the source / 255."""
    source = np.random.default_rng(4).integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    image = load_image(encode(Image.fromarray(source), fmt, **options))
    np.testing.assert_allclose(image, source / 255.0, atol=1e-6)


def test_jpeg_rgb_is_close_to_source():
    """A high-quality JPEG of a smooth gradient decodes within JPEG error of the source."""
    y, x = np.mgrid[0:32, 0:48]
    source = np.stack([x * 5, y * 7, 255 - x * 5], axis=-1).astype(np.uint8)
    image = load_image(encode(Image.fromarray(source), "JPEG", quality=95, subsampling=0))
    assert image.shape == (32, 48, 3)
    assert np.abs(image - source / 255.0).max() < 0.03


def test_grayscale_png_has_one_channel():
    """A mode-L PNG gives C = 1 with exact values."""
    source = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    image = load_image(encode(Image.fromarray(source), "PNG"))
    assert image.shape == (3, 4, 1)
    np.testing.assert_allclose(image[..., 0], source / 255.0, atol=1e-6)


def test_one_bit_png_is_zero_or_one():
    """A 1-bit PNG gives C = 1 with black = 0 and white = 1."""
    bits = np.array([[True, False, True], [False, False, True]])
    image = load_image(encode(Image.fromarray(bits), "PNG"))
    assert image.shape == (2, 3, 1)
    np.testing.assert_array_equal(image[..., 0], bits.astype(np.float32))


# EXIF orientation: how the stored pixels must be turned to be displayed (EXIF 2.3, tag 0x0112).
# np.rot90 turns counter-clockwise for k > 0.
@pytest.mark.parametrize(
    ("orientation", "k"),
    [(1, 0), (3, 2), (6, -1), (8, 1)],
    ids=["as-stored", "180", "90-clockwise", "90-counter-clockwise"],
)
def test_exif_orientation_is_applied(orientation, k):
    """A JPEG with EXIF orientation 3, 6 or 8 comes back turned like np.rot90 of the source."""
    colours = np.array(
        [
            [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
            [[255, 255, 0], [0, 0, 0], [255, 255, 255]],
        ],
        dtype=np.uint8,
    )
    source = blocks(colours)  # 16 x 24, no symmetry
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(Image.fromarray(source), "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    image = load_image(data)
    expected = np.rot90(source, k) / 255.0
    assert image.shape == expected.shape
    assert np.abs(image - expected).max() < 0.03


def test_rgba_is_composited_on_white():
    """Alpha 0 gives white; opaque pixels are unchanged; alpha 128 blends with white."""
    rgba = np.array(
        [[[255, 0, 0, 0], [10, 20, 30, 255], [0, 0, 0, 128], [255, 0, 0, 128]]], dtype=np.uint8
    )
    image = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    a = 128 / 255
    expected = np.array(
        [[[1, 1, 1], [10 / 255, 20 / 255, 30 / 255], [1 - a, 1 - a, 1 - a], [1, 1 - a, 1 - a]]]
    )
    assert image.shape == (1, 4, 3)
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_la_is_composited_on_white_and_stays_one_channel():
    """A gray + alpha PNG gives C = 1: L * a + (1 - a)."""
    la = np.array([[[0, 0], [0, 128], [100, 255], [200, 64]]], dtype=np.uint8)
    image = load_image(encode(Image.fromarray(la, "LA"), "PNG"))
    gray, alpha = la[..., 0] / 255.0, la[..., 1] / 255.0
    assert image.shape == (1, 4, 1)
    np.testing.assert_allclose(image[..., 0], gray * alpha + 1 - alpha, atol=1e-6)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_becomes_white(fmt):
    """In a palette image whose entry 1 is transparent, those pixels are white."""
    img = Image.new("P", (3, 2))
    img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0, 0, 0] * 253)
    img.putdata([0, 1, 2, 2, 1, 0])
    image = load_image(encode(img, fmt, transparency=1))
    red, white, blue = [1, 0, 0], [1, 1, 1], [0, 0, 1]
    expected = np.array([[red, white, blue], [blue, white, red]], dtype=np.float32)
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_palette_without_transparency_gives_rgb():
    """A palette image without transparency is looked up into RGB."""
    img = Image.new("P", (2, 1))
    img.putpalette([10, 20, 30, 200, 100, 50] + [0, 0, 0] * 254)
    img.putdata([1, 0])
    image = load_image(encode(img, "PNG"))
    np.testing.assert_allclose(image, np.array([[[200, 100, 50], [10, 20, 30]]]) / 255, atol=1e-6)


def test_cmyk_jpeg_gives_the_right_colours():
    """Pure cyan, magenta, yellow, black and no ink become (0,1,1), (1,0,1), (1,1,0), 0, 1."""
    inks = [(255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255), (0, 0, 0, 0)]
    expected = [(0, 1, 1), (1, 0, 1), (1, 1, 0), (0, 0, 0), (1, 1, 1)]
    img = Image.new("CMYK", (16 * len(inks), 16))
    for i, ink in enumerate(inks):
        img.paste(ink, (16 * i, 0, 16 * (i + 1), 16))
    data = encode(img, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    image = load_image(data)
    assert image.shape == (16, 80, 3)
    for i, colour in enumerate(expected):
        np.testing.assert_allclose(image[8, 16 * i + 8], colour, atol=0.05)


def test_16bit_png_is_divided_by_65535():
    """A 16-bit grayscale PNG (Pillow mode I;16) keeps its precision: value / 65535."""
    source = np.array([[0, 1000], [32768, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(source), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    image = load_image(data)
    assert image.shape == (2, 2, 1)
    np.testing.assert_allclose(image[..., 0], source / 65535.0, rtol=1e-6, atol=1e-7)


def test_16bit_big_endian_tiff_is_divided_by_65535():
    """A big-endian 16-bit TIFF (mode I;16B) gives value / 65535."""
    source = np.array([[0, 300], [40000, 65535]], dtype=np.uint16)
    img = Image.frombytes("I;16B", (2, 2), source.astype(">u2").tobytes())
    data = encode(img, "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "I;16B"
    np.testing.assert_allclose(load_image(data)[..., 0], source / 65535.0, rtol=1e-6, atol=1e-7)


def test_float_tiff_within_unit_range_is_clipped():
    """A float TIFF whose largest value is <= 1 keeps its values, negatives clipped to 0."""
    source = np.array([[-0.5, 0.0], [0.25, 1.0]], dtype=np.float32)
    image = load_image(encode(Image.fromarray(source, "F"), "TIFF"))
    assert image.shape == (2, 2, 1)
    np.testing.assert_allclose(image[..., 0], [[0.0, 0.0], [0.25, 1.0]], atol=1e-7)


def test_float_tiff_above_one_is_divided_by_its_max():
    """A float TIFF whose largest value is 4 is divided by 4; negatives become 0."""
    source = np.array([[-1.0, 1.0], [2.0, 4.0]], dtype=np.float32)
    image = load_image(encode(Image.fromarray(source, "F"), "TIFF"))
    np.testing.assert_allclose(image[..., 0], [[0.0, 0.25], [0.5, 1.0]], atol=1e-7)


def test_animated_gif_gives_first_frame():
    """A two-frame GIF (red then blue) loads as its red first frame."""
    frames = [Image.new("RGB", (4, 3), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    image = load_image(data)
    assert image.shape == (3, 4, 3)
    np.testing.assert_allclose(image, np.broadcast_to([1.0, 0.0, 0.0], (3, 4, 3)), atol=1e-6)


def test_one_by_one_image():
    """A single pixel is a valid image of shape (1, 1, 3)."""
    image = load_image(encode(Image.new("RGB", (1, 1), (51, 102, 204)), "PNG"))
    np.testing.assert_allclose(image, [[[0.2, 0.4, 0.8]]], atol=1e-6)


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_accepts_bytearray_and_memoryview(kind):
    """bytearray and memoryview work like bytes."""
    data = encode(Image.new("L", (2, 2), 255), "PNG")
    np.testing.assert_array_equal(load_image(kind(data)), np.ones((2, 2, 1), np.float32))


# ---------------------------------------------------------------------------------------------
# Size limits
# ---------------------------------------------------------------------------------------------


def test_large_jpeg_is_reduced_while_decoding(big_jpeg, monkeypatch):
    """A 4000 x 3000 JPEG becomes 1024 x 768; the decoder ran at 1/2 scale or less
    (Image.draft), and no full-size float copy was made (peak traced memory far below the
    144 MB that 4000 x 3000 x 3 float32 needs)."""
    decoded_sizes = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original_draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    tracemalloc.start()
    try:
        image = load_image(big_jpeg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert image.shape == (768, 1024, 3)
    assert decoded_sizes and decoded_sizes[0][0] <= 2000 and decoded_sizes[0][1] <= 1500
    assert peak < 40e6
    # The gradient survives: pixel (i, j) of the result samples the source at its centre.
    red_expected = (np.arange(1024) + 0.5) / 1024
    green_expected = (np.arange(768) + 0.5) / 768
    assert np.abs(image[384, 5:-5, 0] - red_expected[5:-5]).max() < 0.03
    assert np.abs(image[5:-5, 512, 1] - green_expected[5:-5]).max() < 0.03


def test_max_side_reduces_a_png_keeping_its_aspect():
    """A 300 x 200 PNG with max_side=50 becomes 50 x 33 (round(200 * 50 / 300) = 33)."""
    data = encode(Image.new("RGB", (300, 200), (255, 128, 0)), "PNG")
    image = load_image(data, max_side=50)
    assert image.shape == (33, 50, 3)
    np.testing.assert_allclose(image, np.broadcast_to([1, 128 / 255, 0], image.shape), atol=1e-3)


def test_small_images_are_never_enlarged():
    """max_side larger than the image leaves its size alone."""
    assert load_image(encode(Image.new("RGB", (5, 3)), "PNG"), max_side=4000).shape == (3, 5, 3)


@pytest.fixture
def load_calls(monkeypatch):
    """Records every decode (ImageFile.load) that happens during the test."""
    calls = []
    original_load = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def test_crafted_png_is_a_valid_png(load_calls):
    """The hand-made PNG writer produces files Pillow decodes (so the bomb tests are fair)."""
    image = load_image(crafted_gray_png(6, 4))
    assert image.shape == (4, 6, 1)
    assert np.all(image == 0)
    assert load_calls and load_calls[0] == (6, 4)  # the spy sees real decodes


def test_pixel_bomb_is_refused_before_decoding(load_calls):
    """A 100,000 x 100,000 PNG header with a tiny IDAT is refused without decoding, and
    Pillow's global limit and the warning filters are left as they were."""
    data = crafted_gray_png(100_000, 100_000, rows=1)
    assert len(data) < 200
    limit_before = Image.MAX_IMAGE_PIXELS
    filters_before = list(warnings.filters)
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_image(data)
    assert load_calls == []
    assert limit_before == Image.MAX_IMAGE_PIXELS
    assert warnings.filters == filters_before


def test_image_over_max_pixels_is_refused_before_decoding(load_calls):
    """8000 x 8000 = 64 MP is over the default 50 MP limit (but under Pillow's own)."""
    with pytest.raises(ImageLoadError, match=re.escape("8000 × 8000")) as caught:
        load_image(crafted_gray_png(8000, 8000, rows=1))
    assert re.search(r"\b50\b", str(caught.value))  # and the limit, in megapixels
    assert load_calls == []


def test_image_over_pillow_warning_limit_is_refused(load_calls):
    """10000 x 10000 = 100 MP triggers Pillow's DecompressionBombWarning: it becomes an error."""
    with pytest.raises(ImageLoadError, match="100 megapixels"):
        load_image(crafted_gray_png(10_000, 10_000, rows=1))
    assert load_calls == []


def test_max_pixels_parameter_is_honoured():
    """A 100 x 100 image passes with max_pixels=10_000 and is refused with 5_000."""
    data = encode(Image.new("L", (100, 100)), "PNG")
    assert load_image(data, max_pixels=10_000).shape == (100, 100, 1)
    with pytest.raises(ImageLoadError, match="the limit is 0.005 megapixels"):
        load_image(data, max_pixels=5_000)


# ---------------------------------------------------------------------------------------------
# Things that are not images
# ---------------------------------------------------------------------------------------------


def _truncated_jpeg() -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "JPEG", quality=90)
    return data[: len(data) // 2]


NOT_IMAGES = {
    "empty": (b"", "empty"),
    "text renamed .png": (b"Dear diary,\nToday I learnt about convolutions.\n", "not an image"),
    "truncated jpeg": (_truncated_jpeg(), "truncated"),
    "svg": (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><rect width="10" height="10"/></svg>',
        "SVG",
    ),
    "random bytes": (np.random.default_rng(2).bytes(2000), "not an image"),
    "html": (b"<!DOCTYPE html>\n<html><body><img src='cat.png'></body></html>", "HTML"),
    "0x0 png": (crafted_gray_png(0, 0), "damaged"),
    "truncated png": (encode(Image.new("RGB", (50, 50), "red"), "PNG")[:60], "truncated"),
}


@pytest.mark.parametrize(("data", "fragment"), NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
def test_not_an_image_raises_a_readable_error(data, fragment):
    """Each non-image raises ImageLoadError (a ValueError) whose message explains it."""
    with pytest.raises(ImageLoadError) as caught:
        load_image(data)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert fragment in message
    assert message.endswith(".") and len(message) > 15


def test_wrong_types_and_bad_sizes_name_the_parameter():
    """A str is a TypeError naming data; max_side and max_pixels must be >= 1."""
    with pytest.raises(TypeError, match="data"):
        load_image("photo.png")
    data = encode(Image.new("L", (2, 2)), "PNG")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_side"):
            load_image(data, max_side=bad)
    with pytest.raises(ValueError, match="max_pixels"):
        load_image(data, max_pixels=0)


# ---------------------------------------------------------------------------------------------
# resize_to, to_grayscale, to_uint8
# ---------------------------------------------------------------------------------------------


def test_resize_to_halves_by_block_means():
    """4 x 4 -> 2 x 2: each output pixel is the mean of a 2 x 2 block."""
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    expected = np.array([[(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4],
                         [(8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]])  # fmt: skip
    out = resize_to(image, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_resize_to_weights_fractional_overlaps():
    """1 x 3 -> 1 x 2: out[0] = (x0 + x1/2) / 1.5 = 1 and out[1] = (x1/2 + x2) / 1.5 = 5."""
    image = np.array([[[0.0], [3.0], [6.0]]], dtype=np.float32)  # (1, 3, 1)
    out = resize_to(image, 2)
    assert out.shape == (1, 2, 1)
    np.testing.assert_allclose(out[0, :, 0], [1.0, 5.0], rtol=1e-6)


def test_resize_to_keeps_channels_separate_and_aspect():
    """A 30 x 60 x 3 image with max_side 20 becomes 10 x 20 x 3; each channel keeps its mean."""
    rng = np.random.default_rng(3)
    image = rng.random((30, 60, 3)).astype(np.float32)
    out = resize_to(image, 20)
    assert out.shape == (10, 20, 3)
    # 3 x 3 blocks: compare with a reshape-mean reference.
    np.testing.assert_allclose(out, image.reshape(10, 3, 20, 3, 3).mean(axis=(1, 3)), rtol=1e-5)


def test_resize_to_never_enlarges_and_handles_dtypes():
    """Small images keep their size; int images come back as float32, float64 stays float64."""
    small = np.arange(6, dtype=np.uint8).reshape(2, 3)
    out = resize_to(small, 10)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, small)
    assert resize_to(np.zeros((8, 8), np.float64), 4).dtype == np.float64
    with pytest.raises(ValueError, match="max_side"):
        resize_to(small, 0)


def test_center_square_crops_the_middle():
    """A 3 x 6 image keeps columns 1..3 (margin 3: one column left, two right); 2-D and 3-D."""
    image = np.arange(18).reshape(3, 6)
    np.testing.assert_array_equal(center_square(image), [[1, 2, 3], [7, 8, 9], [13, 14, 15]])
    tall = np.arange(10 * 2 * 3).reshape(10, 2, 3)
    np.testing.assert_array_equal(center_square(tall), tall[4:6])
    with pytest.raises(ValueError, match="image"):
        center_square(np.zeros(5))


def test_to_grayscale_uses_bt601_weights():
    """Y = 0.299 R + 0.587 G + 0.114 B, computed by hand."""
    image = np.array([[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [0.2, 0.4, 0.6]]], dtype=np.float32)
    gray = to_grayscale(image)
    assert gray.shape == (2, 2, 1) and gray.dtype == np.float32
    expected = [[0.299, 0.587], [0.114, 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6]]
    np.testing.assert_allclose(gray[..., 0], expected, rtol=1e-6)


def test_to_grayscale_passes_grayscale_through():
    """(H, W, 1) is returned as the same object; (H, W) becomes (H, W, 1); 4 channels fail."""
    one = np.zeros((3, 4, 1), np.float32)
    assert to_grayscale(one) is one
    assert to_grayscale(np.zeros((3, 4), np.float32)).shape == (3, 4, 1)
    with pytest.raises(ValueError, match="image"):
        to_grayscale(np.zeros((3, 4, 4)))


def test_to_uint8_clips_and_rounds():
    """-0.5 -> 0, 0.2 -> 51, 0.5 -> 128 (127.5 rounds to even), 2 -> 255, NaN -> 0."""
    values = np.array([-0.5, 0.0, 0.2, 0.5, 1.0, 2.0, np.nan])
    out = to_uint8(values)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [0, 0, 51, 128, 255, 255, 0])


# ---------------------------------------------------------------------------------------------
# Bundled assets
# ---------------------------------------------------------------------------------------------


ASSET_FILES = ["camera.png", "chelsea.jpg", "coffee.jpg", "astronaut.jpg", "test_pattern.png"]


@pytest.mark.parametrize("name", ASSET_FILES)
def test_bundled_assets_are_small_licensed_and_loadable(name):
    """Each sample is under 1 MB, at most 512 px, has a licence entry, and loads."""
    path = ASSETS / name
    assert path.stat().st_size < 1_000_000
    assert f"`{name}`" in (ASSETS / "LICENSES.md").read_text(encoding="utf-8")
    image = load_image(path.read_bytes())
    assert max(image.shape[:2]) <= 512
    assert image.shape[2] == (1 if name == "camera.png" else 3)
