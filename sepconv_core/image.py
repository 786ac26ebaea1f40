"""Images in, images out: decode an upload safely and prepare it for the convolutions.

Everything the app feeds to a convolution comes through ``load_image``: a float32 array of
shape (H, W, C) with values in [0, 1], where C = 1 for grayscale files and 3 otherwise.

The decoder is Pillow, used defensively, because an upload can be anything:

* the pixel count is read from the header (``Image.open`` does not decode) and a file that is
  too large is refused before a single pixel is decoded;
* a JPEG is decoded directly at a reduced scale (``Image.draft``: 1/2, 1/4 or 1/8 of the size)
  when it is much larger than needed, then resampled with Lanczos, so a 12-megapixel photo never
  sits in memory at full size as floats;
* every failure (not an image, truncated, damaged, too large) becomes an ``ImageLoadError``
  whose message a student can read.

The other helpers are plain numpy: ``resize_to`` (area-averaging downscale), ``center_square``
(middle square crop), ``to_grayscale`` (ITU-R BT.601 luma) and ``to_uint8`` (for display).
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._checks import whole

#: Pillow formats we accept; anything else (EPS, PSD, ICO, ...) is "not an image we can read".
#: "JPEG" also opens MPO, the multi-picture JPEG that many phones write.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")

#: ITU-R BT.601 luma weights for R, G, B.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

_READABLE = "PNG, JPEG, GIF, WebP, BMP or TIFF"
_NOT_AN_IMAGE = f"This file is not an image we can read ({_READABLE})."
_TRUNCATED = "The file seems to be cut short (truncated): try saving or downloading it again."

# Magic numbers, to tell "a damaged PNG" from "not an image at all" in the error message.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)

# ``warnings.catch_warnings`` swaps the process-wide filter list; the lock keeps two uploads
# decoded at the same time (Streamlit runs sessions in threads) from restoring each other's.
_WARNINGS_LOCK = threading.Lock()


class ImageLoadError(ValueError):
    """The bytes given to ``load_image`` are not an image we can use; the message says why."""


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_image(
    data: bytes | bytearray | memoryview, *, max_side: int = 1024, max_pixels: int = 50_000_000
) -> np.ndarray:
    """Decode an image file into a float32 array of shape (H, W, C) with values in [0, 1].

    Parameters
    ----------
    data : bytes, bytearray or memoryview
        The whole file, as read from disk or from an upload. Nothing is written to disk.
    max_side : int, optional
        The longest side of the result is at most this many pixels; larger images are reduced
        (never enlarged), keeping their aspect ratio.
    max_pixels : int, optional
        Files whose header announces more pixels than this (width × height, before any
        reduction) are refused before decoding. Pillow's own decompression-bomb limit
        (``Image.MAX_IMAGE_PIXELS``, which this function never changes) applies as well.

    Returns
    -------
    image : ndarray of float32, shape (H, W, C)
        C = 1 for grayscale sources (modes ``1``, ``L``, ``LA``, ``I``, ``I;16``, ``F``) and
        C = 3 for everything else. Conversions:

        * EXIF orientation is applied, so a phone photo is the right way up;
        * transparency (RGBA, LA, palette or colour-key transparency) is composited on white;
        * palette, CMYK and YCbCr images are converted to RGB;
        * 16-bit images (``I;16``, ``I;16B``, and ``I``, which Pillow also uses for 16-bit
          PNGs) are divided by 65535 and clipped to [0, 1];
        * float images (``F``): NaN and infinities become 0; if the largest value is at most 1
          the values are clipped to [0, 1], otherwise the image is first divided by its largest
          value (so data stored as 0..4095 is shown in full), then negatives are clipped to 0;
        * an animated file (GIF, PNG, WebP) gives its first frame.

    Raises
    ------
    ImageLoadError
        The bytes are empty, not an image (text, HTML, SVG, random bytes), truncated, damaged,
        or the image is too large.
    TypeError
        ``data`` is not bytes-like (for example a file name).
    ValueError
        ``max_side`` or ``max_pixels`` is not a whole number of at least 1.
    """
    data = _check_data(data)
    max_side = whole(max_side, "max_side", 1)
    max_pixels = whole(max_pixels, "max_pixels", 1)
    if not data:
        raise ImageLoadError("The file is empty.")

    # Only the header read needs the warning filter: Pillow checks the pixel count there, and
    # anything that passes ``max_pixels`` (well under Pillow's own limit) decodes without it,
    # so uploads arriving together decode in parallel.
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = _open(data, max_pixels)
    width, height = img.size
    # Ask the JPEG decoder for a 1/2, 1/4 or 1/8 scale that is still >= the target size.
    # For other formats draft() does nothing. Must come before load().
    img.draft(None, _target_size(width, height, max_side))
    _decode(img)
    _apply_exif_orientation(img)
    img, alpha = _normalise_mode(img)

    size = _target_size(*img.size, max_side)
    if size != img.size:
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    array = _to_unit_float(img)
    if alpha:
        colour, opacity = array[..., :-1], array[..., -1:]
        array = colour * opacity + (1.0 - opacity)  # composite on white
    if array.ndim == 2:
        array = array[..., np.newaxis]
    return np.ascontiguousarray(array, dtype=np.float32)


def _check_data(data) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray):
        return bytes(data)
    if isinstance(data, memoryview):
        return data.tobytes()
    hint = (
        " (a file name? read the file first: open(path, 'rb').read())"
        if isinstance(data, str)
        else ""
    )
    raise TypeError(
        f"data must be the file's bytes (bytes, bytearray or memoryview), "
        f"got {type(data).__name__}{hint}."
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only, and refuse images with too many pixels."""
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(_too_many_pixels_from_pillow(str(exc), max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageLoadError(_not_an_image_message(data)) from None
    except Exception as exc:  # Pillow raises many types for a damaged header
        raise ImageLoadError(_damaged_message(exc)) from None
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageLoadError(f"The image has no pixels ({width} × {height}).")
    if width * height > max_pixels:
        raise ImageLoadError(
            f"The image is {width} × {height} pixels ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {max_pixels / 1e6:g} megapixels."
        )
    return img


def _decode(img: Image.Image) -> None:
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(_too_many_pixels_from_pillow(str(exc), None)) from None
    except Exception as exc:
        raise ImageLoadError(_damaged_message(exc)) from None


def _apply_exif_orientation(img: Image.Image) -> None:
    with contextlib.suppress(Exception):  # unreadable EXIF: keep the pixels as stored
        ImageOps.exif_transpose(img, in_place=True)


def _normalise_mode(img: Image.Image) -> tuple[Image.Image, bool]:
    """Convert to one of L, LA, RGB, RGBA, I, F; say whether the last band is alpha."""
    mode = img.mode
    if mode in ("L", "RGB") and "transparency" in img.info:  # colour-key transparency (tRNS)
        mode = mode + "A"
    elif mode in ("P", "PA"):
        mode = "RGBA" if mode == "PA" or "transparency" in img.info else "RGB"
    elif mode == "1":
        mode = "L"
    elif mode.startswith("I;16"):
        mode = "I"
    elif mode in ("La", "RGBa"):
        mode = mode.upper()
    elif mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        mode = "RGB"  # CMYK, YCbCr, LAB, HSV, RGBX
    if mode != img.mode:
        try:
            img = img.convert(mode)
        except Exception:
            raise ImageLoadError(
                f"The image uses the colour mode {img.mode}, which we cannot convert to RGB."
            ) from None
    return img, mode in ("LA", "RGBA")


def _to_unit_float(img: Image.Image) -> np.ndarray:
    """Pixels of an L, LA, RGB, RGBA, I or F image as float32 in [0, 1]."""
    if img.mode == "F":
        array = np.nan_to_num(np.asarray(img, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(array.max())
        if peak > 1.0:
            array = array / np.float32(peak)
        return np.clip(array, 0.0, 1.0)
    if img.mode == "I":
        return np.clip(np.asarray(img, dtype=np.float32) / np.float32(65535), 0.0, 1.0)
    return np.asarray(img, dtype=np.float32) / np.float32(255)


def _too_many_pixels_from_pillow(message: str, max_pixels: int | None) -> str:
    found = re.search(r"\((\d+) pixels\)", message)
    size = f"has {int(found.group(1)) / 1e6:,.0f} megapixels" if found else "is far too large"
    limit = f"; the limit is {max_pixels / 1e6:g} megapixels" if max_pixels else ""
    return f"The image {size}{limit}. Files this large are refused before decoding."


def _not_an_image_message(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        return (
            "This is an SVG drawing (vector graphics), not a pixel image: export it as PNG "
            f"first. We can read {_READABLE}."
        )
    if head.startswith(b"<!doctype html") or b"<html" in head:
        return (
            "This is a web page (HTML), not an image: save the picture itself "
            f"(right-click, Save image as). We can read {_READABLE}."
        )
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return f"This file starts like a {name} image but its contents are damaged."
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "This file starts like a WebP image but its contents are damaged."
    return _NOT_AN_IMAGE


def _damaged_message(exc: Exception) -> str:
    if isinstance(exc, EOFError) or "truncated" in str(exc).lower():
        return _TRUNCATED
    return f"The image data is damaged and could not be decoded ({exc})."


# ---------------------------------------------------------------------------------------------
# Working on decoded images
# ---------------------------------------------------------------------------------------------


def _target_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longest side is ``max_side``; unchanged if already smaller."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _float_dtype(image: np.ndarray) -> np.dtype:
    return image.dtype if np.issubdtype(image.dtype, np.floating) else np.dtype(np.float32)


def _area_weights(n_in: int, n_out: int, dtype) -> np.ndarray:
    """(n_out, n_in) matrix: row i averages the input pixels under output pixel i.

    Output pixel i covers the input interval [i r, (i + 1) r) with r = n_in / n_out; each input
    pixel j = [j, j + 1) contributes the length of its overlap, divided by r. For r = 1.5::

        out[0] = (1.0 * in[0] + 0.5 * in[1]) / 1.5
        out[1] = (0.5 * in[1] + 1.0 * in[2]) / 1.5

    Pillow's box filter (``Image.resize(..., BOX)``, ``ImageOps.contain``) is not this: for a
    ratio that is not a whole number it gives full weight to every pixel whose centre lies in
    the box, so [0, 3, 6] becomes [1.5, 6] instead of [1, 5] and the mean brightness moves; and
    its float mode holds float32 only. ``Image.reduce`` is exact, but for whole ratios only.
    """
    ratio = n_in / n_out
    start = np.arange(n_out)[:, None] * ratio
    j = np.arange(n_in)[None, :]
    overlap = np.minimum(start + ratio, j + 1) - np.maximum(start, j)
    return (np.clip(overlap, 0.0, None) / ratio).astype(dtype)


def resize_to(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink ``image`` so its longest side is at most ``max_side``, by area averaging.

    Each output pixel is the mean of the input area it covers (fractional pixels weighted by
    their overlap), so the mean brightness is kept and nothing aliases. Never enlarges.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    max_side : int
        Largest allowed height or width, at least 1.

    Returns
    -------
    ndarray, shape (H', W') or (H', W', C)
        max(H', W') = min(max(H, W), max_side), aspect ratio kept (rounded). Floating images
        keep their dtype; integer or bool images come back as float32 (same values, no
        rescaling).
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (H, W) or (H, W, C), got {image.shape}.")
    max_side = whole(max_side, "max_side", 1)
    dtype = _float_dtype(image)
    height, width = image.shape[:2]
    new_width, new_height = _target_size(width, height, max_side)
    if (new_height, new_width) == (height, width):
        return image.astype(dtype, copy=False)
    rows = _area_weights(height, new_height, dtype)  # (H', H)
    cols = _area_weights(width, new_width, dtype)  # (W', W)
    out = np.tensordot(rows, image.astype(dtype, copy=False), axes=(1, 0))  # (H', W, ...)
    out = np.tensordot(cols, out, axes=(1, 1))  # (W', H', ...)
    return np.ascontiguousarray(np.swapaxes(out, 0, 1))


def center_square(image: np.ndarray) -> np.ndarray:
    """The largest square in the middle of ``image`` (a view, no copy).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)

    Returns
    -------
    ndarray, shape (S, S) or (S, S, C) with S = min(H, W)
        Rows ``(H - S) // 2`` to ``(H - S) // 2 + S`` and the same for columns: when the margin
        is odd, the extra row or column is left at the bottom or right.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (H, W) or (H, W, C), got {image.shape}.")
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Luma of an RGB image, ITU-R BT.601: Y = 0.299 R + 0.587 G + 0.114 B.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), (H, W, 1) or (H, W)

    Returns
    -------
    ndarray, shape (H, W, 1)
        A (H, W, 1) input is returned as is (the same object); a (H, W) input as a (H, W, 1)
        view. Floating images keep their dtype; integer images give float32.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image[..., np.newaxis]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(
            f"image must have shape (H, W, 3) or (H, W, 1) to be made grayscale, got {image.shape}."
        )
    if image.shape[-1] == 1:
        return image
    dtype = _float_dtype(image)
    weights = np.asarray(LUMA_WEIGHTS, dtype=dtype)
    return (image.astype(dtype, copy=False) @ weights)[..., np.newaxis]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image with values in [0, 1] as uint8 0..255 for display (clipped, rounded; NaN -> 0)."""
    image = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
