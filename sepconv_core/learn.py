"""Learned kernels: fit a separable layer (or a normal convolution) by gradient descent, in numpy.

A depthwise-separable layer is two linear steps, and the loss is the mean squared error::

    z = depthwise(x, D)     D: (k, k, Cin, M)      z: (H', W', Cin*M)
    y = z @ P               P: (Cin*M, Cout)       y: (H', W', Cout)
    L = mean((y - t)^2)

Backpropagation runs the same steps in reverse; each gradient is again a convolution::

    dL/dy = 2 (y - t) / y.size
    dL/dP = z^T @ dL/dy                      (summed over pixels)
    dL/dz = dL/dy @ P^T                      (a pointwise convolution with P^T)
    dL/dD[i, j, c, m] = sum_{y,x} xpad[y + i, x + j, c] * dL/dz[y, x, c*M + m]

The last line is a correlation of the padded input with the output gradient used as the
"kernel". A normal convolution ``y = conv2d(x, K)`` has the same kernel gradient, with ``dL/dy``
for every input channel. (Only kernel gradients are needed: the image is data, not a weight.)

Training is the usual loop -- forward, backward, optimizer step (Adam, or plain gradient descent
"sgd") -- for ``steps`` steps, or until ``time_budget`` seconds have passed, the callback returns
``False`` or the loss stops being finite. ``make_task`` builds targets from an image (what the
layer should learn), and ``load_learned_kernels`` reads the set shipped in
``assets/learned_kernels.npz``, which ``scripts/make_learned_kernels.py`` trains.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import kernels
from ._checks import whole as _whole
from ._padding import check_padding, output_size, pad_amounts
from .conv import conv2d, correlate2d, depthwise_conv2d, pointwise_conv2d
from .image import LUMA_WEIGHTS

__all__ = [
    "LEARNED_KERNELS_PATH",
    "OPTIMIZERS",
    "TASKS",
    "ConvFitResult",
    "FitResult",
    "LearnedKernel",
    "conv2d_loss_and_grads",
    "fit_both",
    "fit_conv2d",
    "fit_separable",
    "load_learned_kernels",
    "make_task",
    "separable_loss_and_grads",
]

OPTIMIZERS = ("adam", "sgd")

#: The shipped set of learned kernels (see scripts/make_learned_kernels.py).
LEARNED_KERNELS_PATH = Path(__file__).resolve().parent.parent / "assets" / "learned_kernels.npz"

# --------------------------------------------------------------------------- checks


def _positive(value, name: str) -> float:
    """``value`` as a finite float > 0, or a ``ValueError`` naming ``name``."""
    try:
        ok = not isinstance(value, bool) and math.isfinite(value) and value > 0
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}.")
    return float(value)


def _array(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as a finite floating (H, W, C) array (2-D means one channel), ``ValueError`` if not.

    Keeps a floating dtype; integer and boolean arrays become float64. ``dtype`` forces one.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}.")
    if a.ndim == 2:
        a = a[:, :, np.newaxis]
    if a.ndim != 3 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty (H, W) or (H, W, C) array, got {a.shape}.")
    if dtype is None:
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    a = a.astype(dtype, copy=False)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or infinity).")
    return a


def _kernel(x, name: str, ndim: int, layout: str, dtype) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "biuf" or a.ndim != ndim or a.size == 0:
        raise ValueError(f"{name} must be a real {layout} array, got {a.dtype} {a.shape}.")
    return a.astype(dtype)


def _check_target(target: np.ndarray, image: np.ndarray, kh: int, kw: int, padding: str) -> None:
    """The target must have the layer's output height and width (stride 1)."""
    h, w = image.shape[:2]
    expected = (output_size(h, kh, 1, padding), output_size(w, kw, 1, padding))
    if target.shape[:2] != expected:
        raise ValueError(
            f"target must be {expected[0]} x {expected[1]} (the output of a {kh} x {kw} kernel "
            f"on a {h} x {w} image with padding={padding!r}), got {target.shape[0]} x "
            f"{target.shape[1]}."
        )


# ------------------------------------------------------------------ forward and backward


def _pad(image: np.ndarray, kh: int, kw: int, padding: str) -> np.ndarray:
    """Zero-pad once (TensorFlow's rule), so every later correlation is 'valid'."""
    h, w = image.shape[:2]
    pads = (pad_amounts(h, kh, 1, padding), pad_amounts(w, kw, 1, padding), (0, 0))
    return np.pad(image, pads)


def _kernel_gradient(padded: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """dL/dW for ``out[y, x, c, n] = sum_ij padded[y + i, x + j, c] * W[i, j, c, n]``.

    The gradient is a correlation of the padded input with the output gradient
    ``grad_out`` (H', W', C, N) as the kernel, one input channel at a time: (kh, kw, C, N).
    """
    per_channel = [
        conv2d(padded[:, :, c], grad_out[:, :, c, np.newaxis, :]) for c in range(padded.shape[2])
    ]
    return np.stack(per_channel, axis=2)


def _mse(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error and its gradient with respect to the prediction."""
    error = prediction - target
    return float(np.mean(error * error)), error * (2.0 / error.size)


def _separable_forward_backward(padded, target, params):
    """Loss, gradients and prediction of the separable layer ``params`` on a padded image."""
    d, p = params["depthwise_kernel"], params["pointwise_kernel"]
    cin, m = d.shape[2:]
    z = depthwise_conv2d(padded, d)  # (H', W', Cin*M)
    y = pointwise_conv2d(z, p)  # (H', W', Cout)
    loss, grad_y = _mse(y, target)
    h, w, cout = grad_y.shape
    grad_p = z.reshape(h * w, cin * m).T @ grad_y.reshape(h * w, cout)
    grad_z = pointwise_conv2d(grad_y, p.T)
    grad_d = _kernel_gradient(padded, grad_z.reshape(h, w, cin, m))
    return loss, {"depthwise_kernel": grad_d, "pointwise_kernel": grad_p}, y


def _conv_forward_backward(padded, target, params):
    """Loss, gradient and prediction of the normal convolution ``params`` on a padded image."""
    y = conv2d(padded, params["kernel"])  # (H', W', Cout)
    loss, grad_y = _mse(y, target)
    h, w, cout = grad_y.shape
    every_channel = np.broadcast_to(grad_y[:, :, np.newaxis, :], (h, w, padded.shape[2], cout))
    return loss, {"kernel": _kernel_gradient(padded, every_channel)}, y


def separable_loss_and_grads(
    image, target, depthwise_kernel, pointwise_kernel, *, padding="same"
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of a depthwise-separable layer, and its gradients.

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    target : array_like, shape (H', W', Cout) or (H', W')
        H', W' are the output size for ``padding`` (stride 1).
    depthwise_kernel : array_like, shape (kh, kw, Cin, M)
    pointwise_kernel : array_like, shape (Cin*M, Cout)
    padding : {'same', 'valid'}, optional

    Returns
    -------
    loss : float
        ``mean((separable_conv2d(image, D, P) - target) ** 2)``.
    grads : dict
        ``"depthwise_kernel"`` and ``"pointwise_kernel"``: dL/dD and dL/dP, shaped like the
        kernels, in the image's floating dtype.
    """
    padding = check_padding(padding)
    x = _array(image, "image")
    d = _kernel(depthwise_kernel, "depthwise_kernel", 4, "(kh, kw, Cin, M)", x.dtype)
    p = _kernel(pointwise_kernel, "pointwise_kernel", 2, "(Cin*M, Cout)", x.dtype)
    if d.shape[2] != x.shape[2] or p.shape[0] != d.shape[2] * d.shape[3]:
        raise ValueError(
            f"depthwise_kernel {d.shape} and pointwise_kernel {p.shape} do not fit an image "
            f"with {x.shape[2]} channels."
        )
    t = _array(target, "target", x.dtype)
    _check_target(t, x, d.shape[0], d.shape[1], padding)
    if t.shape[2] != p.shape[1]:
        raise ValueError(
            f"target has {t.shape[2]} channels but pointwise_kernel gives {p.shape[1]}."
        )
    padded = _pad(x, d.shape[0], d.shape[1], padding)
    params = {"depthwise_kernel": d, "pointwise_kernel": p}
    loss, grads, _ = _separable_forward_backward(padded, t, params)
    return loss, grads


def conv2d_loss_and_grads(
    image, target, kernel, *, padding="same"
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of a normal convolution, and its gradient.

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    target : array_like, shape (H', W', Cout) or (H', W')
    kernel : array_like, shape (kh, kw, Cin, Cout)
    padding : {'same', 'valid'}, optional

    Returns
    -------
    loss : float
        ``mean((conv2d(image, K) - target) ** 2)``.
    grads : dict
        ``"kernel"``: dL/dK, shaped like the kernel.
    """
    padding = check_padding(padding)
    x = _array(image, "image")
    k = _kernel(kernel, "kernel", 4, "(kh, kw, Cin, Cout)", x.dtype)
    if k.shape[2] != x.shape[2]:
        raise ValueError(f"kernel has {k.shape[2]} input channels but the image has {x.shape[2]}.")
    t = _array(target, "target", x.dtype)
    _check_target(t, x, k.shape[0], k.shape[1], padding)
    if t.shape[2] != k.shape[3]:
        raise ValueError(f"target has {t.shape[2]} channels but kernel gives {k.shape[3]}.")
    loss, grads, _ = _conv_forward_backward(
        _pad(x, k.shape[0], k.shape[1], padding), t, {"kernel": k}
    )
    return loss, grads


# --------------------------------------------------------------------------- optimizers


class _GradientDescent:
    """Plain gradient descent: ``w -= learning_rate * g``."""

    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate

    def step(self, params: dict, grads: dict) -> None:
        for name, g in grads.items():
            params[name] -= self.learning_rate * g


class _Adam:
    """Adam (Kingma & Ba, 2015): each weight's step is scaled by its own gradient history.

    ::

        m = b1 m + (1 - b1) g            v = b2 v + (1 - b2) g^2        (t = step number)
        w -= learning_rate * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(self, learning_rate: float, b1=0.9, b2=0.999, eps=1e-8):
        self.learning_rate, self.b1, self.b2, self.eps = learning_rate, b1, b2, eps
        self.t, self.m, self.v = 0, {}, {}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        for name, g in grads.items():
            m = self.m[name] = self.b1 * self.m.get(name, 0.0) + (1 - self.b1) * g
            v = self.v[name] = self.b2 * self.v.get(name, 0.0) + (1 - self.b2) * g * g
            m_hat, v_hat = m / (1 - self.b1**self.t), v / (1 - self.b2**self.t)
            params[name] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True, eq=False)
class _Training:
    """What every fit reports, besides its kernels."""

    prediction: np.ndarray
    losses: np.ndarray
    final_loss: float
    steps_done: int
    seconds: float
    stopped_early: bool
    stop_reason: str


@dataclass(frozen=True, eq=False)
class FitResult(_Training):
    """A trained depthwise-separable layer.

    Attributes
    ----------
    depthwise_kernel : ndarray, shape (k, k, Cin, M)
    pointwise_kernel : ndarray, shape (Cin*M, Cout)
    prediction : ndarray, shape (H', W', Cout)
        The layer's output with the final kernels.
    losses : ndarray of float64, shape (steps_done,)
        Mean squared error at each step, before that step's update.
    final_loss : float
        Mean squared error of ``prediction`` (after the last update).
    steps_done : int
    seconds : float
        Wall time of the whole fit.
    stopped_early : bool
        True when fewer than ``steps`` steps ran; ``stop_reason`` says why.
    stop_reason : str
        "steps" (all done), "time_budget" (ran out of time), "callback" (it returned False)
        or "diverged" (the loss became NaN or infinite, the last entry of ``losses``, and
        no update was made from it: lower the learning rate).
    """

    depthwise_kernel: np.ndarray
    pointwise_kernel: np.ndarray

    @property
    def parameters(self) -> int:
        """Number of trained weights: k*k*Cin*M + Cin*M*Cout."""
        return self.depthwise_kernel.size + self.pointwise_kernel.size


@dataclass(frozen=True, eq=False)
class ConvFitResult(_Training):
    """A trained normal convolution: ``kernel`` (k, k, Cin, Cout), the rest as in ``FitResult``."""

    kernel: np.ndarray

    @property
    def parameters(self) -> int:
        """Number of trained weights: k*k*Cin*Cout."""
        return self.kernel.size


def _train(forward_backward, params, *, steps, optimizer, callback, time_budget) -> dict:
    """The loop: forward and backward, one optimizer step, report; until a stop condition."""
    start = time.perf_counter()
    losses, reason = [], "steps"
    # A diverging run overflows; it ends with stop_reason "diverged" instead of warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            loss, grads, _ = forward_backward(params)
            losses.append(loss)
            if not math.isfinite(loss):
                reason = "diverged"
                break
            optimizer.step(params, grads)
            if callback is not None:
                keep_going = callback(step, loss, {name: w.copy() for name, w in params.items()})
                if keep_going is not None and not keep_going:
                    reason = "callback"
                    break
            if time_budget is not None and time.perf_counter() - start >= time_budget:
                reason = "time_budget"
                break
        final_loss, _, prediction = forward_backward(params)
    return {
        "prediction": prediction,
        "losses": np.asarray(losses, dtype=np.float64),
        "final_loss": final_loss,
        "steps_done": len(losses),
        "seconds": time.perf_counter() - start,
        "stopped_early": reason != "steps",
        "stop_reason": reason,
    }


def _setup(image, target, kernel_size, padding, steps, learning_rate, seed, optimizer, time_budget):
    """Validate the common arguments; return padded image, target, k, steps, rng, optimizer."""
    padding = check_padding(padding)
    k = _whole(kernel_size, "kernel_size", 1)
    steps = _whole(steps, "steps", 1)
    learning_rate = _positive(learning_rate, "learning_rate")
    rng = np.random.default_rng(_whole(seed, "seed", 0))
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    if time_budget is not None:
        _positive(time_budget, "time_budget")
    x = _array(image, "image")
    t = _array(target, "target", x.dtype)
    _check_target(t, x, k, k, padding)
    opt = _Adam(learning_rate) if optimizer == "adam" else _GradientDescent(learning_rate)
    return _pad(x, k, k, padding), t, k, steps, rng, opt


def fit_separable(
    image,
    target,
    *,
    kernel_size=3,
    depth_multiplier=1,
    padding="same",
    steps=300,
    learning_rate=0.05,
    seed=0,
    optimizer="adam",
    callback: Callable[[int, float, dict], bool | None] | None = None,
    time_budget: float | None = None,
) -> FitResult:
    """Train a depthwise-separable layer (no bias) so that it maps ``image`` to ``target``.

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
        Float32 trains in float32, float64 in float64 (integer images in float64).
    target : array_like, shape (H', W', Cout) or (H', W')
        H', W' = H, W for 'same' padding, H - k + 1, W - k + 1 for 'valid'.
    kernel_size : int, optional
        k: the depthwise kernels are k x k.
    depth_multiplier : int, optional
        M: spatial filters per input channel.
    padding : {'same', 'valid'}, optional
    steps : int, optional
        Maximum number of optimizer steps.
    learning_rate : float, optional
    seed : int, optional
        Seeds the initial kernels; the same seed and inputs give the same result.
    optimizer : {'adam', 'sgd'}, optional
        Adam, or plain gradient descent.
    callback : callable, optional
        ``callback(step, loss, params)`` after every step: ``step`` counts from 0 (``loss`` is
        ``losses[step]``), ``params`` is a dict of copies of the updated kernels
        ``{"depthwise_kernel": ..., "pointwise_kernel": ...}``. Returning ``False`` stops
        (``None``, what a function without ``return`` gives, carries on).
    time_budget : float, optional
        Seconds: stop after the first step that ends later than this after the start (at
        least one step always runs).

    Returns
    -------
    FitResult
        The kernels, the loss curve and the final prediction. The initial kernels are normal
        with standard deviation 1 / sqrt(fan-in): 1 / k for D and 1 / sqrt(Cin*M) for P.
    """
    padded, t, k, steps, rng, opt = _setup(
        image, target, kernel_size, padding, steps, learning_rate, seed, optimizer, time_budget
    )
    m = _whole(depth_multiplier, "depth_multiplier", 1)
    cin, cout, dtype = padded.shape[2], t.shape[2], padded.dtype
    params = {
        "depthwise_kernel": (rng.standard_normal((k, k, cin, m)) / k).astype(dtype),
        "pointwise_kernel": (rng.standard_normal((cin * m, cout)) / math.sqrt(cin * m)).astype(
            dtype
        ),
    }
    run = _train(
        lambda p: _separable_forward_backward(padded, t, p),
        params,
        steps=steps,
        optimizer=opt,
        callback=callback,
        time_budget=time_budget,
    )
    return FitResult(**run, **params)


def fit_conv2d(
    image,
    target,
    *,
    kernel_size=3,
    padding="same",
    steps=300,
    learning_rate=0.05,
    seed=0,
    optimizer="adam",
    callback: Callable[[int, float, dict], bool | None] | None = None,
    time_budget: float | None = None,
) -> ConvFitResult:
    """Train a normal convolution (no bias) so that it maps ``image`` to ``target``.

    Same arguments and loop as ``fit_separable``; the one kernel ``(k, k, Cin, Cout)`` starts
    normal with standard deviation 1 / sqrt(k*k*Cin), and ``params`` is ``{"kernel": ...}``.
    """
    padded, t, k, steps, rng, opt = _setup(
        image, target, kernel_size, padding, steps, learning_rate, seed, optimizer, time_budget
    )
    cin, cout = padded.shape[2], t.shape[2]
    kernel = rng.standard_normal((k, k, cin, cout)) / math.sqrt(k * k * cin)
    params = {"kernel": kernel.astype(padded.dtype)}
    run = _train(
        lambda p: _conv_forward_backward(padded, t, p),
        params,
        steps=steps,
        optimizer=opt,
        callback=callback,
        time_budget=time_budget,
    )
    return ConvFitResult(**run, **params)


def fit_both(image, target, *, kernel_size=3, steps=300, time_budget=None, report=None) -> dict:
    """Train a separable layer, then a normal convolution, on the same task; report progress.

    The job the "Learned kernels" page runs in a worker process (``ui/pool.py``): everything
    it needs comes in as arguments and goes back as the return value.

    Parameters
    ----------
    image, target, kernel_size, steps, time_budget
        As for ``fit_separable`` and ``fit_conv2d`` (each model gets its own ``time_budget``).
    report : callable, optional
        ``report((model, step, loss))`` after every step, ``model`` being "separable" or
        "normal".

    Returns
    -------
    dict
        ``{"separable": FitResult, "normal": ConvFitResult}``.
    """

    def progress(model):
        def callback(step, loss, params):
            if report is not None:
                report((model, step, float(loss)))

        return callback

    args = dict(kernel_size=kernel_size, steps=steps, time_budget=time_budget)
    sep = fit_separable(image, target, callback=progress("separable"), **args)
    full = fit_conv2d(image, target, callback=progress("normal"), **args)
    return {"separable": sep, "normal": full}


# --------------------------------------------------------------------------- tasks

TASKS: dict[str, str] = {
    "edges": "The Sobel gradient magnitude sqrt(gx² + gy²) of the luminance: the square root "
    "makes it nonlinear, so no linear layer, separable or not, can match it exactly.",
    "blur": "A 5×5 Gaussian blur (sigma 1) of every channel on its own: the depthwise step "
    "alone does it (the pointwise step only has to copy), exactly with a 5×5 kernel.",
    "grayscale": "The BT.601 luma 0.299 R + 0.587 G + 0.114 B as one channel: a pure "
    "pointwise (1×1) mix of the channels, with no spatial filtering.",
    "channel swap": "The colour channels in reverse order (RGB → BGR): a pure pointwise "
    "permutation, with no spatial filtering.",
    "emboss": "The 3×3 emboss kernel on the luminance: a separable layer matches it exactly "
    "(emboss on every channel, then the luma weights as the pointwise mix).",
    "sharpen": "The 3×3 sharpen kernel (identity minus Laplacian) on every channel on its own: "
    "the depthwise step alone does it.",
    "random normal conv": "A seeded random 3×3 convolution from every input channel to 4 "
    "outputs: a normal convolution matches it exactly, a separable layer generally cannot "
    "(with depth multiplier M < 4 each channel offers only M spatial filters to the 4 outputs).",
}

_ONE_CHANNEL = {
    "grayscale": "The image already has one channel, so the target is the image itself: the "
    "pointwise step only has to copy it.",
    "channel swap": "With one channel there is nothing to swap: the target is the image itself "
    "(the identity).",
}


def _luminance(x: np.ndarray) -> np.ndarray:
    """(H, W): BT.601 luma of an RGB image, or the only channel of a grayscale one."""
    if x.shape[2] == 1:
        return x[:, :, 0]
    if x.shape[2] != 3:
        raise ValueError(f"image must have 1 or 3 channels for this task, got {x.shape[2]}.")
    return x @ np.asarray(LUMA_WEIGHTS, dtype=x.dtype)


def _per_channel(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``kernel`` (k, k) applied to every channel on its own, 'same' size."""
    stack = np.broadcast_to(kernel[:, :, None, None], (*kernel.shape, x.shape[2], 1))
    return depthwise_conv2d(x, stack, padding="same")


def _edges(x, seed):
    lum = _luminance(x)
    gx = correlate2d(lum, kernels.sobel_x(), padding="same")
    gy = correlate2d(lum, kernels.sobel_y(), padding="same")
    return np.hypot(gx, gy)[:, :, np.newaxis]


def _random_conv(x, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal((3, 3, x.shape[2], 4)) / math.sqrt(9 * x.shape[2])
    return conv2d(x, kernel, padding="same")


_BUILDERS = {
    "edges": _edges,
    "blur": lambda x, seed: _per_channel(x, kernels.gaussian(5, sigma=1.0)),
    "grayscale": lambda x, seed: _luminance(x)[:, :, np.newaxis],
    "channel swap": lambda x, seed: x[:, :, ::-1].copy(),
    "emboss": lambda x, seed: correlate2d(_luminance(x), kernels.emboss(), padding="same")[
        :, :, np.newaxis
    ],
    "sharpen": lambda x, seed: _per_channel(x, kernels.sharpen()),
    "random normal conv": _random_conv,
}


def make_task(name: str, image, *, seed=0) -> tuple[np.ndarray, str]:
    """A training target made from ``image``, and one sentence on what it teaches.

    Parameters
    ----------
    name : str
        One of ``TASKS``.
    image : array_like, shape (H, W, C) or (H, W)
        "edges", "emboss" and "grayscale" need C = 1 or 3 (they use the luminance).
    seed : int, optional
        Seeds the kernel of "random normal conv"; the other tasks ignore it.

    Returns
    -------
    target : ndarray, shape (H, W, Cout)
        Same size as the image ('same' padding), in the image's floating dtype. Cout is 1 for
        "edges", "grayscale" and "emboss", 4 for "random normal conv", C otherwise.
    description : str
    """
    if name not in TASKS:
        raise ValueError(f"name must be one of {', '.join(TASKS)}; got {name!r}.")
    x = _array(image, "image")
    seed = _whole(seed, "seed", 0)
    target = _BUILDERS[name](x, seed).astype(x.dtype, copy=False)
    description = _ONE_CHANNEL.get(name, TASKS[name]) if x.shape[2] == 1 else TASKS[name]
    return target, description


# --------------------------------------------------------------------------- shipped set


@dataclass(frozen=True, eq=False)
class LearnedKernel:
    """One entry of the shipped set of learned kernels.

    Attributes
    ----------
    name : str
        Key in the set, e.g. "blur_3".
    task : str
        The ``TASKS`` name it was trained on.
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


def load_learned_kernels(path=None) -> dict[str, LearnedKernel]:
    """Read the learned kernels written by ``scripts/make_learned_kernels.py``.

    Parameters
    ----------
    path : str or Path, optional
        Default ``LEARNED_KERNELS_PATH`` (``assets/learned_kernels.npz``).

    Returns
    -------
    dict
        Name -> ``LearnedKernel``, in the order the script wrote them.
    """
    with np.load(LEARNED_KERNELS_PATH if path is None else path, allow_pickle=False) as data:
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
