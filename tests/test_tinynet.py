"""The tiny MobileNet: gradients against finite differences, the forward pass against naive
loops, the layer arithmetic against an independent count, training, the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest
from naive import naive_conv2d, naive_depthwise, naive_pointwise

from sepconv_core import tinynet
from sepconv_core.cost import conv2d_cost, depthwise_separable_cost
from sepconv_core.tinynet import TinyNet, load_digits, load_trained, train


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _float64(net: TinyNet) -> TinyNet:
    for module, name in net.parameters():
        module.params[name] = module.params[name].astype(np.float64)
    return net


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("kind", tinynet.KINDS)
def test_gradients_match_finite_differences(kind, digits):
    net = _float64(TinyNet(kind, width_multiplier=0.125, seed=3))
    rng = np.random.default_rng(0)
    # away from the initial batch-norm identity, so gamma and beta matter
    for module, name in net.parameters():
        if name in ("gamma", "beta"):
            module.params[name] = module.params[name] + rng.normal(
                0, 0.3, module.params[name].shape
            )
    x = digits.train_images[:6].astype(np.float64)[..., None] / 255
    y = digits.train_labels[:6].astype(np.intp)
    net.loss_and_grads(x, y)
    checked = 0
    for module, name in net.parameters():
        analytic = module.grads[name]
        param = module.params[name]
        assert analytic.shape == param.shape
        for flat in rng.choice(param.size, size=min(4, param.size), replace=False):
            idx = np.unravel_index(flat, param.shape)
            saved = param[idx]
            h = 1e-5
            param[idx] = saved + h
            up = net.loss_and_grads(x, y)[0]
            param[idx] = saved - h
            down = net.loss_and_grads(x, y)[0]
            param[idx] = saved
            numeric = (up - down) / (2 * h)
            assert analytic[idx] == pytest.approx(numeric, rel=1e-4, abs=1e-7), (name, idx)
            checked += 1
    assert checked > 40


def test_conv_input_gradient_matches_finite_differences():
    # the stride-2 normal convolution's gradient with respect to its input (col2im)
    rng = np.random.default_rng(1)
    conv = tinynet.Conv(rng.normal(size=(3, 3, 2, 3)), stride=2)
    x = rng.normal(size=(2, 7, 6, 2))
    weights = rng.normal(size=(2, 4, 3, 3))
    conv.forward(x)
    dx = conv.backward(weights)
    for idx in [(0, 0, 0, 0), (1, 6, 5, 1), (0, 3, 2, 1), (1, 1, 4, 0)]:
        up, down = x.copy(), x.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        numeric = ((conv.forward(up) - conv.forward(down)) * weights).sum() / 2e-6
        assert dx[idx] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


# --------------------------------------------------------------------------- forward


def _naive_forward(net: TinyNet, image: np.ndarray) -> list[np.ndarray]:
    """Every layer's output on one digit, with the naive loops of tests/naive.py."""
    x = image.astype(np.float64)[:, :, None] / 255
    outs = []
    for layer in net.layers:
        if layer.kind == "conv":
            x = naive_conv2d(x, layer.kernel, layer.stride, "same")
        elif layer.kind == "depthwise":
            x = naive_depthwise(x, layer.kernel, layer.stride, "same")
        elif layer.kind == "pointwise":
            x = naive_pointwise(x, layer.kernel)
        elif layer.kind == "pool":
            x = x.mean(axis=(0, 1), keepdims=True)
        else:
            logits = x[0, 0] @ layer.kernel.astype(np.float64) + layer.bias
            z = np.exp(logits - logits.max())
            x = (z / z.sum())[None, None]
        if layer.kind in ("conv", "depthwise", "pointwise"):
            x = np.maximum(x + layer.bias, 0)
        outs.append(x)
    return outs


@pytest.mark.parametrize("kind", tinynet.KINDS)
def test_forward_matches_naive_loops(kind, digits):
    net = load_trained(kind, 0.25)
    image = digits.test_images[7]
    expected = _naive_forward(net, image)
    got = net.activations(image)
    assert got[0][0] == "input" and got[0][1].shape == (28, 28, 1)
    assert [name for name, _ in got[1:]] == [layer.name for layer in net.layers]
    for (name, a), b, layer in zip(got[1:], expected, net.layers, strict=True):
        assert a.shape == b.shape == layer.output_shape, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(net.predict(image[None])[0], expected[-1][0, 0], rtol=1e-4)


@pytest.mark.parametrize("kind", tinynet.KINDS)
def test_folded_batch_norm_equals_unfolded(kind, digits):
    net = load_trained(kind, 0.5)
    images = digits.test_images[:20]
    logits = net.forward(images.astype(np.float32)[..., None] / 255, train=False)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(net.predict(images), z / z.sum(axis=1, keepdims=True), atol=1e-5)


def test_predict_takes_uint8_and_float_alike(digits):
    net = load_trained("separable", 0.25)
    images = digits.test_images[:5]
    np.testing.assert_allclose(net.predict(images), net.predict(images / 255.0), atol=1e-6)
    np.testing.assert_allclose(net.predict(images), net.predict(images.astype(np.int64)))
    assert np.allclose(net.predict(images).sum(axis=1), 1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # 0..255 as floats would all read alike
        net.predict(images.astype(np.float32))


# --------------------------------------------------------------------------- arithmetic


def test_layer_arithmetic_width_1():
    # counted by hand: conv1 14*14*3*3*1*32; depthwise 3*3*C*H'*W'; pointwise Cin*Cout*H'*W'
    sep, normal = TinyNet("separable"), TinyNet("normal")
    assert [layer.mult_adds for layer in sep.layers] == [
        56_448, 56_448, 401_408, 28_224, 401_408, 56_448, 802_816, 0, 1_280,
    ]  # fmt: skip
    assert [layer.mult_adds for layer in normal.layers] == [
        56_448, 3_612_672, 3_612_672, 7_225_344, 0, 1_280,
    ]  # fmt: skip
    assert sep.mult_adds == 1_804_480 and normal.mult_adds == 14_508_416
    # weights: kernel + one bias per output channel (folded batch norm); dense 128*10 + 10
    assert [layer.weights for layer in sep.layers] == [
        320, 320, 2_112, 640, 8_320, 1_280, 16_512, 0, 1_290,
    ]  # fmt: skip
    assert sep.weight_count == 30_794
    assert normal.weight_count == 320 + 18_496 + 73_856 + 147_584 + 1_290
    assert sep.mult_adds <= normal.mult_adds / 4


@pytest.mark.parametrize("width", [1.0, 0.5, 0.25, 0.75])
def test_layer_arithmetic_agrees_with_the_cost_module(width):
    sep, normal = TinyNet("separable", width), TinyNet("normal", width)
    c = [max(1, round(n * width)) for n in (32, 64, 128, 128)]
    first = conv2d_cost(28, 28, 1, c[0], 3, stride=2, padding="same")
    sep_total = normal_total = first.multiplications
    h = 14
    for cin, cout, stride in zip(c[:-1], c[1:], (1, 2, 1), strict=True):
        s = depthwise_separable_cost(h, h, cin, cout, 3, stride=stride, padding="same")
        sep_total += s.multiplications
        normal_total += s.normal.multiplications
        h = s.pointwise.output_shape[0]
    assert sep.mult_adds == sep_total + c[-1] * 10
    assert normal.mult_adds == normal_total + c[-1] * 10
    assert sep.layers[-3].output_shape == normal.layers[-3].output_shape == (7, 7, c[-1])
    for net in (sep, normal):
        n_weights = sum(a.size for a in net.state().values() if a.ndim > 1)  # kernels
        n_weights += sum(layer.output_shape[2] for layer in net.layers[:-2])  # folded biases
        assert net.weight_count == n_weights + 10


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="kind"):
        TinyNet("dense")
    with pytest.raises(ValueError, match="width_multiplier"):
        TinyNet("separable", 0)
    with pytest.raises(ValueError, match="28, 28"):
        TinyNet().predict(np.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match="shipped widths"):
        load_trained("separable", 0.3)


# --------------------------------------------------------------------------- training


def test_training_learns(digits):
    net = TinyNet("separable", 0.5, seed=1)
    before = tinynet.accuracy(net, digits.test_images[:300], digits.test_labels[:300])
    seen = []
    history = train(
        net, digits.train_images[:2560], digits.train_labels[:2560], epochs=2, callback=seen.append
    )
    after = tinynet.accuracy(net, digits.test_images[:300], digits.test_labels[:300])
    assert len(history) == len(seen) == 80 and history[-1]["step"] == history[-1]["steps"] == 80
    assert np.mean([r["loss"] for r in history[-5:]]) < 0.6 * history[0]["loss"]
    assert after > max(0.6, before + 0.3)


def test_time_budget_stops_training(digits):
    net = TinyNet("normal", 0.25)
    history = train(net, digits.train_images[:640], digits.train_labels[:640], time_budget=0)
    assert len(history) == 1


def test_training_is_reproducible(digits):
    a, b = TinyNet("separable", 0.25, seed=2), TinyNet("separable", 0.25, seed=2)
    for net in (a, b):
        train(net, digits.train_images[:128], digits.train_labels[:128], seed=5)
    np.testing.assert_array_equal(
        a.predict(digits.test_images[:4]), b.predict(digits.test_images[:4])
    )


# --------------------------------------------------------------------------- shipped


@pytest.mark.parametrize("width", tinynet.WIDTHS)
def test_shipped_networks_meet_their_targets(width, digits):
    acc = {
        kind: tinynet.accuracy(load_trained(kind, width), digits.test_images, digits.test_labels)
        for kind in tinynet.KINDS
    }
    floor = {1.0: 0.97, 0.5: 0.95, 0.25: 0.90}[width]
    assert min(acc.values()) >= floor, acc
    if width == 1.0:
        assert acc["separable"] >= acc["normal"] - 0.02


def test_learned_kernels_are_the_shipped_nets_kernels():
    entries = tinynet.learned_kernels()
    net = load_trained("separable", 1.0)
    layers = {layer.name: layer for layer in net.layers}
    for name, layer_name in (
        ("mnist_conv1", "conv1"),
        ("mnist_block1_depthwise", "block1 depthwise"),
    ):
        entry = entries[name]
        stack = layers[layer_name].kernel.reshape(3, 3, -1)
        norms = np.abs(stack).sum(axis=(0, 1))
        assert entry.kernel_size == 3 and entry.depthwise.shape == (3, 3, 3, 1)
        np.testing.assert_allclose(entry.spatial, stack[:, :, norms.argmax()], rtol=1e-6)
        # the three depthwise kernels are three different channels of that layer, largest first
        for i in range(3):
            matches = [
                c
                for c in range(stack.shape[2])
                if np.allclose(stack[:, :, c], entry.depthwise[:, :, i, 0])
            ]
            assert len(matches) == 1
        assert "MNIST" in entry.label
