"""Hostile inputs in the real app (AppTest): bad uploads, bad kernel text, extreme widgets.

A classroom is a load test with bad inputs. Every case here must end in a correct result or a
sentence on screen, never an exception, and what the student had before stays: the image after a
bad upload, the typed text and the last good kernel after bad text. Every file is made in memory
(Pillow, or zlib for the hand-made PNG headers); no binary is committed.

The expected numbers (shapes, pixel values, multiplication counts) are worked out by hand in each
test from the file that was built, never read back from the app's own helpers.
"""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
GOOD_CAPTION = "Working image: 30 × 40 × 3 (RGB)."  # the 40 wide × 30 high red PNG below


# ---------------------------------------------------------------------------------- helpers


def _app(page: str | None = None, *, size: int | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    if size is not None:
        at.select_slider(key="work_size").set_value(size).run()
    if page:
        at.switch_page(page).run()
    return at


def _upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    return at.file_uploader(key="uploader").set_value((name, data, mime)).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _caption(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption if c.value.startswith("Working image"))


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def _shapes(at: AppTest) -> str:
    """The depthwise page's chain of shapes, read at step 2 where every shape is shown."""
    at.radio(key="dw_step").set_value(at.radio(key="dw_step").options[2]).run()
    _ok(at)
    return " ".join(m.value for m in at.markdown if m.value.startswith("Shapes:"))


def _every_step(at: AppTest) -> None:
    """Visit every step of the depthwise page; none may raise."""
    for step in at.radio(key="dw_step").options:
        at.radio(key="dw_step").set_value(step).run()
        _ok(at)


def _working(at: AppTest) -> np.ndarray:
    """The float32 (H, W, C) image every page computes on in this session."""
    return at.session_state["chosen_image"].image


def _save(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _red_png() -> bytes:
    return _save(Image.new("RGB", (40, 30), (200, 30, 30)), "PNG")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_by_hand(width: int, height: int, rows: int, colour_type: int = 0) -> bytes:
    """A PNG whose header claims width × height 8-bit pixels; ``rows`` rows of zeros follow,
    compressed row by row (so building a 64-megapixel file never holds it in memory)."""
    channels = {0: 1, 2: 3}[colour_type]
    row = b"\x00" * (1 + channels * width)  # filter byte + samples
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(rows)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _truncated_jpeg() -> bytes:
    ramp = np.linspace(0, 255, 64 * 48 * 3).reshape(48, 64, 3).astype(np.uint8)
    data = _save(Image.fromarray(ramp), "JPEG", quality=90)
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">'
    b'<rect width="40" height="30" fill="red"/></svg>\n'
)


# ------------------------------------------------------------------- uploads that are refused

BAD_UPLOADS = {
    "empty": ("empty.png", lambda: b"", "The file is empty."),
    "text renamed .png": (
        "homework.png",
        lambda: b"Dear teacher, here is my homework.\n",
        "not an image we can read",
    ),
    "truncated JPEG": ("cut.jpg", _truncated_jpeg, "cut short"),
    "SVG": ("drawing.png", lambda: SVG, "SVG drawing"),
    # 8000 × 8000 gray zeros: a few tens of kB on disk, 64 megapixels (the app's limit is 50).
    "bomb, small on disk": (
        "bomb.png",
        lambda: _png_by_hand(8000, 8000, 8000),
        "The image is 8000 × 8000 pixels (64.0 megapixels); the limit is 50 megapixels.",
    ),
    # Only the header claims 100000 × 100000 RGB; Pillow's own bomb limit refuses it first.
    "bomb, huge in pixels": (
        "huge.png",
        lambda: _png_by_hand(100_000, 100_000, 2, colour_type=2),
        "The image has 10,000 megapixels",
    ),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_gives_a_sentence_and_keeps_the_previous_image(case):
    """After a good 40×30 upload, a refused file shows a sentence naming it and the reason;
    the good image is still the working image (same caption, same choice)."""
    name, make, reason = BAD_UPLOADS[case]
    at = _upload(_app("app_pages/depthwise.py"), "red.png", _red_png())
    _ok(at)
    assert _caption(at) == GOOD_CAPTION
    _upload(at, name, make())
    _ok(at)
    errors = _errors(at)
    assert f"“{name}” was not loaded" in errors
    assert reason in errors
    assert "The previous image is kept." in errors
    assert at.selectbox(key="image_choice").value == "Your upload"
    assert _caption(at) == GOOD_CAPTION
    assert np.allclose(_working(at)[0, 0], np.array([200, 30, 30]) / 255, atol=1 / 255)


def test_bad_upload_before_any_good_one_keeps_the_sample():
    """A refused first upload leaves the default sample in use, with the sentence."""
    at = _app()
    sample = at.selectbox(key="image_choice").value
    _upload(at, "homework.png", b"not an image at all")
    _ok(at)
    assert "not an image we can read" in _errors(at)
    assert at.selectbox(key="image_choice").value == sample
    assert _caption(at) == "Working image: 128 × 128 × 3 (RGB)."


def test_file_name_is_shown_without_markup():
    """A file name full of markdown and HTML (shown in sentences and in figure titles) loses
    every markup character; a refused file's sentence shows the same cleaned name."""
    hostile = '<b onclick="x">hi<b>[a](e.com)$x$:red[y]*z*&amp;`c`.png'  # 52 characters
    at = _upload(_app("app_pages/depthwise.py"), hostile, _red_png())
    _ok(at)
    name = at.session_state["upload"]["name"]
    assert name.endswith(".png") and "hi" in name
    assert not set(name) & set("<>[]$:*\"'`/\\")
    at.switch_page("app_pages/spatial.py").run()
    assert f"*{name}*" in _text(at)
    _upload(at, "<i>bad</i>.png", b"not an image")
    assert "“i-.png” was not loaded" in _errors(at)  # folders dropped: '<i>bad<' + '/' + 'i>.png'


# ------------------------------------------------------------- unusual files that must load


def test_cmyk_jpeg_is_converted_to_rgb():
    """Pure cyan in CMYK (C = 255) becomes RGB (0, 1, 1) within JPEG error."""
    cyan = _save(Image.new("CMYK", (40, 30), (255, 0, 0, 0)), "JPEG", quality=95)
    at = _upload(_app(), "print.jpg", cyan, "image/jpeg")
    _ok(at)
    assert not at.error
    assert _caption(at) == GOOD_CAPTION
    assert np.allclose(_working(at).mean(axis=(0, 1)), [0, 1, 1], atol=0.03)


def test_16_bit_png_keeps_its_scale():
    """A 16-bit gray PNG, left half 1000 and right half 60000, gives one channel with
    1000/65535 and 60000/65535 (to within the 1/255 of the 8-bit store)."""
    values = np.full((30, 40), 1000, np.uint16)
    values[:, 20:] = 60000
    data = _save(Image.fromarray(values), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")  # really 16 bits on disk
    at = _upload(_app(), "depth.png", data)
    _ok(at)
    assert _caption(at) == "Working image: 30 × 40 × 1 (grayscale)."
    image = _working(at)
    assert abs(image[5, 5, 0] - 1000 / 65535) <= 1 / 255
    assert abs(image[5, 35, 0] - 60000 / 65535) <= 1 / 255


def test_palette_with_transparency_is_composited_on_white():
    """Palette index 0 is red, index 1 is blue but transparent: the left half (index 0)
    stays red, the right half (index 1) becomes white, not blue."""
    img = Image.new("P", (40, 30), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    img.paste(1, (20, 0, 40, 30))
    at = _upload(_app(), "sticker.png", _save(img, "PNG", transparency=1))
    _ok(at)
    image = _working(at)
    assert np.allclose(image[15, 5], [1, 0, 0], atol=1e-6)
    assert np.allclose(image[15, 35], [1, 1, 1], atol=1e-6)


def test_animated_gif_gives_its_first_frame():
    """A two-frame GIF, red then blue: the working image is the red first frame."""
    frames = [Image.new("RGB", (40, 30), c).convert("P") for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    at = _upload(_app(), "blink.gif", buf.getvalue(), "image/gif")
    _ok(at)
    assert _caption(at) == GOOD_CAPTION
    assert np.allclose(_working(at).mean(axis=(0, 1)), [1, 0, 0], atol=0.02)


def test_exif_rotated_jpeg_is_turned_upright():
    """Stored 40 wide × 20 high, black left half, with EXIF orientation 6 (turn 90° clockwise
    to view): the working image is 40 high × 20 wide with the black half on top."""
    stored = np.full((20, 40, 3), 255, np.uint8)
    stored[:, :20] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _save(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())
    at = _upload(_app(), "phone.jpg", data, "image/jpeg")
    _ok(at)
    assert _caption(at) == "Working image: 40 × 20 × 3 (RGB)."
    image = _working(at)
    assert image[:15].mean() < 0.1 and image[-15:].mean() > 0.9


def test_one_pixel_image_loads_and_every_page_runs():
    """A 1×1 upload is a 1×1×3 working image; every page runs on it without an exception."""
    at = _upload(_app(), "dot.png", _save(Image.new("RGB", (1, 1), (0, 128, 255)), "PNG"))
    _ok(at)
    assert _caption(at) == "Working image: 1 × 1 × 3 (RGB)."
    for page in ("spatial", "depthwise", "learned", "cost", "overview"):
        at.switch_page(f"app_pages/{page}.py").run()
        _ok(at)


def test_twelve_megapixel_photo_is_reduced_to_the_working_size():
    """A 4000×3000 JPEG loads; the working image is at most 512 on a side (384×512 at the
    largest working size) and what the session keeps is no larger than that."""
    y, x = np.mgrid[0:3000:8, 0:4000:8]
    small = np.dstack([x * 255 // 4000, y * 255 // 3000, np.full_like(x, 128)]).astype(np.uint8)
    photo = Image.fromarray(small).resize((4000, 3000), Image.Resampling.NEAREST)
    at = _upload(_app(), "IMG_0001.jpg", _save(photo, "JPEG", quality=80), "image/jpeg")
    _ok(at)
    assert not at.error
    assert _caption(at) == "Working image: 96 × 128 × 3 (RGB)."
    at.select_slider(key="work_size").set_value(512).run()
    _ok(at)
    assert _caption(at) == "Working image: 384 × 512 × 3 (RGB)."
    assert at.session_state["upload"]["pixels"].shape == (384, 512, 3)


# ---------------------------------------------------------------------- kernel text, refused

BINOMIAL_5 = "\n".join(
    " ".join(str(a * b) for b in (1, 4, 6, 4, 1)) for a in (1, 4, 6, 4, 1)
)  # rank 1, 5×5: on the 128×128 sample with 'valid' padding the output is 124×124

BAD_KERNELS = {
    "a word": ("1 2 1\n2 four 2\n1 2 1", "'four' in row 2, column 2 is not a number."),
    "ragged rows": ("1 2 1\n2 4\n1 2 1", "Ragged rows: row 2 has 2 numbers but row 1 has 3"),
    "NaN": ("1 nan 1", "every weight must be a finite number"),
    "inf": ("1 2 inf\n1 1 1", "'inf' in row 1, column 3 is not allowed"),
    "1/0": ("1/0 1\n1 1", "Division by zero: '1/0'"),
    "16×16": (
        "\n".join(" ".join("1" for _ in range(16)) for _ in range(16)),
        "The kernel is 16×16; the largest allowed is 15×15.",
    ),
    "empty": ("", "The kernel is empty"),
    "10k characters": ("1 " * 5001, "the limit is 10,000 characters"),
}


def test_bad_kernel_text_keeps_the_text_and_the_last_good_kernel():
    """Each refused text shows the parser's sentence, stays in the box as typed, and the page
    goes on with the last good kernel (the 5×5 binomial: rank 1, output 124×124)."""
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value(BINOMIAL_5).run()
    _ok(at)
    assert not at.error
    assert "Rank **1**" in _text(at) and "gives 124×124" in _text(at)
    for text, sentence in BAD_KERNELS.values():
        at.text_area(key="sp_text").set_value(text).run()
        _ok(at)
        assert sentence in _errors(at), text[:40]
        assert "The last good kernel is still in use." in _errors(at)
        assert at.text_area(key="sp_text").value == text
        assert "Rank **1**" in _text(at) and "gives 124×124" in _text(at)


# ------------------------------------------------------------------ extreme widget settings

SQUARE_15 = "\n".join(" ".join("1" for _ in range(15)) for _ in range(15))


@pytest.mark.parametrize(
    ("width", "height", "working"),
    [(1, 1, "1 × 1"), (200, 3, "1 × 32")],  # 3×200 at working size 32: round(0.48) -> 1 row
)
def test_largest_kernel_on_smallest_image(width, height, working):
    """A 15×15 kernel on a 1-row image: 'valid' padding gives a sentence (no position fits),
    the kernel itself is still analysed, and 'same' padding gives an output of the image's
    size, sampled every 4th pixel with stride 4."""
    at = _app(size=32)
    _upload(at, "thin.png", _save(Image.new("RGB", (width, height), (9, 99, 199)), "PNG"))
    assert _caption(at) == f"Working image: {working} × 3 (RGB)."
    at.switch_page("app_pages/spatial.py").run()
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value(SQUARE_15).run()
    _ok(at)
    assert "does not fit inside the" in _errors(at) and "'valid' padding" in _errors(at)
    assert "Rank **1**" in _text(at)
    at.radio(key="sp_padding").set_value("same").run()
    _ok(at)
    assert not at.error
    w_out = int(working.split(" × ")[1])
    assert f"gives 1×{w_out}." in _text(at)
    at.slider(key="sp_stride").set_value(4).run()
    _ok(at)
    assert f"gives 1×{-(-w_out // 4)}." in _text(at)


def test_depthwise_on_a_one_row_image_offers_only_1x1_kernels():
    """On a 1×32 image with 'valid' padding only 1×1 kernels fit; the page says so and every
    step runs; 'same' padding brings the kernel size slider back."""
    at = _app(size=32)
    _upload(at, "thin.png", _save(Image.new("RGB", (200, 3), (9, 99, 199)), "PNG"))
    at.switch_page("app_pages/depthwise.py").run()
    at.radio(key="dw_input").set_value("Working size (sidebar)").run()
    _ok(at)
    assert "only 1×1 kernels fit" in _text(at)
    assert "**1×32×3** → **1×1×1 (×3)** → **1×32×3**" in _shapes(at)
    _every_step(at)
    at.radio(key="dw_padding").set_value("same").run()
    _ok(at)
    assert at.slider(key="dw_k").max == 7


def test_depthwise_largest_kernel_and_stride_on_the_smallest_working_size():
    """Working size 32 (32×32 sample), 'valid', k = 7, stride 3: (32 − 7) // 3 + 1 = 9, so
    9×9×16 out; k = 1 with stride 3 (stride larger than the kernel): ceil(32 / 3) = 11."""
    at = _app("app_pages/depthwise.py", size=32)
    at.radio(key="dw_input").set_value("Working size (sidebar)").run()
    assert at.slider(key="dw_k").max == 7
    at.slider(key="dw_k").set_value(7)
    at.slider(key="dw_stride").set_value(3).run()
    _ok(at)
    assert "**32×32×3** → **7×7×1 (×3)** → **9×9×3**" in _shapes(at)
    assert "**9×9×16**" in _shapes(at)
    at.slider(key="dw_k").set_value(1).run()
    _ok(at)
    assert "**11×11×16**" in _shapes(at)
    _every_step(at)


def test_spatial_stride_larger_than_the_kernel():
    """A 1×1 kernel with stride 4 on the 128×128 sample gives 32×32 and the same counts as
    one multiplication per output: 1,024."""
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Random (seeded)").run()
    at.slider(key="sp_rsize").set_value(1)
    at.slider(key="sp_stride").set_value(4).run()
    _ok(at)
    assert "gives 32×32." in _text(at)
    assert "Whole image, 2-D 1,024" in _text(at)


def test_cost_page_largest_kernel_on_smallest_image():
    """H = W = 15, k = 15, 'valid': a 1×1×256 output; normal 15·15·3·256 = 172,800
    multiplications, separable 15·15·3 + 3·256 = 1,443. With H = 1 only k = 1 is offered."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_h").set_value(15)
    at.number_input(key="cost_w").set_value(15).run()
    at.number_input(key="cost_k").set_value(15).run()
    _ok(at)
    text = _text(at)
    assert "1×1×256" in text and "172,800" in text and "1,443" in text
    at.number_input(key="cost_h").set_value(1).run()
    _ok(at)
    assert at.number_input(key="cost_k").max == 1 and at.number_input(key="cost_k").value == 1


def test_256_outputs_at_the_largest_working_size_are_capped_with_a_sentence():
    """256 output channels are allowed at working size 128; moving to 512 × 512 caps them at
    16 (512·512·16 numbers per output) with a sentence, and every step runs."""
    at = _app("app_pages/depthwise.py")
    at.radio(key="dw_input").set_value("Working size (sidebar)").run()
    at.slider(key="dw_cout_work").set_value(256).run()
    _ok(at)
    assert "**124×124×256**" in _shapes(at)
    at.select_slider(key="work_size").set_value(512).run()
    _ok(at)
    assert "At most 16 output channels at 512×512" in _text(at)
    assert at.slider(key="dw_cout_work").max == 16
    assert "**508×508×16**" in _shapes(at)
    _every_step(at)


def test_depth_multiplier_4_with_256_outputs():
    """The tiny 12×12×3 input, M = 4, 256 outputs: 12 depthwise channels of 8×8, pointwise
    weights 12×256, and the separable layer still equals the normal convolution."""
    at = _app("app_pages/depthwise.py")
    at.slider(key="dw_m").set_value(4).run()
    _ok(at)
    assert "**8×8×12** → **1×1×12×256** → **8×8×256**" in _shapes(at)
    _every_step(at)
    steps = at.radio(key="dw_step").options
    at.radio(key="dw_step").set_value([s for s in steps if "normal convolution" in s][0]).run()
    diff = [m.value for m in at.markdown if "largest difference" in m.value][0]
    assert float(diff.split("**")[-2]) < 1e-4
