"""Photos of digits made MNIST-like: synthetic photos with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from sepconv_core.handwriting import NoDigitError, mnist_like
from sepconv_core.tinynet import load_digits, load_trained


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _photo(digit28: np.ndarray, *, size=(600, 800), at=(60, 440), side=300, light_paper=True):
    """A synthetic phone photo: ``digit28`` enlarged to ``side`` px and written at ``at``
    (top-left, off-centre) on paper with a brightness gradient and grain; RGB in [0, 1]."""
    rng = np.random.default_rng(0)
    h, w = size
    big = Image.fromarray(digit28).resize((side, side), Image.Resampling.BICUBIC)
    ink = np.zeros(size, np.float32)
    ink[at[0] : at[0] + side, at[1] : at[1] + side] = np.asarray(big, np.float32) / 255
    ink = np.clip(ink, 0, 1)
    shade = np.linspace(0.0, 0.12, w)[None, :]  # light falls off towards one side
    if light_paper:
        paper = 0.88 - shade + rng.normal(0, 0.02, size)
        gray = paper * (1 - 0.8 * ink)  # dark ink absorbs the light
    else:
        board = 0.15 + shade + rng.normal(0, 0.02, size)
        gray = board + (0.9 - board) * ink  # chalk on a dark board
    tint = np.array([1.0, 0.97, 0.9], np.float32)  # warm indoor light
    return np.clip(gray[..., None] * tint, 0, 1).astype(np.float32)


def _centre_of_mass(a):
    ys, xs = np.mgrid[:28, :28]
    return (a * ys).sum() / a.sum(), (a * xs).sum() / a.sum()


@pytest.mark.parametrize("light_paper", [True, False])
def test_off_centre_digit_on_paper_becomes_mnist_like(digits, light_paper):
    original = digits.test_images[3]
    photo = _photo(original, light_paper=light_paper)
    out, inverted = mnist_like(photo)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert inverted == light_paper
    assert out.max() == 255 and np.median(out) == 0  # bright ink, black background
    cy, cx = _centre_of_mass(out.astype(float))
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1
    rows, cols = np.nonzero(out > 30)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in range(18, 23)  # fits MNIST's 20 x 20 box
    # the same digit as the original, wherever it was on the page (up to MNIST's own rounding
    # of the centre of mass to a whole pixel)
    corr = max(
        np.corrcoef(np.roll(out, (dy, dx), axis=(0, 1)).ravel(), original.ravel())[0, 1]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )
    assert corr > 0.85


def test_the_network_reads_processed_photos(digits):
    net = load_trained("separable", 1.0)
    picks = [int(np.flatnonzero(digits.test_labels == d)[0]) for d in range(10)]
    processed = [
        mnist_like(_photo(digits.test_images[i], at=(30 + 10 * k, 20 + 30 * k), side=200 + 20 * k))[
            0
        ]
        for k, i in enumerate(picks)
    ]
    guesses = net.predict(np.stack(processed)).argmax(axis=1)
    assert (guesses == digits.test_labels[picks]).sum() >= 9


def test_thin_pen_strokes_are_thickened():
    # a "7" written with a fine pen on a large page: strokes 4 px wide in a 400 px digit
    img = Image.new("L", (800, 600), 235)
    draw = ImageDraw.Draw(img)
    draw.line([(250, 120), (600, 120), (420, 520)], fill=30, width=4)
    out, inverted = mnist_like(np.asarray(img, np.float32) / 255)
    assert inverted
    assert (out > 127).sum() >= 40  # MNIST-like stroke mass, not a faint hairline
    net = load_trained("separable", 1.0)
    assert net.predict(out[None]).argmax() == 7


def test_blank_page_is_explained():
    rng = np.random.default_rng(1)
    blank = np.clip(0.9 + rng.normal(0, 0.01, (300, 400)), 0, 1).astype(np.float32)
    with pytest.raises(NoDigitError, match="No digit"):
        mnist_like(blank)


def test_a_tiny_digit_is_enlarged(digits):
    # a thumbnail: the digit is only 14 px tall in the photo
    small = np.asarray(Image.fromarray(digits.test_images[0]).resize((14, 14)), np.float32)
    photo = np.full((40, 40), 0.9, np.float32)
    photo[5:19, 20:34] = 0.9 * (1 - 0.8 * small / 255)
    out, _ = mnist_like(photo)
    rows, cols = np.nonzero(out > 30)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 >= 18


def test_a_ballpoint_digit_in_a_sideways_12_megapixel_photo():
    """A "7" in an 8 px ballpoint line, a third of a 4000 x 3000 phone photo's height, stored
    sideways with EXIF orientation 6, through the page's own decoding: under 0.5 % of the
    photo is ink, and it must still come out upright, in the 20 x 20 box, centred."""
    import io

    from sepconv_core.image import load_image

    upright = Image.new("RGB", (4000, 3000), (228, 222, 205))
    ImageDraw.Draw(upright).line(
        [(1500, 900), (2220, 900), (1740, 2130)], fill=(35, 35, 60), width=8
    )
    stored = upright.rotate(90, expand=True)  # the sensor's orientation
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=85, exif=exif)
    photo = load_image(buf.getvalue(), max_side=1024)
    assert photo.shape[:2] == (768, 1024)
    out, inverted = mnist_like(photo)
    assert inverted
    rows, cols = np.nonzero(out > 30)
    assert np.ptp(rows) + 1 in range(18, 23)  # the 7 is taller than wide: its height is 20
    cy, cx = _centre_of_mass(out.astype(float))
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1
    assert (out > 127).sum() >= 40  # MNIST-like stroke mass
    # upright: the bar of the 7 is its widest row, in the top quarter of the digit
    widths = [(row > 30).sum() for row in out]
    assert int(np.argmax(widths)) <= rows.min() + 5
