"""Tests for sepconv_core.learn (gradients, training), sepconv_core.tasks and the shipped set
read by sepconv_core.learned_kernels.

References are independent of the code under test: a naive separable layer and convolution
built from ``scipy.signal.correlate2d`` (below), central finite differences of that reference
loss, hand-computed task values (BT.601 weights, Sobel responses of a step) and, for recovery,
targets made by known random kernels.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import correlate2d

from sepconv_core.learn import (
    conv2d_loss_and_grads,
    fit_conv2d,
    fit_separable,
    separable_loss_and_grads,
)
from sepconv_core.learned_kernels import load_learned_kernels
from sepconv_core.tasks import TASKS, make_task

LUMA = np.array([0.299, 0.587, 0.114])
SHIPPED_TASKS = ("edges", "blur", "emboss", "sharpen")
SHIPPED_FILE = Path(__file__).resolve().parent.parent / "assets" / "learned_kernels.npz"

# ----------------------------------------------------------------- naive reference layers


def reference_pad(x, kh, kw, padding):
    """Zero padding, TensorFlow's rule at stride 1: k - 1 in total, the extra one after."""
    if padding == "valid":
        return x
    rows, cols = ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)
    return np.pad(x, (rows, cols, (0, 0)))


def reference_separable(x, d, p, padding):
    """Depthwise (channel c, filter m -> output c*M + m) then pointwise, with SciPy."""
    xp = reference_pad(x, d.shape[0], d.shape[1], padding)
    cin, m = d.shape[2:]
    z = [
        correlate2d(xp[:, :, c], d[:, :, c, j], mode="valid") for c in range(cin) for j in range(m)
    ]
    return np.stack(z, axis=-1) @ p


def reference_conv(x, k, padding):
    """Every input channel correlated with its kernel, summed per output, with SciPy."""
    xp = reference_pad(x, k.shape[0], k.shape[1], padding)
    outs = [
        sum(correlate2d(xp[:, :, c], k[:, :, c, o], mode="valid") for c in range(x.shape[2]))
        for o in range(k.shape[3])
    ]
    return np.stack(outs, axis=-1)


def numeric_gradient(loss, w, eps=1e-6):
    """Central finite differences of ``loss(w)`` for every entry of ``w``."""
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        plus, minus = w.copy(), w.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (loss(plus) - loss(minus)) / (2 * eps)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def smooth_image(h=48, w=48):
    """A smooth synthetic colour image in [0, 1]: neighbouring pixels and channels correlate."""
    y, x = np.mgrid[0:h, 0:w] / (max(h, w) - 1)
    channels = [
        np.sin(6 * x + 1) * np.cos(4 * y),
        np.cos(5 * x * y + 0.5),
        x * y + np.sin(9 * y),
    ]
    return 0.5 + 0.5 * np.stack(channels, axis=-1)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "padding, ksize", [("same", (3, 3)), ("valid", (3, 3)), ("same", (2, 4)), ("valid", (3, 2))]
)
def test_separable_gradients_match_finite_differences(padding, ksize):
    """dL/dD and dL/dP equal central differences of the SciPy reference loss (rel. err < 1e-6)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 7, 2))
    d = rng.standard_normal((*ksize, 2, 2))
    p = rng.standard_normal((4, 3))
    t = rng.standard_normal(reference_separable(x, d, p, padding).shape)

    loss, grads = separable_loss_and_grads(x, t, d, p, padding=padding)

    def ref_loss(d_, p_):
        return np.mean((reference_separable(x, d_, p_, padding) - t) ** 2)

    assert loss == pytest.approx(ref_loss(d, p), rel=1e-12)
    num_d = numeric_gradient(lambda w: ref_loss(w, p), d)
    num_p = numeric_gradient(lambda w: ref_loss(d, w), p)
    assert grads["depthwise_kernel"].shape == d.shape
    assert grads["pointwise_kernel"].shape == p.shape
    assert relative_error(grads["depthwise_kernel"], num_d) < 1e-6
    assert relative_error(grads["pointwise_kernel"], num_p) < 1e-6


@pytest.mark.parametrize("padding, ksize", [("same", (3, 3)), ("valid", (3, 3)), ("same", (2, 3))])
def test_conv2d_gradient_matches_finite_differences(padding, ksize):
    """dL/dK of a normal convolution equals central differences of the reference loss."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 7, 2))
    k = rng.standard_normal((*ksize, 2, 3))
    t = rng.standard_normal(reference_conv(x, k, padding).shape)

    loss, grads = conv2d_loss_and_grads(x, t, k, padding=padding)

    def ref_loss(k_):
        return np.mean((reference_conv(x, k_, padding) - t) ** 2)

    assert loss == pytest.approx(ref_loss(k), rel=1e-12)
    assert relative_error(grads["kernel"], numeric_gradient(ref_loss, k)) < 1e-6


def test_gradient_functions_do_not_modify_their_inputs():
    """The kernels passed in are left as they were."""
    rng = np.random.default_rng(2)
    x, d, p = rng.random((5, 5, 1)), rng.random((3, 3, 1, 1)), rng.random((1, 2))
    d0, p0 = d.copy(), p.copy()
    separable_loss_and_grads(x, np.zeros((5, 5, 2)), d, p)
    assert np.array_equal(d, d0) and np.array_equal(p, p0)


# ------------------------------------------------------------------------------ training


def test_fit_separable_recovers_a_random_separable_layer():
    """A random depthwise + pointwise layer on a smooth 48x48x3 image is learned to < 2%."""
    rng = np.random.default_rng(100)
    x = smooth_image()
    d, p = rng.standard_normal((3, 3, 3, 1)), rng.standard_normal((3, 3))
    target = reference_separable(x, d, p, "same")

    fit = fit_separable(x, target, steps=1500)

    assert fit.depthwise_kernel.shape == (3, 3, 3, 1)
    assert fit.pointwise_kernel.shape == (3, 3)
    assert fit.steps_done == 1500 and len(fit.losses) == 1500 and not fit.stopped_early
    assert relative_error(fit.prediction, target) < 0.02
    assert fit.losses[-1] < fit.losses[0] / 10
    # The kernels reported are the ones that give the prediction.
    np.testing.assert_allclose(
        reference_separable(x, fit.depthwise_kernel, fit.pointwise_kernel, "same"),
        fit.prediction,
        atol=1e-12,
    )


def test_fit_separable_learns_grayscale_conversion():
    """BT.601 luma, computed here from the weights, is learned to < 2%; with k = 1 the layer's
    weights per channel (D * P) are the luma weights themselves."""
    x = smooth_image()
    luma = x[:, :, 0] * 0.299 + x[:, :, 1] * 0.587 + x[:, :, 2] * 0.114

    fit = fit_separable(x, luma, steps=1500)
    assert fit.prediction.shape == (48, 48, 1)
    assert relative_error(fit.prediction[:, :, 0], luma) < 0.02
    assert fit.losses[-1] < fit.losses[0] / 10

    pointwise_only = fit_separable(x, luma, kernel_size=1, steps=1000)
    weights = pointwise_only.depthwise_kernel[0, 0, :, 0] * pointwise_only.pointwise_kernel[:, 0]
    np.testing.assert_allclose(weights, LUMA, atol=1e-3)


def test_fit_conv2d_recovers_a_random_normal_convolution():
    """A random 3x3 convolution, 3 -> 4 channels, is learned to < 2%."""
    rng = np.random.default_rng(7)
    x = smooth_image()
    kernel = rng.standard_normal((3, 3, 3, 4))
    target = reference_conv(x, kernel, "same")

    fit = fit_conv2d(x, target, steps=1500)

    assert fit.kernel.shape == (3, 3, 3, 4)
    assert fit.parameters == 3 * 3 * 3 * 4
    assert relative_error(fit.prediction, target) < 0.02
    assert fit.losses[-1] < fit.losses[0] / 10


def test_separable_layer_cannot_match_a_random_normal_convolution_but_conv2d_can():
    """With M = 1 a separable layer stays far from a random 3 -> 4 convolution (> 5%), while a
    normal convolution given the same steps gets much closer."""
    rng = np.random.default_rng(8)
    x = rng.random((24, 24, 3))  # white noise: no correlations to exploit
    target = reference_conv(x, rng.standard_normal((3, 3, 3, 4)), "same")
    separable = fit_separable(x, target, steps=600)
    normal = fit_conv2d(x, target, steps=600)
    assert relative_error(separable.prediction, target) > 0.05
    assert relative_error(normal.prediction, target) < 0.02


def test_valid_padding_fit_gives_the_smaller_output():
    """With 'valid' padding the target and prediction are (H - k + 1, W - k + 1)."""
    rng = np.random.default_rng(3)
    x = rng.random((12, 10, 2))
    d, p = rng.standard_normal((3, 3, 2, 1)), rng.standard_normal((2, 1))
    target = reference_separable(x, d, p, "valid")
    fit = fit_separable(x, target, padding="valid", steps=400)
    assert fit.prediction.shape == (10, 8, 1)
    assert relative_error(fit.prediction, target) < 0.02


def test_fit_is_deterministic_for_a_seed():
    """The same seed gives identical kernels and losses; another seed starts elsewhere."""
    x = smooth_image(16, 16)
    target = x @ LUMA
    a = fit_separable(x, target, steps=20, seed=5)
    b = fit_separable(x, target, steps=20, seed=5)
    c = fit_separable(x, target, steps=20, seed=6)
    assert np.array_equal(a.depthwise_kernel, b.depthwise_kernel)
    assert np.array_equal(a.pointwise_kernel, b.pointwise_kernel)
    assert np.array_equal(a.losses, b.losses)
    assert not np.array_equal(a.depthwise_kernel, c.depthwise_kernel)
    assert a.losses[0] != c.losses[0]


def test_callback_sees_every_step_and_false_stops():
    """The callback gets (step, loss, kernels) each step; returning False after step 4 stops."""
    x = smooth_image(12, 12)
    seen = []

    def callback(step, loss, params):
        seen.append((step, loss, params))
        return step < 4

    fit = fit_separable(x, x @ LUMA, depth_multiplier=2, steps=50, callback=callback)

    assert fit.steps_done == 5 and fit.stopped_early and fit.stop_reason == "callback"
    assert [s for s, _, _ in seen] == [0, 1, 2, 3, 4]
    assert [loss for _, loss, _ in seen] == list(fit.losses)
    assert seen[-1][2]["depthwise_kernel"].shape == (3, 3, 3, 2)
    assert seen[-1][2]["pointwise_kernel"].shape == (6, 1)
    # The last params handed out are the final kernels (copies, so the fit is unaffected).
    np.testing.assert_array_equal(seen[-1][2]["depthwise_kernel"], fit.depthwise_kernel)
    assert seen[0][2]["depthwise_kernel"] is not fit.depthwise_kernel


def test_callback_returning_none_does_not_stop():
    """A callback without a return statement lets all the steps run."""
    fit = fit_conv2d(smooth_image(8, 8), np.zeros((8, 8, 2)), steps=7, callback=lambda *a: None)
    assert fit.steps_done == 7 and not fit.stopped_early and fit.stop_reason == "steps"


def test_tiny_time_budget_stops_early():
    """A budget far below one step's time stops after the first step."""
    x = smooth_image(16, 16)
    fit = fit_separable(x, x @ LUMA, steps=1000, time_budget=1e-9)
    assert fit.stopped_early and fit.stop_reason == "time_budget"
    assert fit.steps_done == 1 < 1000
    conv = fit_conv2d(x, x, steps=1000, time_budget=1e-9)
    assert conv.stopped_early and conv.steps_done < 1000


def test_sgd_learns_and_a_huge_learning_rate_is_reported_as_diverged():
    """Plain gradient descent lowers the loss; with a rate of 100 the loss blows up and the
    fit stops with stop_reason 'diverged' (no warnings escape)."""
    x = smooth_image(16, 16)
    target = x @ LUMA
    fit = fit_separable(x, target, optimizer="sgd", learning_rate=0.05, steps=200)
    assert fit.stop_reason == "steps" and fit.losses[-1] < fit.losses[0] / 10
    with np.errstate(all="raise"):
        blown = fit_separable(x, target, optimizer="sgd", learning_rate=100.0, steps=200)
    assert blown.stop_reason == "diverged" and blown.stopped_early
    assert not np.isfinite(blown.losses[-1]) and np.all(np.isfinite(blown.losses[:-1]))


def test_float32_trains_in_float32():
    """A float32 image gives float32 kernels and prediction (no silent float64)."""
    x = smooth_image(16, 16).astype(np.float32)
    fit = fit_separable(x, x @ LUMA.astype(np.float32), steps=5)
    assert fit.depthwise_kernel.dtype == np.float32
    assert fit.pointwise_kernel.dtype == np.float32
    assert fit.prediction.dtype == np.float32
    conv = fit_conv2d(x, x, steps=5)
    assert conv.kernel.dtype == np.float32 and conv.prediction.dtype == np.float32


def test_parameter_count_and_final_loss():
    """parameters = k*k*Cin*M + Cin*M*Cout (3*3*3*2 + 6*4 = 78); final_loss is the MSE of
    the prediction."""
    x = smooth_image(10, 10)
    target = np.zeros((10, 10, 4))
    fit = fit_separable(x, target, depth_multiplier=2, steps=3)
    assert fit.parameters == 78
    assert fit.final_loss == pytest.approx(np.mean(fit.prediction**2), rel=1e-12)
    assert fit.seconds >= 0


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"target": np.zeros((5, 6, 1))}, "target"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"steps": 0}, "steps"),
        ({"depth_multiplier": 1.5}, "depth_multiplier"),
        ({"time_budget": -1}, "time_budget"),
        ({"padding": "full"}, "padding"),
        ({"seed": -1}, "seed"),
        ({"image": np.full((6, 6, 1), np.nan)}, "image"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(kwargs, word):
    """Each bad argument gives a ValueError whose message names it."""
    args = {"image": np.ones((6, 6, 1)), "target": np.ones((6, 6, 1))} | kwargs
    image, target = args.pop("image"), args.pop("target")
    with pytest.raises(ValueError, match=word):
        fit_separable(image, target, **args)


# --------------------------------------------------------------------------------- tasks


def test_tasks_are_the_documented_seven():
    """TASKS names exactly the seven tasks, each with one sentence."""
    assert set(TASKS) == {
        "edges",
        "blur",
        "grayscale",
        "channel swap",
        "emboss",
        "sharpen",
        "random normal conv",
    }
    assert all(text.endswith(".") and len(text) > 20 for text in TASKS.values())


def test_edges_is_the_one_nonlinear_task():
    """Every target but the edges' is linear in the image, target(a + b) = target(a) +
    target(b), so some layer can match it; sqrt(gx² + gy²) is not."""
    rng = np.random.default_rng(8)
    a, b = rng.random((8, 9, 3)), rng.random((8, 9, 3))
    for name in TASKS:
        together = make_task(name, a + b)[0]
        apart = make_task(name, a)[0] + make_task(name, b)[0]
        assert np.allclose(together, apart, atol=1e-12) == (name != "edges"), name


@pytest.mark.parametrize(
    "name, channels",
    [
        ("edges", 1),
        ("blur", 3),
        ("grayscale", 1),
        ("channel swap", 3),
        ("emboss", 1),
        ("sharpen", 3),
        ("random normal conv", 4),
    ],
)
def test_make_task_shapes(name, channels):
    """Targets are 'same' size with 1, 3 or 4 channels; the description is TASKS[name]."""
    x = np.random.default_rng(0).random((9, 11, 3)).astype(np.float32)
    target, description = make_task(name, x)
    assert target.shape == (9, 11, channels)
    assert target.dtype == np.float32
    assert description == TASKS[name]


def test_grayscale_task_is_bt601_luma():
    """grayscale = 0.299 R + 0.587 G + 0.114 B, computed here by hand."""
    x = np.random.default_rng(1).random((5, 4, 3))
    target, _ = make_task("grayscale", x)
    expected = 0.299 * x[:, :, 0] + 0.587 * x[:, :, 1] + 0.114 * x[:, :, 2]
    np.testing.assert_allclose(target[:, :, 0], expected, rtol=1e-12)
    pixel, _ = make_task("grayscale", np.array([[[0.2, 0.4, 0.6]]]))
    assert pixel[0, 0, 0] == pytest.approx(0.0598 + 0.2348 + 0.0684)  # = 0.363


def test_channel_swap_reverses_channels():
    """channel swap puts B, G, R where R, G, B were."""
    x = np.random.default_rng(2).random((4, 4, 3))
    target, _ = make_task("channel swap", x)
    np.testing.assert_array_equal(target[:, :, 0], x[:, :, 2])
    np.testing.assert_array_equal(target[:, :, 1], x[:, :, 1])
    np.testing.assert_array_equal(target[:, :, 2], x[:, :, 0])


def test_edges_task_on_a_step_is_four_at_the_step():
    """A gray step (0 on the left, 1 from column 4) has Sobel magnitude (1+2+1) * 1 = 4 on
    columns 3 and 4 and 0 elsewhere, away from the zero-padded border."""
    step = np.zeros((8, 9, 3))
    step[:, 4:] = 1.0
    target, _ = make_task("edges", step)
    inner = target[1:-1, 1:-1, 0]  # columns 1..7
    np.testing.assert_allclose(inner[:, 2:4], 4.0, rtol=1e-12)  # columns 3 and 4
    np.testing.assert_allclose(inner[:, [0, 1, 4, 5, 6]], 0.0, atol=1e-12)


def test_per_channel_tasks_on_constant_images():
    """Blur and sharpen keep a constant image constant (both kernels sum to 1) away from the
    border; emboss (also sums to 1) gives the constant's luminance."""
    x = np.ones((12, 12, 3)) * np.array([0.2, 0.5, 0.9])
    blur, _ = make_task("blur", x)
    sharpen, _ = make_task("sharpen", x)
    emboss, _ = make_task("emboss", x)
    np.testing.assert_allclose(blur[2:-2, 2:-2], x[2:-2, 2:-2], rtol=1e-12)
    np.testing.assert_allclose(sharpen[1:-1, 1:-1], x[1:-1, 1:-1], rtol=1e-12)
    np.testing.assert_allclose(emboss[1:-1, 1:-1, 0], LUMA @ [0.2, 0.5, 0.9], rtol=1e-12)
    assert blur[0, 0, 0] < 0.2  # the zero padding darkens the corner


def test_blur_task_matches_scipy_gaussian_per_channel():
    """blur equals each channel correlated with the normalised 5x5 Gaussian of sigma 1."""
    x = np.random.default_rng(3).random((7, 8, 2))
    g = np.exp(-(np.arange(-2, 3) ** 2) / 2.0)
    g2 = np.outer(g, g) / np.outer(g, g).sum()
    target, _ = make_task("blur", x)
    for c in range(2):
        np.testing.assert_allclose(
            target[:, :, c], correlate2d(x[:, :, c], g2, mode="same"), rtol=1e-10
        )


def test_random_normal_conv_task_is_seeded_and_linear():
    """Same seed, same target; another seed, another; the target is linear in the image."""
    rng = np.random.default_rng(4)
    a, b = rng.random((6, 6, 3)), rng.random((6, 6, 3))
    t0, _ = make_task("random normal conv", a, seed=0)
    assert np.array_equal(t0, make_task("random normal conv", a, seed=0)[0])
    assert not np.allclose(t0, make_task("random normal conv", a, seed=1)[0])
    t_sum, _ = make_task("random normal conv", 2 * a + b, seed=0)
    t_b, _ = make_task("random normal conv", b, seed=0)
    np.testing.assert_allclose(t_sum, 2 * t0 + t_b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 7, 1), (6, 7)])
def test_tasks_work_on_grayscale_images(shape):
    """On a one-channel image every task works; channel swap and grayscale are the identity,
    and their sentence is not the one for colour images."""
    x = np.random.default_rng(5).random(shape)
    plane = x.reshape(6, 7)
    for name in TASKS:
        target, description = make_task(name, x)
        assert target.shape[:2] == (6, 7)
    swap, description = make_task("channel swap", x)
    np.testing.assert_array_equal(swap[:, :, 0], plane)
    assert description != TASKS["channel swap"]
    gray, description = make_task("grayscale", x)
    np.testing.assert_array_equal(gray[:, :, 0], plane)
    assert description != TASKS["grayscale"]


def test_make_task_rejects_unknown_names_and_bad_images():
    """Unknown task -> ValueError naming 'name'; luminance tasks need 1 or 3 channels."""
    with pytest.raises(ValueError, match="name"):
        make_task("invert", np.ones((4, 4, 3)))
    with pytest.raises(ValueError, match="image"):
        make_task("edges", np.ones((4, 4, 2)))


# --------------------------------------------------------------------- the shipped set


@pytest.fixture(scope="module")
def shipped():
    return load_learned_kernels(SHIPPED_FILE)


def test_shipped_file_has_the_documented_entries(shipped):
    """assets/learned_kernels.npz holds <task>_<k> for the four tasks and k = 3, 5, with
    the documented shapes."""
    assert set(shipped) == {f"{t}_{k}" for t in SHIPPED_TASKS for k in (3, 5)}
    for name, entry in shipped.items():
        k = entry.kernel_size
        assert name == f"{entry.task}_{k}"
        cout = 3 if entry.task in ("blur", "sharpen") else 1
        assert entry.spatial.shape == (k, k)
        assert entry.depthwise.shape == (k, k, 3, 1)
        assert entry.pointwise.shape == (3, cout)
        assert np.isfinite(entry.final_loss) and entry.final_loss >= 0
        assert entry.task in entry.description


def test_shipped_spatial_kernel_is_the_layer_on_a_gray_image(shipped):
    """For R = G = B = g the shipped layer's output, averaged over its output channels, is g
    correlated with the spatial kernel (SciPy, zero padding)."""
    g = np.random.default_rng(6).random((9, 10))
    rgb = np.repeat(g[:, :, None], 3, axis=2)
    for entry in shipped.values():
        out = reference_separable(rgb, entry.depthwise, entry.pointwise, "same").mean(axis=2)
        np.testing.assert_allclose(out, correlate2d(g, entry.spatial, mode="same"), atol=1e-10)


def test_shipped_blur_is_a_low_pass(shipped):
    """The learned blur keeps a constant image constant (weights sum to 1 within 2%), and the
    5x5 one is close to the Gaussian it imitated (every weight within 0.02)."""
    for k in (3, 5):
        assert shipped[f"blur_{k}"].spatial.sum() == pytest.approx(1.0, abs=0.02)
    g = np.exp(-(np.arange(-2, 3) ** 2) / 2.0)
    gaussian = np.outer(g, g) / np.outer(g, g).sum()
    np.testing.assert_allclose(shipped["blur_5"].spatial, gaussian, atol=0.02)


def test_shipped_emboss_is_the_emboss_kernel(shipped):
    """Emboss on the luminance is exactly learnable: the spatial 3x3 kernel is emboss within
    0.02 per weight."""
    emboss = np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
    np.testing.assert_allclose(shipped["emboss_3"].spatial, emboss, atol=0.02)


def test_load_learned_kernels_reads_a_given_path(tmp_path):
    """A hand-made file in the documented layout loads with its values."""
    meta = {
        "format": 1,
        "entries": {
            "box_3": {
                "task": "blur",
                "kernel_size": 3,
                "final_loss": 0.5,
                "description": "A box.",
            }
        },
    }
    path = tmp_path / "k.npz"
    np.savez(
        path,
        **{
            "box_3/spatial": np.full((3, 3), 1 / 9),
            "box_3/depthwise": np.ones((3, 3, 3, 1)),
            "box_3/pointwise": np.eye(3),
            "metadata": np.array(json.dumps(meta)),
        },
    )
    loaded = load_learned_kernels(path)
    assert list(loaded) == ["box_3"]
    entry = loaded["box_3"]
    assert (entry.task, entry.kernel_size, entry.final_loss) == ("blur", 3, 0.5)
    np.testing.assert_array_equal(entry.spatial, np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(entry.pointwise, np.eye(3))


def test_learned_depthwise_for_other_channel_counts():
    """A learned stack serves RGB as trained, and any other channel count with its gray kernel."""
    entry = load_learned_kernels(SHIPPED_FILE)["blur_3"]
    np.testing.assert_array_equal(entry.depthwise_for(3), entry.depthwise)
    one = entry.depthwise_for(1)
    assert one.shape == (3, 3, 1, 1)
    np.testing.assert_array_equal(one[:, :, 0, 0], entry.spatial)
    assert entry.depthwise_for(4).shape == (3, 3, 4, 1)


def test_fit_both_reports_every_step_of_both_models():
    """The page's worker job: the two fits it runs, and one message per step of each."""
    from sepconv_core.learn import fit_both

    x = smooth_image(12, 12)
    target = x @ LUMA
    messages = []
    both = fit_both(x, target, steps=15, report=messages.append)
    alone = fit_separable(x, target, steps=15)
    np.testing.assert_array_equal(both["separable"].losses, alone.losses)
    assert both["normal"].losses[-1] < both["normal"].losses[0]
    for model in ("separable", "normal"):
        mine = [(step, loss) for m, step, loss in messages if m == model]
        assert [s for s, _ in mine] == list(range(15))
        np.testing.assert_allclose([loss for _, loss in mine], both[model].losses)
    assert [m for m, _, _ in messages] == ["separable"] * 15 + ["normal"] * 15
