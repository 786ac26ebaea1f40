"""A set of learned kernels saved to disk: separable layers trained once, loaded by name.

``scripts/make_learned_kernels.py`` trains each entry with ``sepconv_core.learn.fit_separable``
on a ``sepconv_core.tasks`` target and writes them to one ``.npz`` file; ``load_learned_kernels``
reads such a file back. Where the file lives is the caller's business (the app ships
``assets/learned_kernels.npz``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

__all__ = ["LearnedKernel", "load_learned_kernels"]


@dataclass(frozen=True, eq=False)
class LearnedKernel:
    """One entry of the shipped set of learned kernels.

    Attributes
    ----------
    name : str
        Key in the set, e.g. "blur_3".
    task : str
        The ``sepconv_core.tasks.TASKS`` name it was trained on.
    kernel_size : int
    spatial : ndarray, shape (k, k)
        The 2-D kernel the trained layer applies to a gray image (R = G = B): the equivalent
        kernel summed over input channels, averaged over output channels.
    depthwise : ndarray, shape (k, k, Cin, M)
    pointwise : ndarray, shape (Cin*M, Cout)
    final_loss : float
        Mean squared error on the training images at the end.
    description : str
    """

    name: str
    task: str
    kernel_size: int
    spatial: np.ndarray
    depthwise: np.ndarray
    pointwise: np.ndarray
    final_loss: float
    description: str

    @property
    def label(self) -> str:
        """Short name for a menu, e.g. "blur 5×5"."""
        return f"{self.task} {self.kernel_size}×{self.kernel_size}"

    def depthwise_for(self, channels: int) -> np.ndarray:
        """Depthwise kernels (k, k, channels, M) for an image with ``channels`` channels.

        The trained stack when the channel counts agree; otherwise every channel gets
        ``spatial``, the kernel the layer applies to a gray image (M = 1).
        """
        if channels == self.depthwise.shape[2]:
            return self.depthwise
        k = self.kernel_size
        return np.broadcast_to(self.spatial[:, :, None, None], (k, k, channels, 1)).copy()


def load_learned_kernels(path) -> dict[str, LearnedKernel]:
    """Read a set of learned kernels written by ``scripts/make_learned_kernels.py``.

    Parameters
    ----------
    path : str, Path or file-like
        The ``.npz`` file (the app ships ``assets/learned_kernels.npz``).

    Returns
    -------
    dict
        Name -> ``LearnedKernel``, in the order the script wrote them.
    """
    with np.load(path, allow_pickle=False) as data:
        entries = json.loads(str(data["metadata"]))["entries"]
        return {
            name: LearnedKernel(
                name=name,
                task=info["task"],
                kernel_size=int(info["kernel_size"]),
                spatial=data[f"{name}/spatial"],
                depthwise=data[f"{name}/depthwise"],
                pointwise=data[f"{name}/pointwise"],
                final_loss=float(info["final_loss"]),
                description=info["description"],
            )
            for name, info in entries.items()
        }
