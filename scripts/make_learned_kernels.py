"""Train the app's shipped set of learned kernels: assets/learned_kernels.npz (deterministic).

    python -m scripts.make_learned_kernels        # about 20 s on 2 cores

Training data: three bundled samples (assets/astronaut.jpg, assets/coffee.jpg,
assets/test_pattern.png), each loaded with ``sepconv_core.image.load_image``, reduced with
``resize_to`` to 64 px on the longest side (64 px wide) and stacked top to bottom into one
171 x 64 x 3 float64 mosaic. For every task in ``TASKS`` below and k in ``SIZES``, the target is
``sepconv_core.tasks.make_task(task, mosaic)`` and ``sepconv_core.learn.fit_separable`` trains a
depthwise-separable layer from scratch (k x k, depth multiplier 1, 'same' padding, Adam, fixed
seed and steps).

Each entry NAME = "<task>_<k>" (e.g. "blur_3") holds three arrays:

    NAME/spatial     (k, k)        the 2-D kernel the layer applies to a gray image (R = G = B):
                                   equivalent_kernel(D, P) summed over the input channels,
                                   averaged over the output channels
    NAME/depthwise   (k, k, 3, 1)  D, for the depthwise-separable page
    NAME/pointwise   (3, Cout)     P

and the entry "metadata" is a JSON string: {"format": 1, "images": [...], "image_side": 64,
"entries": {NAME: {"task", "kernel_size", "depth_multiplier", "padding", "optimizer", "steps",
"learning_rate", "seed", "final_loss", "relative_error", "description"}}}. Read it with
``sepconv_core.learned_kernels.load_learned_kernels(path)``.

Everything is seeded, and the zip is written with fixed timestamps, so running the script again
gives the same bytes (same numpy, same machine; another BLAS may change the last digits).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import numpy as np

from sepconv_core.conv import equivalent_kernel
from sepconv_core.image import load_image, resize_to
from sepconv_core.learn import fit_separable
from sepconv_core.tasks import make_task

ROOT = Path(__file__).resolve().parents[1]

OUTPUT = ROOT / "assets" / "learned_kernels.npz"
IMAGES = ("astronaut.jpg", "coffee.jpg", "test_pattern.png")
IMAGE_SIDE = 64
TASKS = ("edges", "blur", "emboss", "sharpen")
SIZES = (3, 5)
SETTINGS = {
    "depth_multiplier": 1,
    "padding": "same",
    "optimizer": "adam",
    "steps": 1500,
    "learning_rate": 0.05,
    "seed": 0,
}


def training_mosaic() -> np.ndarray:
    """The three samples, 64 px wide each, stacked top to bottom: (H, 64, 3) float64."""
    tiles = [
        resize_to(load_image((ROOT / "assets" / name).read_bytes()), IMAGE_SIDE) for name in IMAGES
    ]
    return np.concatenate(tiles, axis=0).astype(np.float64)


def spatial_kernel(depthwise: np.ndarray, pointwise: np.ndarray) -> np.ndarray:
    """The (k, k) kernel the layer applies to a gray image, averaged over output channels."""
    return equivalent_kernel(depthwise, pointwise).sum(axis=2).mean(axis=-1)


def train_entry(mosaic: np.ndarray, task: str, k: int) -> tuple[dict, dict]:
    """Fit one layer; return its arrays and its metadata."""
    target, _ = make_task(task, mosaic)
    fit = fit_separable(mosaic, target, kernel_size=k, **SETTINGS)
    error = float(np.linalg.norm(fit.prediction - target) / np.linalg.norm(target))
    name = f"{task}_{k}"
    arrays = {
        f"{name}/spatial": spatial_kernel(fit.depthwise_kernel, fit.pointwise_kernel),
        f"{name}/depthwise": fit.depthwise_kernel,
        f"{name}/pointwise": fit.pointwise_kernel,
    }
    info = {
        "task": task,
        "kernel_size": k,
        **SETTINGS,
        "final_loss": fit.final_loss,
        "relative_error": error,
        "description": (
            f"A {k}×{k} depthwise-separable layer trained from random weights for "
            f"{SETTINGS['steps']} Adam steps on three sample images to imitate the "
            f"{task!r} task, which it reproduces to {error:.1%} relative error."
        ),
    }
    print(f"{name:10s} loss {fit.final_loss:.3g}  error {error:6.1%}  {fit.seconds:5.1f} s")
    return arrays, info


def write_npz(path: Path, arrays: dict) -> None:
    """Like ``np.savez_compressed``, but with fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main() -> None:
    start = time.perf_counter()
    mosaic = training_mosaic()
    print(f"training mosaic {mosaic.shape} from {', '.join(IMAGES)}")
    arrays, entries = {}, {}
    for task in TASKS:
        for k in SIZES:
            entry_arrays, info = train_entry(mosaic, task, k)
            arrays.update(entry_arrays)
            entries[f"{task}_{k}"] = info
    metadata = {"format": 1, "images": list(IMAGES), "image_side": IMAGE_SIDE, "entries": entries}
    arrays["metadata"] = np.array(json.dumps(metadata, indent=1, ensure_ascii=False))
    write_npz(OUTPUT, arrays)
    seconds = time.perf_counter() - start
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size} bytes) in {seconds:.0f} s")


if __name__ == "__main__":
    main()
