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
``False`` or the loss stops being finite. ``fit_separable`` and ``fit_conv2d`` differ only in
their kernels' initial values and in the forward and backward pass; both run ``_fit``.
Targets to learn come from ``sepconv_core.tasks``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ._checks import positive, real_image, whole
from ._padding import check_padding, output_size, pad_amounts
from .conv import conv2d, depthwise_conv2d, pointwise_conv2d

__all__ = [
    "OPTIMIZERS",
    "ConvFitResult",
    "FitResult",
    "conv2d_loss_and_grads",
    "fit_both",
    "fit_conv2d",
    "fit_separable",
    "separable_loss_and_grads",
]

OPTIMIZERS = ("adam", "sgd")

# --------------------------------------------------------------------------- checks


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
    x = real_image(image, "image")
    d = _kernel(depthwise_kernel, "depthwise_kernel", 4, "(kh, kw, Cin, M)", x.dtype)
    p = _kernel(pointwise_kernel, "pointwise_kernel", 2, "(Cin*M, Cout)", x.dtype)
    if d.shape[2] != x.shape[2] or p.shape[0] != d.shape[2] * d.shape[3]:
        raise ValueError(
            f"depthwise_kernel {d.shape} and pointwise_kernel {p.shape} do not fit an image "
            f"with {x.shape[2]} channels."
        )
    t = real_image(target, "target", x.dtype)
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
    x = real_image(image, "image")
    k = _kernel(kernel, "kernel", 4, "(kh, kw, Cin, Cout)", x.dtype)
    if k.shape[2] != x.shape[2]:
        raise ValueError(f"kernel has {k.shape[2]} input channels but the image has {x.shape[2]}.")
    t = real_image(target, "target", x.dtype)
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


def _fit(result, initial, forward_backward, image, target, *, kernel_size=3, padding="same",
         steps=300, learning_rate=0.05, seed=0, optimizer="adam", callback=None,
         time_budget=None):  # fmt: skip
    """The one training engine behind ``fit_separable`` and ``fit_conv2d``, and the one place
    their keyword arguments and defaults are written (``fit_separable`` documents them).

    Checks the arguments, draws the kernels with ``initial(rng, k, cin, cout)`` (a dict of
    arrays), then loops -- ``forward_backward(padded, target, params)``, one optimizer step,
    report -- until a stop condition, and returns a ``result`` (``FitResult`` or
    ``ConvFitResult``) holding the run and the final kernels.
    """
    padding = check_padding(padding)
    k = whole(kernel_size, "kernel_size", 1)
    steps = whole(steps, "steps", 1)
    learning_rate = positive(learning_rate, "learning_rate")
    rng = np.random.default_rng(whole(seed, "seed", 0))
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}.")
    if time_budget is not None:
        positive(time_budget, "time_budget")
    x = real_image(image, "image")
    t = real_image(target, "target", x.dtype)
    _check_target(t, x, k, k, padding)
    padded = _pad(x, k, k, padding)
    drawn = initial(rng, k, x.shape[2], t.shape[2])
    params = {name: w.astype(x.dtype) for name, w in drawn.items()}
    opt = _Adam(learning_rate) if optimizer == "adam" else _GradientDescent(learning_rate)

    start = time.perf_counter()
    losses, reason = [], "steps"
    # A diverging run overflows; it ends with stop_reason "diverged" instead of warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            loss, grads, _ = forward_backward(padded, t, params)
            losses.append(loss)
            if not math.isfinite(loss):
                reason = "diverged"
                break
            opt.step(params, grads)
            if callback is not None:
                keep_going = callback(step, loss, {name: w.copy() for name, w in params.items()})
                if keep_going is not None and not keep_going:
                    reason = "callback"
                    break
            if time_budget is not None and time.perf_counter() - start >= time_budget:
                reason = "time_budget"
                break
        final_loss, _, prediction = forward_backward(padded, t, params)
    return result(
        prediction=prediction,
        losses=np.asarray(losses, dtype=np.float64),
        final_loss=final_loss,
        steps_done=len(losses),
        seconds=time.perf_counter() - start,
        stopped_early=reason != "steps",
        stop_reason=reason,
        **params,
    )


def fit_separable(image, target, *, depth_multiplier=1, **options) -> FitResult:
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

    The defaults: ``kernel_size=3, padding="same", steps=300, learning_rate=0.05, seed=0,
    optimizer="adam"``, no callback and no time budget.

    Returns
    -------
    FitResult
        The kernels, the loss curve and the final prediction. The initial kernels are normal
        with standard deviation 1 / sqrt(fan-in): 1 / k for D and 1 / sqrt(Cin*M) for P.
    """
    m = whole(depth_multiplier, "depth_multiplier", 1)

    def initial(rng, k, cin, cout):
        return {
            "depthwise_kernel": rng.standard_normal((k, k, cin, m)) / k,
            "pointwise_kernel": rng.standard_normal((cin * m, cout)) / math.sqrt(cin * m),
        }

    return _fit(FitResult, initial, _separable_forward_backward, image, target, **options)


def fit_conv2d(image, target, **options) -> ConvFitResult:
    """Train a normal convolution (no bias) so that it maps ``image`` to ``target``.

    The same keyword arguments (all but ``depth_multiplier``) and loop as ``fit_separable``;
    the one kernel ``(k, k, Cin, Cout)`` starts normal with standard deviation
    1 / sqrt(k*k*Cin), and ``params`` is ``{"kernel": ...}``.
    """

    def initial(rng, k, cin, cout):
        return {"kernel": rng.standard_normal((k, k, cin, cout)) / math.sqrt(k * k * cin)}

    return _fit(ConvFitResult, initial, _conv_forward_backward, image, target, **options)


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
