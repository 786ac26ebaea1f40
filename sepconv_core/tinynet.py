"""A tiny MobileNet, trained in numpy on real handwritten digits.

The network is shaped like MobileNet v1 (Howard et al. 2017, Figure 3 and Table 1) in
miniature, for 28 x 28 MNIST digits:

    conv1     3x3 normal convolution, stride 2        28x28x1   -> 14x14x32
    block1    depthwise 3x3 + pointwise 1x1           14x14x32  -> 14x14x64
    block2    depthwise 3x3 stride 2 + pointwise      14x14x64  -> 7x7x128
    block3    depthwise 3x3 + pointwise 1x1           7x7x128   -> 7x7x128
    pool      global average                          7x7x128   -> 1x1x128
    dense     fully connected + softmax               128       -> 10

Every convolution is followed by batch norm and ReLU while training; for inference the batch
norm is folded into the convolution before it (a scaled kernel and a bias), so it costs no
mult-adds. ``kind="normal"`` replaces each block by one normal 3x3 convolution with the same
input, output and stride: the twin the separable net is compared with. The width multiplier
scales every channel count, as alpha does in the paper. 'same' padding, TensorFlow's rule.

Training is backpropagation written out in numpy, one small class per layer, each with a
``forward`` and a ``backward`` (micrograd style), on batches of shape (B, H, W, C):
normal convolutions as im2col + one matrix multiply, depthwise ones as a sum over the kernel's
taps, pointwise ones as a matrix multiply; Adam with a one-cycle learning-rate schedule.
Inference on one digit (``TinyNet.activations``) runs on the package's own engine,
``sepconv_core.conv``.
"""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ._padding import pad_amounts
from .conv import conv2d, depthwise_conv2d, pointwise_conv2d

__all__ = ["KINDS", "WIDTHS", "TinyNet", "load_digits", "load_trained", "retrain", "train"]

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DIGITS_FILE = ASSETS / "digits.npz"
WEIGHTS_FILE = ASSETS / "tinynet.npz"
KINDS = ("separable", "normal")
WIDTHS = (1.0, 0.5, 0.25)  # the shipped width multipliers
EPS = 1e-3  # batch norm's epsilon (Keras' default)
MOMENTUM = 0.9  # of batch norm's running averages

# (name, stride, output channels at width 1) of the first layer and of each block
FIRST = ("conv1", 2, 32)
BLOCKS = (("block1", 1, 64), ("block2", 2, 128), ("block3", 1, 128))


# --------------------------------------------------------------------------- data


def load_digits(path: Path | str = DIGITS_FILE) -> SimpleNamespace:
    """The MNIST digits shipped in assets/digits.npz (made by scripts/make_digits.py).

    Returns
    -------
    digits : SimpleNamespace
        ``train_images`` (8500, 28, 28) and ``test_images`` (1500, 28, 28), uint8, 0 = paper and
        255 = ink; ``train_labels`` and ``test_labels``, uint8 in 0..9.
    """
    with np.load(path, allow_pickle=False) as data:
        return SimpleNamespace(**{key: data[key] for key in data.files})


def _as_batch(images) -> np.ndarray:
    """(N, 28, 28) integer (0..255) or float (0..1) images as a float32 (N, 28, 28, 1) batch.

    Float images above 1 (0..255 given as floats) are refused: the net would read them all as
    one digit without a word."""
    x = np.asarray(images)
    if x.ndim == 2:
        x = x[np.newaxis]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"images must be (N, 28, 28) or (28, 28), got shape {x.shape}.")
    if np.issubdtype(x.dtype, np.integer):
        scale = 1 / 255
    else:
        scale = 1.0
        if x.size and float(np.max(x)) > 1.5:
            raise ValueError(
                f"float images must be in [0, 1], got values up to {float(np.max(x)):g}; "
                "pass 0..255 as uint8."
            )
    return (x.astype(np.float32) * np.float32(scale))[..., np.newaxis]


# --------------------------------------------------------------------------- layers
# Each layer keeps what its backward pass needs from the last forward pass. Parameters live
# in ``self.params`` (name -> array) and their gradients in ``self.grads``.


def _same_pad(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Zero-pad a (B, H, W, C) batch for a k x k window, TensorFlow's 'same' rule."""
    (top, bottom), (left, right) = (pad_amounts(n, k, stride, "same") for n in x.shape[1:3])
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def _taps(xp: np.ndarray, k: int, stride: int, out_hw: tuple[int, int]):
    """Yield (i, j, view): the padded input under kernel tap (i, j) at every output position."""
    oh, ow = out_hw
    rows, cols = stride * (oh - 1) + 1, stride * (ow - 1) + 1
    for i in range(k):
        for j in range(k):
            yield i, j, xp[:, i : i + rows : stride, j : j + cols : stride]


class Conv:
    """Normal k x k convolution, 'same' padding: im2col, then one matrix multiply."""

    def __init__(self, kernel: np.ndarray, stride: int = 1, need_input_grad: bool = True):
        self.params = {"kernel": kernel}
        self.stride, self.need_input_grad = stride, need_input_grad

    def forward(self, x, train=False):
        k, _, cin, cout = self.params["kernel"].shape
        b, h, w, _ = x.shape
        oh, ow = -(-h // self.stride), -(-w // self.stride)
        xp = _same_pad(x, k, self.stride)
        cols = np.empty((b, oh, ow, k, k, cin), dtype=x.dtype)
        for i, j, view in _taps(xp, k, self.stride, (oh, ow)):
            cols[:, :, :, i, j, :] = view
        cols = cols.reshape(b * oh * ow, k * k * cin)
        self.cache = (x.shape, xp.shape, cols)
        return (cols @ self.params["kernel"].reshape(-1, cout)).reshape(b, oh, ow, cout)

    def backward(self, grad):
        kernel = self.params["kernel"]
        k, _, cin, cout = kernel.shape
        x_shape, xp_shape, cols = self.cache
        b, oh, ow, _ = grad.shape
        g = grad.reshape(-1, cout)
        self.grads = {"kernel": (cols.T @ g).reshape(kernel.shape)}
        if not self.need_input_grad:
            return None
        dcols = (g @ kernel.reshape(-1, cout).T).reshape(b, oh, ow, k, k, cin)
        dxp = np.zeros(xp_shape, dtype=grad.dtype)
        for i, j, view in _taps(dxp, k, self.stride, (oh, ow)):
            view += dcols[:, :, :, i, j, :]
        (top, _), (left, _) = (pad_amounts(n, k, self.stride, "same") for n in x_shape[1:3])
        return dxp[:, top : top + x_shape[1], left : left + x_shape[2]]


class Depthwise:
    """Depthwise k x k convolution (depth multiplier 1), 'same' padding: a sum over the taps."""

    def __init__(self, kernel: np.ndarray, stride: int = 1):
        self.params = {"kernel": kernel}  # (k, k, C, 1), Keras' layout
        self.stride = stride

    def forward(self, x, train=False):
        kernel = self.params["kernel"][..., 0]
        k = kernel.shape[0]
        b, h, w, c = x.shape
        oh, ow = -(-h // self.stride), -(-w // self.stride)
        xp = _same_pad(x, k, self.stride)
        out = np.zeros((b, oh, ow, c), dtype=x.dtype)
        for i, j, view in _taps(xp, k, self.stride, (oh, ow)):
            out += view * kernel[i, j]
        self.cache = (x.shape, xp)
        return out

    def backward(self, grad):
        kernel = self.params["kernel"][..., 0]
        k = kernel.shape[0]
        x_shape, xp = self.cache
        oh, ow = grad.shape[1:3]
        dkernel = np.empty_like(kernel)
        dxp = np.zeros_like(xp)
        taps = _taps(xp, k, self.stride, (oh, ow))
        dtaps = _taps(dxp, k, self.stride, (oh, ow))
        for (i, j, view), (_, _, dview) in zip(taps, dtaps, strict=True):
            dkernel[i, j] = np.einsum("bhwc,bhwc->c", grad, view)
            dview += grad * kernel[i, j]
        self.grads = {"kernel": dkernel[..., np.newaxis]}
        (top, _), (left, _) = (pad_amounts(n, k, self.stride, "same") for n in x_shape[1:3])
        return dxp[:, top : top + x_shape[1], left : left + x_shape[2]]


class Pointwise:
    """Pointwise (1 x 1) convolution: a matrix multiply over the channels."""

    def __init__(self, kernel: np.ndarray):
        self.params = {"kernel": kernel}  # (1, 1, Cin, Cout)

    def forward(self, x, train=False):
        self.cache = x
        matrix = self.params["kernel"][0, 0]
        return (x.reshape(-1, x.shape[-1]) @ matrix).reshape(*x.shape[:3], matrix.shape[1])

    def backward(self, grad):
        x, matrix = self.cache, self.params["kernel"][0, 0]
        g = grad.reshape(-1, grad.shape[-1])
        self.grads = {"kernel": (x.reshape(-1, x.shape[-1]).T @ g)[np.newaxis, np.newaxis]}
        return (g @ matrix.T).reshape(x.shape)


class BatchNorm:
    """Batch norm over (B, H, W) per channel; running averages for inference."""

    def __init__(self, channels: int, dtype=np.float32):
        self.params = {"gamma": np.ones(channels, dtype), "beta": np.zeros(channels, dtype)}
        self.mean, self.var = np.zeros(channels, dtype), np.ones(channels, dtype)
        self.momentum = MOMENTUM

    def forward(self, x, train=False):
        if train:
            mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
            self.mean = self.momentum * self.mean + (1 - self.momentum) * mean
            self.var = self.momentum * self.var + (1 - self.momentum) * var
        else:
            mean, var = self.mean, self.var
        inv = 1 / np.sqrt(var + EPS)
        xhat = (x - mean) * inv
        self.cache = (xhat, inv)
        return xhat * self.params["gamma"] + self.params["beta"]

    def backward(self, grad):
        xhat, inv = self.cache
        n = grad.size // grad.shape[-1]
        self.grads = {
            "gamma": np.einsum("bhwc,bhwc->c", grad, xhat),
            "beta": grad.sum(axis=(0, 1, 2)),
        }
        dxhat = grad * self.params["gamma"]
        mean_d = self.grads["beta"] * self.params["gamma"] / n
        mean_dx = self.grads["gamma"] * self.params["gamma"] / n
        return (dxhat - mean_d - xhat * mean_dx) * inv


class ReLU:
    params: dict = {}

    def forward(self, x, train=False):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad):
        self.grads = {}
        return grad * self.mask


class GlobalAveragePool:
    params: dict = {}

    def forward(self, x, train=False):
        self.shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, grad):
        self.grads = {}
        b, h, w, c = self.shape
        return np.broadcast_to(grad[:, None, None, :] / (h * w), self.shape)


class Dense:
    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        self.params = {"weight": weight, "bias": bias}

    def forward(self, x, train=False):
        self.cache = x
        return x @ self.params["weight"] + self.params["bias"]

    def backward(self, grad):
        self.grads = {"weight": self.cache.T @ grad, "bias": grad.sum(axis=0)}
        return grad @ self.params["weight"].T


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class Layer:
    """One layer of the inference network (batch norm folded in).

    ``kind`` is "conv", "depthwise", "pointwise", "pool" or "dense"; ``weights`` counts the
    layer's numbers (kernel and bias), ``mult_adds`` its multiply-adds on one 28 x 28 digit.
    ``kernel`` and ``bias`` are the folded arrays (None for the pool).
    """

    name: str
    kind: str
    output_shape: tuple[int, int, int]
    mult_adds: int
    weights: int
    stride: int = 1
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None


def channels(width_multiplier: float) -> tuple[int, ...]:
    """Output channels of conv1 and of each block at this width multiplier."""
    return tuple(max(1, round(c * width_multiplier)) for c in (FIRST[2], *(b[2] for b in BLOCKS)))


class TinyNet:
    """A MobileNet-shaped network for 28 x 28 digits; see the module docstring.

    Parameters
    ----------
    kind : {"separable", "normal"}
        Depthwise separable blocks, or a normal 3 x 3 convolution in place of each block.
    width_multiplier : float
        Scales every channel count (alpha in the paper): 1, 0.5 and 0.25 are shipped.
    seed : int
        Seed of the initial weights (He normal; batch norm at identity).
    """

    def __init__(self, kind: str = "separable", width_multiplier: float = 1.0, seed: int = 0):
        if kind not in KINDS:
            raise ValueError(f"kind must be 'separable' or 'normal', got {kind!r}.")
        if not 0 < width_multiplier <= 4:
            raise ValueError(f"width_multiplier must be in (0, 4], got {width_multiplier!r}.")
        self.kind, self.width_multiplier, self.seed = kind, float(width_multiplier), seed
        rng = np.random.default_rng(seed)

        def he(shape, fan_in):
            return (rng.standard_normal(shape) * math.sqrt(2 / fan_in)).astype(np.float32)

        widths = channels(width_multiplier)
        # (name, kind, stride, convolution) -- each convolution followed by batch norm + ReLU
        self.stages: list[tuple[str, str, int, object]] = [
            (FIRST[0], "conv", FIRST[1], Conv(he((3, 3, 1, widths[0]), 9), 2, False))
        ]
        for (name, stride, _), cin, cout in zip(BLOCKS, widths[:-1], widths[1:], strict=True):
            if kind == "separable":
                self.stages.append(
                    (
                        f"{name} depthwise",
                        "depthwise",
                        stride,
                        Depthwise(he((3, 3, cin, 1), 9), stride),
                    )
                )
                self.stages.append(
                    (f"{name} pointwise", "pointwise", 1, Pointwise(he((1, 1, cin, cout), cin)))
                )
            else:
                self.stages.append(
                    (name, "conv", stride, Conv(he((3, 3, cin, cout), 9 * cin), stride))
                )
        self.modules: list = []
        for _, kind_, _, conv in self.stages:
            shape = conv.params["kernel"].shape
            conv.bn = BatchNorm(shape[2] if kind_ == "depthwise" else shape[3])
            self.modules += [conv, conv.bn, ReLU()]
        c = widths[-1]
        self.dense = Dense(
            (rng.standard_normal((c, 10)) / math.sqrt(c)).astype(np.float32),
            np.zeros(10, np.float32),
        )
        self.modules += [GlobalAveragePool(), self.dense]
        self._folded = None

    # ---------------------------------------------------------------- training-time passes

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Logits (B, 10) of a float (B, 28, 28, 1) batch, with batch norm as it is (unfolded)."""
        for module in self.modules:
            x = module.forward(x, train)
        return x

    def backward(self, grad: np.ndarray) -> None:
        for module in reversed(self.modules):
            grad = module.backward(grad)

    def parameters(self):
        """Yield (module, name) for every trainable array."""
        for module in self.modules:
            for name in module.params:
                yield module, name

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean cross-entropy of a batch in training mode; fills every module's ``grads``."""
        logits = self.forward(x, train=True)
        p = softmax(logits)
        n = len(labels)
        loss = -np.log(p[np.arange(n), labels] + 1e-12).mean()
        grad = p.copy()
        grad[np.arange(n), labels] -= 1
        self.backward(grad / n)
        self._folded = None
        return float(loss), logits

    # ---------------------------------------------------------------- inference (folded)

    @property
    def layers(self) -> list[Layer]:
        """The inference network, layer by layer, with batch norm folded into the kernels."""
        if self._folded is None:
            self._folded = self._fold()
        return self._folded

    def _fold(self) -> list[Layer]:
        layers, h = [], 28
        for name, kind, stride, conv in self.stages:
            bn = conv.bn
            scale = bn.params["gamma"] / np.sqrt(bn.var + EPS)
            per_out = scale[:, np.newaxis] if kind == "depthwise" else scale
            kernel = (conv.params["kernel"] * per_out).astype(np.float32)
            bias = (bn.params["beta"] - bn.mean * scale).astype(np.float32)
            k, _, cin, cout = kernel.shape
            cout = cin if kind == "depthwise" else cout
            h = -(-h // stride)
            per_pixel = k * k * cin * cout if kind != "depthwise" else k * k * cin
            layers.append(
                Layer(
                    name,
                    kind,
                    (h, h, cout),
                    h * h * per_pixel,
                    kernel.size + bias.size,
                    stride,
                    kernel,
                    bias,
                )
            )
        c = layers[-1].output_shape[2]
        w, b = self.dense.params["weight"], self.dense.params["bias"]
        layers.append(Layer("pool", "pool", (1, 1, c), 0, 0))
        layers.append(Layer("dense", "dense", (1, 1, 10), w.size, w.size + b.size, 1, w, b))
        return layers

    @property
    def mult_adds(self) -> int:
        """Multiply-adds of one forward pass on one digit (batch norm folded: not counted)."""
        return sum(layer.mult_adds for layer in self.layers)

    @property
    def weight_count(self) -> int:
        """Numbers in the inference network (kernels and biases)."""
        return sum(layer.weights for layer in self.layers)

    def predict(self, images, batch_size: int = 500) -> np.ndarray:
        """Probabilities (N, 10) for (N, 28, 28) digits: uint8 0..255 or float 0..1, ink bright."""
        x = _as_batch(images)
        out = []
        for start in range(0, len(x), batch_size):
            h = x[start : start + batch_size]
            for layer in self.layers:
                h = _apply_batch(layer, h)
            out.append(softmax(h))
        return np.concatenate(out)

    def activations(self, image) -> list[tuple[str, np.ndarray]]:
        """Every layer's output on one digit: [(layer name, (H, W, C) array), ...].

        The convolutions run on ``sepconv_core.conv`` (one image at a time); the last entry
        is the ten probabilities, shape (1, 1, 10).
        """
        x = _as_batch(image)[0]
        out = [("input", x)]
        for layer in self.layers:
            if layer.kind == "conv":
                x = conv2d(x, layer.kernel, stride=layer.stride, padding="same")
            elif layer.kind == "depthwise":
                x = depthwise_conv2d(x, layer.kernel, stride=layer.stride, padding="same")
            elif layer.kind == "pointwise":
                x = pointwise_conv2d(x, layer.kernel)
            elif layer.kind == "pool":
                x = x.mean(axis=(0, 1), keepdims=True)
            else:
                x = softmax(x[0, 0] @ layer.kernel + layer.bias)[np.newaxis, np.newaxis]
            if layer.kind in ("conv", "depthwise", "pointwise"):
                x = np.maximum(x + layer.bias, 0)
            out.append((layer.name, x))
        return out

    # ---------------------------------------------------------------- saving

    def state(self) -> dict[str, np.ndarray]:
        """Every array needed to rebuild the net (unfolded: kernels, batch norm, dense)."""
        state = {}
        for name, _, _, conv in self.stages:
            state[f"{name}/kernel"] = conv.params["kernel"]
            for key, value in (
                *conv.bn.params.items(),
                ("mean", conv.bn.mean),
                ("var", conv.bn.var),
            ):
                state[f"{name}/{key}"] = value
        state["dense/weight"] = self.dense.params["weight"]
        state["dense/bias"] = self.dense.params["bias"]
        return state

    def load_state(self, state: dict) -> TinyNet:
        for name, _, _, conv in self.stages:
            conv.params["kernel"] = np.asarray(state[f"{name}/kernel"], np.float32)
            for key in ("gamma", "beta"):
                conv.bn.params[key] = np.asarray(state[f"{name}/{key}"], np.float32)
            conv.bn.mean = np.asarray(state[f"{name}/mean"], np.float32)
            conv.bn.var = np.asarray(state[f"{name}/var"], np.float32)
        self.dense.params["weight"] = np.asarray(state["dense/weight"], np.float32)
        self.dense.params["bias"] = np.asarray(state["dense/bias"], np.float32)
        self._folded = None
        return self

    def __repr__(self) -> str:
        return (
            f"TinyNet(kind={self.kind!r}, width_multiplier={self.width_multiplier}): "
            f"{self.mult_adds:,} mult-adds, {self.weight_count:,} weights"
        )


def _apply_batch(layer: Layer, x: np.ndarray) -> np.ndarray:
    """One folded layer on a (B, H, W, C) batch (the training layers, reused for speed)."""
    if layer.kind == "conv":
        x = Conv(layer.kernel, layer.stride, need_input_grad=False).forward(x)
    elif layer.kind == "depthwise":
        x = Depthwise(layer.kernel, layer.stride).forward(x)
    elif layer.kind == "pointwise":
        x = Pointwise(layer.kernel).forward(x)
    elif layer.kind == "pool":
        return x.mean(axis=(1, 2))
    else:
        return x @ layer.kernel + layer.bias
    return np.maximum(x + layer.bias, 0)


# --------------------------------------------------------------------------- training


def one_cycle(step: int, steps: int, peak: float, warmup: float = 0.3) -> float:
    """Learning rate at ``step``: linear warm-up to ``peak``, then a cosine down to near zero."""
    rise = max(1, round(warmup * steps))
    if step < rise:
        return peak * (0.1 + 0.9 * step / rise)
    t = (step - rise) / max(1, steps - rise)
    return peak * (0.005 + 0.995 * 0.5 * (1 + math.cos(math.pi * t)))


def train(
    net: TinyNet,
    images,
    labels,
    *,
    epochs: int = 1,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    seed: int = 0,
    callback=None,
    time_budget: float | None = None,
) -> list[dict]:
    """Train ``net`` in place with Adam and a one-cycle schedule; return the history.

    Parameters
    ----------
    net : TinyNet
    images, labels : arrays (N, 28, 28) uint8 or float, and (N,) ints 0..9
    epochs, batch_size : int
    learning_rate : float
        The schedule's peak.
    seed : int
        Seed of the order of the digits in each epoch.
    callback : callable, optional
        ``callback(record)`` after every step, ``record`` a dict with ``step``, ``steps``,
        ``epoch`` (fractional), ``loss``, ``accuracy`` (of this batch) and ``seconds``.
    time_budget : float, optional
        Stop after the step that passes this many seconds.

    Returns
    -------
    history : list of the records above
    """
    x_all, y_all = _as_batch(images), np.asarray(labels).astype(np.intp)
    if len(x_all) != len(y_all):
        raise ValueError(f"{len(x_all)} images but {len(y_all)} labels.")
    rng = np.random.default_rng(seed)
    per_epoch = max(1, len(y_all) // batch_size)
    steps = epochs * per_epoch
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    moments = {
        (id(m), name): (np.zeros_like(m.params[name]), np.zeros_like(m.params[name]))
        for m, name in net.parameters()
    }
    history, start, step = [], time.perf_counter(), 0
    for epoch in range(epochs):
        order = rng.permutation(len(y_all))
        for batch in range(per_epoch):
            idx = order[batch * batch_size : (batch + 1) * batch_size]
            loss, logits = net.loss_and_grads(x_all[idx], y_all[idx])
            lr = one_cycle(step, steps, learning_rate)
            step += 1
            c1, c2 = 1 - beta1**step, 1 - beta2**step
            for module, name in net.parameters():
                m, v = moments[(id(module), name)]
                g = module.grads[name]
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                module.params[name] = module.params[name] - (lr / c1) * m / (np.sqrt(v / c2) + eps)
            record = {
                "step": step,
                "steps": steps,
                "epoch": epoch + (batch + 1) / per_epoch,
                "loss": loss,
                "accuracy": float((logits.argmax(axis=1) == y_all[idx]).mean()),
                "seconds": time.perf_counter() - start,
            }
            history.append(record)
            if callback is not None:
                callback(record)
            if time_budget is not None and record["seconds"] > time_budget:
                calibrate(net, x_all, rng)
                return history
    calibrate(net, x_all, rng)
    return history


def calibrate(net: TinyNet, x: np.ndarray, rng, n: int = 1024, chunk: int = 128) -> None:
    """Set batch norm's running statistics to their average over ``n`` training digits.

    The running averages of a short training run still remember their start (mean 0, variance
    1) and the early weights; inference folds these statistics into the kernels, so they are
    measured once more with the final weights ("precise batch norm").
    """
    bns = [m for m in net.modules if isinstance(m, BatchNorm)]
    idx = rng.permutation(len(x))[:n]
    for i, start in enumerate(range(0, len(idx), chunk)):
        for bn in bns:
            bn.momentum = i / (i + 1)  # the running value becomes the mean over chunks
        net.forward(x[idx[start : start + chunk]], train=True)
    for bn in bns:
        bn.momentum = MOMENTUM
    net._folded = None


def accuracy(net: TinyNet, images, labels) -> float:
    """Fraction of ``images`` whose most probable class is the label."""
    return float((net.predict(images).argmax(axis=1) == np.asarray(labels)).mean())


# --------------------------------------------------------------------------- shipped weights


def weights_key(kind: str, width_multiplier: float) -> str:
    return f"{kind}_{float(width_multiplier):g}"


def save_trained(nets: list[TinyNet], path: Path | str = WEIGHTS_FILE, metadata=None) -> None:
    """Write ``nets`` to one npz (float32, fixed zip timestamps so the bytes are reproducible).

    ``metadata`` (JSON-able, e.g. each net's measured test accuracy) is stored as the entry
    "metadata", a JSON string; ``shipped_metadata`` reads it back.
    """
    arrays = {}
    for net in nets:
        for name, value in net.state().items():
            key = f"{weights_key(net.kind, net.width_multiplier)}/{name}"
            arrays[key] = np.asarray(value, np.float32)
    if metadata is not None:
        arrays["metadata"] = np.asarray(json.dumps(metadata, sort_keys=True))
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def shipped_metadata(path: Path | str = WEIGHTS_FILE) -> dict:
    """The shipped networks' metadata: {"nets": {"separable_1": {"test_accuracy", ...}}, ...}."""
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["metadata"])) if "metadata" in data.files else {}


def load_trained(
    kind: str = "separable", width_multiplier: float = 1.0, path: Path | str = WEIGHTS_FILE
) -> TinyNet:
    """A shipped trained network (assets/tinynet.npz, made by scripts/make_tinynet.py)."""
    prefix = weights_key(kind, width_multiplier) + "/"
    net = TinyNet(kind, width_multiplier)
    with np.load(path, allow_pickle=False) as data:
        state = {key[len(prefix) :]: data[key] for key in data.files if key.startswith(prefix)}
    if not state:
        raise ValueError(
            f"No shipped {kind} network at width {width_multiplier:g}; shipped widths: "
            + ", ".join(f"{w:g}" for w in WIDTHS)
        )
    return net.load_state(state)


def retrain(
    kind: str,
    width_multiplier: float,
    epochs: int,
    *,
    train_size: int = 3000,
    time_budget: float = 60.0,
    seed: int = 0,
    report=None,
) -> dict:
    """Train a fresh net on the first ``train_size`` training digits; for a worker process.

    ``report(message)`` receives a dict per step (see ``train``); after every epoch but the
    last, ``{"epoch": e, "epoch_test_accuracy": a}``, the test accuracy at that point (batch
    norm's statistics measured on the side: the training itself is the same as without); and
    at the end, one with ``"test_accuracy"``. Returns ``{"state": net.state(), "history":
    [...], "test_accuracy", "test_predictions"}``, the last the digit read for each test image,
    in order.
    """
    digits = load_digits()
    net = TinyNet(kind, width_multiplier, seed=seed)
    images, labels = digits.train_images[:train_size], digits.train_labels[:train_size]

    def each_step(record: dict) -> None:
        report(record)
        epoch = record["epoch"]
        if epoch == round(epoch) and record["step"] < record["steps"]:
            report({"epoch": epoch, "epoch_test_accuracy": _test_now(net, batch, digits)})

    batch = _as_batch(images)  # for _test_now's batch norm statistics, made once

    history = train(
        net,
        images,
        labels,
        epochs=epochs,
        seed=seed,
        callback=each_step if report is not None else None,
        time_budget=time_budget,
    )
    predicted = net.predict(digits.test_images).argmax(axis=1).astype(np.uint8)
    test = float(np.mean(predicted == digits.test_labels))
    if report is not None:
        report({"test_accuracy": test, "done": True})
    return {
        "state": net.state(),
        "history": history,
        "test_accuracy": test,
        "test_predictions": predicted,
        "kind": kind,
        "width_multiplier": width_multiplier,
    }


def _test_now(net: TinyNet, batch: np.ndarray, digits) -> float:
    """Test accuracy in the middle of training, leaving the training untouched: batch norm's
    running statistics are measured for it on ``batch`` (training digits, as ``_as_batch``
    gives them) and put back afterwards."""
    bns = [m for m in net.modules if isinstance(m, BatchNorm)]
    saved = [(bn.mean.copy(), bn.var.copy()) for bn in bns]
    calibrate(net, batch, np.random.default_rng(0))
    result = accuracy(net, digits.test_images, digits.test_labels)
    for bn, (mean, var) in zip(bns, saved, strict=True):
        bn.mean, bn.var = mean, var
    net._folded = None
    return result


def learned_kernels(path: Path | str = WEIGHTS_FILE) -> dict:
    """Kernels of the shipped separable net (width 1) for the pages' "learned" family.

    Two entries, as ``sepconv_core.learned_kernels.LearnedKernel`` (batch norm folded in):
    ``mnist_conv1``, the first layer's 3 x 3 kernels, and ``mnist_block1_depthwise``, block 1's
    depthwise kernels. ``spatial`` is the kernel with the largest weights; ``depthwise`` holds
    the three largest, one per colour channel of an RGB image.
    """
    from .learned_kernels import LearnedKernel

    net = load_trained("separable", 1.0, path)
    layers = {layer.name: layer for layer in net.layers}
    entries = {}
    for name, layer_name, task, what in (
        ("mnist_conv1", "conv1", "MNIST net, first layer", "the first layer's kernels"),
        (
            "mnist_block1_depthwise",
            "block1 depthwise",
            "MNIST net, block 1 depthwise",
            "block 1's depthwise kernels",
        ),
    ):
        stack = layers[layer_name].kernel.reshape(3, 3, -1)  # (3, 3, N): one 3 x 3 per channel
        order = np.argsort(-np.abs(stack).sum(axis=(0, 1)), kind="stable")
        entries[name] = LearnedKernel(
            name=name,
            task=task,
            kernel_size=3,
            spatial=stack[:, :, order[0]].astype(np.float64),
            depthwise=stack[:, :, order[:3], np.newaxis].astype(np.float64),
            pointwise=np.eye(3),
            final_loss=float("nan"),
            description=f"One of {what} in the tiny MobileNet trained on MNIST digits (see the "
            "Tiny MobileNet page), batch norm folded in: the one with the largest weights "
            "(three of them, one per colour channel, on the depthwise page).",
        )
    return entries
