"""Write the app's bundled sample images into assets/ (deterministic).

    python -m scripts.make_assets                      # fetches the scikit-image wheel with pip
    python -m scripts.make_assets --skimage-data DIR   # DIR = an unzipped wheel's skimage/data

The photos come from the sample data inside the scikit-image wheel (version pinned below), whose
notes release them as CC0 or into the public domain (see assets/LICENSES.md). The project does
not depend on scikit-image: the wheel is only downloaded (``pip download --no-deps``) and
unzipped in a temporary folder. Each source file is checked against its SHA-256 so the output
cannot silently change. The test pattern is drawn here, by ``draw_test_pattern``.

Outputs, at most 512 px on the longest side, no metadata (EXIF, ICC, comments):

    assets/camera.png        grayscale, PNG (lossless)
    assets/chelsea.jpg       RGB, JPEG quality 90, no chroma subsampling
    assets/coffee.jpg        RGB, JPEG quality 90, no chroma subsampling
    assets/astronaut.jpg     RGB, JPEG quality 90, no chroma subsampling
    assets/test_pattern.png  RGB, PNG, draw_test_pattern(512)
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from sepconv_core.image import to_uint8

ROOT = Path(__file__).resolve().parents[1]

SKIMAGE_VERSION = "0.26.0"
MAX_SIDE = 512
JPEG_OPTIONS = {"quality": 90, "subsampling": 0, "optimize": False, "progressive": False}

# output name -> (file in skimage/data, SHA-256 of that file in scikit-image 0.26.0)
PHOTOS = {
    "camera.png": (
        "camera.png",
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
    ),
    "chelsea.jpg": (
        "chelsea.png",
        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    ),
    "coffee.jpg": (
        "coffee.png",
        "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    ),
    "astronaut.jpg": (
        "astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    ),
}


def fetch_skimage_data(workdir: Path) -> Path:
    """Download the pinned scikit-image wheel (no dependencies) and unzip its sample data."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "-d", str(workdir), f"scikit-image=={SKIMAGE_VERSION}"],
        check=True,
    )  # fmt: skip
    wheel = next(workdir.glob("scikit_image-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.startswith("skimage/data/")]
        archive.extractall(workdir, members=members)
    return workdir / "skimage" / "data"


def shrink(img: Image.Image) -> Image.Image:
    """Longest side at most MAX_SIDE, Lanczos; never enlarges."""
    longest = max(img.size)
    if longest <= MAX_SIDE:
        return img
    scale = MAX_SIDE / longest
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)


def write_photo(source: Path, sha256: str, target: Path) -> None:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{source} has SHA-256 {digest}, expected {sha256}: wrong version?")
    with Image.open(source) as img:
        img.load()
        # Keep grayscale grayscale; drop alpha and every piece of metadata.
        pixels = shrink(img.convert("L" if img.mode in ("L", "I;16", "I") else "RGB"))
    clean = Image.fromarray(np.asarray(pixels))
    if target.suffix == ".jpg":
        clean.save(target, "JPEG", **JPEG_OPTIONS)
    else:
        clean.save(target, "PNG", optimize=False, compress_level=9)


def write_test_pattern(target: Path) -> None:
    Image.fromarray(to_uint8(draw_test_pattern(MAX_SIDE))).save(
        target, "PNG", optimize=False, compress_level=9
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skimage-data", type=Path, help="an unzipped wheel's skimage/data")
    parser.add_argument("--out", type=Path, default=ROOT / "assets", help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.skimage_data or fetch_skimage_data(Path(tmp))
        for name, (source, sha256) in PHOTOS.items():
            write_photo(data_dir / source, sha256, args.out / name)
    write_test_pattern(args.out / "test_pattern.png")

    for path in sorted(args.out.glob("*.*")):
        if path.suffix in (".png", ".jpg"):
            with Image.open(path) as img:
                print(f"{path.name:18} {img.mode:4} {img.width}x{img.height}  "
                      f"{path.stat().st_size / 1024:6.1f} KiB")  # fmt: skip


# --------------------------------------------------------------------------- the test pattern


def draw_test_pattern(size: int = 256) -> np.ndarray:
    """A deterministic synthetic image with edges in every direction and many colours.

    Four quadrants::

        +--------------------+--------------------+
        | checkerboard       | hue ramp (left to  |
        | 8 x 8 squares,     | right) fading into |
        | black and white    | a gray ramp (down) |
        +--------------------+--------------------+
        | zone plate:        | vertical | horiz.  |
        | concentric rings,  | bars     | bars    |
        | finer outwards     +----------+---------+
        |                    | diagonal edge      |
        +--------------------+--------------------+

    Parameters
    ----------
    size : int, optional
        Height and width in pixels, at least 16.

    Returns
    -------
    ndarray of float32, shape (size, size, 3), values in [0, 1]
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be a whole number of at least 16, got {size!r}.")
    top, left = size // 2, size // 2
    bottom, right = size - top, size - left
    image = np.empty((size, size, 3), dtype=np.float64)
    image[:top, :left] = _checkerboard(top, left)
    image[:top, left:] = _colour_ramp(top, right)
    image[top:, :left] = _zone_plate(bottom, left)
    image[top:, left:] = _bars_and_edge(bottom, right)
    return image.astype(np.float32)


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1): y down the rows, x along the columns."""
    y = (np.arange(height)[:, None] + 0.5) / height
    x = (np.arange(width)[None, :] + 0.5) / width
    return y, x


def _gray(values: np.ndarray) -> np.ndarray:
    return np.repeat(values[..., np.newaxis], 3, axis=-1)


def _checkerboard(height: int, width: int) -> np.ndarray:
    y, x = _grid(height, width)
    return _gray(((np.floor(y * 8) + np.floor(x * 8)) % 2).astype(np.float64))


def _colour_ramp(height: int, width: int) -> np.ndarray:
    y, x = _grid(height, width)
    hue = np.broadcast_to(x, (height, width))
    rainbow = np.stack(
        [
            np.clip(np.abs(6 * hue - 3) - 1, 0, 1),
            np.clip(2 - np.abs(6 * hue - 2), 0, 1),
            np.clip(2 - np.abs(6 * hue - 4), 0, 1),
        ],
        axis=-1,
    )
    fade = y[..., np.newaxis]
    return rainbow * (1 - fade) + _gray(np.broadcast_to(x, (height, width))) * fade


def _zone_plate(height: int, width: int) -> np.ndarray:
    # Phase pi r^2 / n (r in pixels) gives a local frequency of r / n cycles per pixel: it
    # reaches Nyquist (0.5) at the edge of the disc of radius n / 2. Outside: mid gray.
    n = min(height, width)
    rows = np.arange(height)[:, None] + 0.5 - height / 2
    cols = np.arange(width)[None, :] + 0.5 - width / 2
    r2 = rows**2 + cols**2
    rings = 0.5 + 0.5 * np.cos(np.pi * r2 / n)
    return _gray(np.where(r2 <= (n / 2) ** 2, rings, 0.5))


def _bars_and_edge(height: int, width: int) -> np.ndarray:
    y, x = _grid(height, width)
    out = np.empty((height, width, 3))
    upper = np.broadcast_to(y < 0.5, (height, width))
    vertical = upper & (x < 0.5)
    horizontal = upper & (x >= 0.5)
    bars_v = np.floor(x * 16) % 2  # 8 bars across the left half
    bars_h = np.floor(y * 16) % 2  # 8 bars down the upper half
    red, white = np.array([0.9, 0.1, 0.1]), np.array([1.0, 1.0, 1.0])
    blue, yellow = np.array([0.1, 0.2, 0.8]), np.array([1.0, 0.85, 0.1])
    orange, navy = np.array([1.0, 0.5, 0.0]), np.array([0.05, 0.05, 0.3])
    bars_v = np.broadcast_to(bars_v, (height, width))[..., None]
    bars_h = np.broadcast_to(bars_h, (height, width))[..., None]
    diagonal = (x - 0.5) * width > (y - 0.75) * height  # 45 degrees through the lower half
    out[...] = np.where(diagonal[..., None], orange, navy)
    out[vertical] = np.where(bars_v, white, red)[vertical]
    out[horizontal] = np.where(bars_h, yellow, blue)[horizontal]
    return out


if __name__ == "__main__":
    main()
