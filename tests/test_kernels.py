"""Tests for sepconv_core.kernels: named presets, the registry and depthwise stacks.

Expected matrices are written out by hand; ranks come from np.linalg.matrix_rank and
filter responses from scipy.ndimage, independently of the code under test.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

from sepconv_core.kernels import (
    CHANNEL_FAMILIES,
    FIXED_SIZES,
    PRESETS,
    KernelPreset,
    binomial,
    box,
    channel_kernels,
    derivative,
    emboss,
    gaussian,
    get_kernel,
    identity,
    laplacian,
    motion_blur,
    outline,
    prewitt_x,
    prewitt_y,
    random_kernel,
    scharr_x,
    scharr_y,
    sharpen,
    sobel_x,
    sobel_y,
)

# e^(-1/2) / (1 + 2 e^(-1/2)) and 1 / (1 + 2 e^(-1/2)): the 3-tap Gaussian with sigma = 1.
G_EDGE, G_MID = 0.27406861906119, 0.45186276187762

EXPECTED = {
    "sobel_x": (sobel_x, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": (sobel_y, [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "sobel_x(2)": (lambda: sobel_x(2), [[-1, 1], [-1, 1]]),
    "sobel_y(2)": (lambda: sobel_y(2), [[-1, -1], [1, 1]]),
    "sobel_x(5)": (
        lambda: sobel_x(5),
        [
            [-1, -2, 0, 2, 1],
            [-4, -8, 0, 8, 4],
            [-6, -12, 0, 12, 6],
            [-4, -8, 0, 8, 4],
            [-1, -2, 0, 2, 1],
        ],
    ),
    "sobel_x(4)": (
        lambda: sobel_x(4),
        [[-1, -1, 1, 1], [-3, -3, 3, 3], [-3, -3, 3, 3], [-1, -1, 1, 1]],
    ),
    "scharr_x": (scharr_x, [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]),
    "scharr_y": (scharr_y, [[-3, -10, -3], [0, 0, 0], [3, 10, 3]]),
    "prewitt_x": (prewitt_x, [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "prewitt_y": (prewitt_y, [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "laplacian": (laplacian, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "sharpen": (sharpen, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "emboss": (emboss, [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    "outline": (outline, [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "identity": (identity, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "identity(1)": (lambda: identity(1), [[1]]),
    "identity(4)": (
        lambda: identity(4),
        [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    ),
    "box": (box, [[1 / 9, 1 / 9, 1 / 9], [1 / 9, 1 / 9, 1 / 9], [1 / 9, 1 / 9, 1 / 9]]),
    "box(2)": (lambda: box(2), [[0.25, 0.25], [0.25, 0.25]]),
    "motion_blur(3)": (lambda: motion_blur(3), [[1 / 3, 0, 0], [0, 1 / 3, 0], [0, 0, 1 / 3]]),
    "gaussian(3, 1)": (
        lambda: gaussian(3, 1.0),
        [
            [G_EDGE * G_EDGE, G_EDGE * G_MID, G_EDGE * G_EDGE],
            [G_MID * G_EDGE, G_MID * G_MID, G_MID * G_EDGE],
            [G_EDGE * G_EDGE, G_EDGE * G_MID, G_EDGE * G_EDGE],
        ],
    ),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_matches_hand_written_matrix(name):
    """Each preset equals its matrix written out by hand, as a float64 2-D array."""
    build, expected = EXPECTED[name]
    kernel = build()
    assert kernel.dtype == np.float64 and kernel.ndim == 2
    np.testing.assert_allclose(kernel, np.array(expected, dtype=float), rtol=0, atol=1e-12)


def test_binomial_and_derivative_factors():
    """binomial(k) is row k-1 of Pascal's triangle; derivative(k) its [-1, 1] difference."""
    np.testing.assert_array_equal(binomial(1), [1])
    np.testing.assert_array_equal(binomial(3), [1, 2, 1])
    np.testing.assert_array_equal(binomial(5), [1, 4, 6, 4, 1])
    np.testing.assert_array_equal(binomial(7), [1, 6, 15, 20, 15, 6, 1])
    np.testing.assert_array_equal(derivative(2), [-1, 1])
    np.testing.assert_array_equal(derivative(3), [-1, 0, 1])
    np.testing.assert_array_equal(derivative(5), [-1, -2, 0, 2, 1])
    with pytest.raises(ValueError, match="k must"):
        derivative(1)
    with pytest.raises(ValueError, match="k must"):
        binomial(0)


def test_sobel_orientation_on_ramps():
    """Sobel x is positive on a ramp rising to the right, Sobel y on one rising downward."""
    ramp_right = np.tile(np.arange(8.0), (8, 1))
    ramp_down = ramp_right.T
    inner = (slice(2, -2), slice(2, -2))
    for size in (2, 3, 5):
        assert np.all(ndi.correlate(ramp_right, sobel_x(size))[inner] > 0)
        assert np.all(ndi.correlate(ramp_down, sobel_y(size))[inner] > 0)
        np.testing.assert_allclose(ndi.correlate(ramp_down, sobel_x(size))[inner], 0, atol=1e-12)


def test_sobel_x_agrees_with_scipy_sobel():
    """Cross-correlation with sobel_x() equals scipy.ndimage.sobel along axis 1."""
    image = np.random.default_rng(3).random((9, 11))
    ours = ndi.correlate(image, sobel_x(), mode="reflect")
    np.testing.assert_allclose(ours, ndi.sobel(image, axis=1, mode="reflect"), atol=1e-12)
    ours_y = ndi.correlate(image, sobel_y(), mode="reflect")
    np.testing.assert_allclose(ours_y, ndi.sobel(image, axis=0, mode="reflect"), atol=1e-12)


@pytest.mark.parametrize("size, sigma", [(1, 1.0), (3, 0.5), (5, 1.0), (7, 2.5), (4, 1.0)])
def test_gaussian_sums_to_one_and_is_symmetric(size, sigma):
    """A Gaussian kernel sums to 1, is symmetric both ways and peaks in the middle."""
    k = gaussian(size, sigma)
    assert k.shape == (size, size)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(k, k.T, atol=1e-15)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-15)
    assert k.max() == k[(size - 1) // 2, (size - 1) // 2]


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_box_sums_to_one(size):
    """A box kernel holds 1 / size^2 everywhere."""
    np.testing.assert_allclose(box(size), np.full((size, size), 1.0 / size**2), atol=1e-15)


def test_identity_leaves_image_unchanged():
    """Correlating with identity(size) returns the image (scipy, constant padding)."""
    image = np.random.default_rng(0).random((6, 7))
    for size in (1, 3, 5):
        out = ndi.correlate(image, identity(size), mode="constant")
        np.testing.assert_allclose(out, image, atol=1e-15)


EXPECTED_RANK = {
    "sobel_x": lambda size: 1,
    "sobel_y": lambda size: 1,
    "scharr_x": lambda size: 1,
    "scharr_y": lambda size: 1,
    "prewitt_x": lambda size: 1,
    "prewitt_y": lambda size: 1,
    "gaussian": lambda size: 1,
    "box": lambda size: 1,
    "identity": lambda size: 1,
    "laplacian": lambda size: 2,
    "sharpen": lambda size: 2,
    "emboss": lambda size: 3,
    "outline": lambda size: 2,
    "motion_blur": lambda size: size,
    "random_separable": lambda size: 1,
    "random": lambda size: size,
}


def test_every_preset_has_an_expected_rank():
    """The rank table below covers exactly the registry."""
    assert set(EXPECTED_RANK) == set(PRESETS)


@pytest.mark.parametrize("key", list(EXPECTED_RANK))
def test_preset_separability_matches_expectation(key):
    """np.linalg.matrix_rank of every preset, at every allowed size, is the expected one."""
    for size in PRESETS[key].sizes:
        kernel = get_kernel(key, size)
        assert np.linalg.matrix_rank(kernel) == EXPECTED_RANK[key](size), (key, size)


@pytest.mark.parametrize("key", list(PRESETS))
def test_registry_entry_builds_at_every_allowed_size(key):
    """Every preset builds a float64 (size, size) array at each of its sizes, finite."""
    preset = PRESETS[key]
    assert isinstance(preset, KernelPreset)
    assert preset.key == key
    assert preset.default_size in preset.sizes
    for size in preset.sizes:
        kernel = preset.build(size)
        assert kernel.dtype == np.float64
        assert kernel.shape == (size, size)
        assert np.all(np.isfinite(kernel))
    np.testing.assert_array_equal(get_kernel(key), preset.build(preset.default_size))


@pytest.mark.parametrize("key", list(PRESETS))
def test_registry_descriptions_are_one_sentence(key):
    """Descriptions are a single sentence: capitalised, one final period, no line breaks."""
    text = PRESETS[key].description
    assert text[0].isupper()
    assert text.endswith(".")
    assert "\n" not in text
    assert not any(mark in text[:-1] for mark in (". ", "? ", "! "))
    assert PRESETS[key].name and PRESETS[key].name[0].isupper()


def test_registry_names_and_order():
    """Display names are unique, and the menu starts with Sobel x and y."""
    names = [p.name for p in PRESETS.values()]
    assert len(set(names)) == len(names)
    assert tuple(PRESETS)[:2] == ("sobel_x", "sobel_y")


def test_registry_sobel_and_box_builds_match_functions():
    """Registry entries build the same arrays as the plain functions."""
    np.testing.assert_array_equal(get_kernel("sobel_x", 5), sobel_x(5))
    np.testing.assert_allclose(get_kernel("box", 5), np.full((5, 5), 1 / 25), rtol=1e-15)
    np.testing.assert_array_equal(get_kernel("laplacian"), laplacian())


def test_get_kernel_refuses_unknown_key_and_size():
    """Unknown keys and sizes not offered raise ValueErrors naming them."""
    with pytest.raises(ValueError, match="'nope'"):
        get_kernel("nope")
    with pytest.raises(ValueError, match="size 4"):
        get_kernel("sobel_x", 4)
    with pytest.raises(ValueError, match="size 5"):
        get_kernel("laplacian", 5)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sobel_x(1), "size"),
        (lambda: gaussian(0), "size"),
        (lambda: gaussian(3, sigma=0.0), "sigma"),
        (lambda: gaussian(3, sigma=float("nan")), "sigma"),
        (lambda: box(2.5), "size"),
        (lambda: identity(True), "size"),
        (lambda: random_kernel((3, 0)), "shape"),
        (lambda: random_kernel((3, 3, 3)), "shape"),
        (lambda: random_kernel(seed=-1), "seed"),
    ],
)
def test_bad_arguments_name_the_parameter(call, name):
    """Bad sizes, sigmas, shapes and seeds raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=name):
        call()


def test_random_kernel_is_seeded():
    """Same seed, same kernel; another seed, another kernel; absolute values sum to 1."""
    a, b, c = random_kernel((3, 4), seed=1), random_kernel((3, 4), seed=1), random_kernel((3, 4), 2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == (3, 4) and a.dtype == np.float64
    assert np.abs(a).sum() == pytest.approx(1.0)
    assert np.linalg.matrix_rank(a) == 3


def test_random_separable_kernel_is_rank_one():
    """separable=True gives a seeded rank-1 kernel whose absolute values sum to 1."""
    a = random_kernel((4, 5), seed=7, separable=True)
    np.testing.assert_array_equal(a, random_kernel((4, 5), seed=7, separable=True))
    assert np.linalg.matrix_rank(a) == 1
    assert np.abs(a).sum() == pytest.approx(1.0)
    assert random_kernel(3).shape == (3, 3)


# ----------------------------------------------------------------- channel kernels


@pytest.mark.parametrize("family", list(CHANNEL_FAMILIES))
@pytest.mark.parametrize("size, channels, multiplier", [(3, 3, 1), (5, 2, 3), (1, 4, 2)])
def test_channel_kernels_shape(family, size, channels, multiplier):
    """Every family gives a finite float64 (size, size, channels, multiplier) stack; a family
    written out at one size refuses any other with a sentence."""
    if family in FIXED_SIZES and size != FIXED_SIZES[family]:
        with pytest.raises(ValueError, match="only"):
            channel_kernels(family, size, channels, multiplier)
        size = FIXED_SIZES[family]
    k = channel_kernels(family, size, channels, multiplier)
    assert k.shape == (size, size, channels, multiplier)
    assert k.dtype == np.float64
    assert np.all(np.isfinite(k))


def test_channel_family_descriptions_are_one_sentence():
    """Every family has a one-sentence description ending with a period."""
    for text in CHANNEL_FAMILIES.values():
        assert text.endswith(".") and ". " not in text[:-1]


def test_sobel_family_channels_differ():
    """The "sobel" family cycles Sobel x, Sobel y, Laplacian, blur: four different filters."""
    k = channel_kernels("sobel", 3, 4)
    np.testing.assert_array_equal(k[:, :, 0, 0], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(k[:, :, 1, 0], [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(k[:, :, 2, 0], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_allclose(k[:, :, 3, 0], np.outer([1, 2, 1], [1, 2, 1]) / 16)
    for size in (2, 3, 5):
        k = channel_kernels("sobel", size, 2, 2)
        flat = k.reshape(size * size, 4).T
        assert len({tuple(f) for f in flat}) == 4, size


def test_sobel_family_size_one_scales_channels():
    """With 1x1 kernels the "sobel" family is a different scaling per filter."""
    k = channel_kernels("sobel", 1, 4)
    values = k.ravel()
    assert len(set(values)) == 4 and np.all(values != 0)


def test_uniform_families_repeat_one_kernel():
    """gaussian/box/identity put the same kernel on every channel; blurs sum to 1."""
    for family, size in (("gaussian", 5), ("box", 3), ("identity", 3)):
        k = channel_kernels(family, size, 3, 2)
        for c in range(3):
            for m in range(2):
                np.testing.assert_array_equal(k[:, :, c, m], k[:, :, 0, 0])
    np.testing.assert_array_equal(channel_kernels("identity", 3, 1)[:, :, 0, 0], identity(3))
    np.testing.assert_allclose(channel_kernels("box", 3, 1)[:, :, 0, 0], np.full((3, 3), 1 / 9))
    assert channel_kernels("gaussian", 5, 2).sum(axis=(0, 1)) == pytest.approx(1.0)
    assert channel_kernels("gaussian", 1, 2).ravel().tolist() == [1.0, 1.0]


def test_random_family_is_seeded():
    """Random stacks repeat for a seed, change with the seed, and differ between channels."""
    a = channel_kernels("random", 3, 2, 2, seed=5)
    np.testing.assert_array_equal(a, channel_kernels("random", 3, 2, 2, seed=5))
    assert not np.allclose(a, channel_kernels("random", 3, 2, 2, seed=6))
    assert not np.allclose(a[:, :, 0, 0], a[:, :, 1, 0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"family": "sobelx", "size": 3, "channels": 1}, "family"),
        ({"family": "sobel", "size": 0, "channels": 1}, "size"),
        ({"family": "sobel", "size": 3, "channels": 0}, "channels"),
        ({"family": "sobel", "size": 3, "channels": 2, "multiplier": 0}, "multiplier"),
        ({"family": "random", "size": 3, "channels": 2, "seed": -3}, "seed"),
        ({"family": "box", "size": 2.5, "channels": 2}, "size"),
    ],
)
def test_channel_kernels_bad_arguments(kwargs, name):
    """Bad family, size, channels, multiplier or seed raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=name):
        channel_kernels(**kwargs)


def test_random_weights_normalise_each_output():
    """Every output column of a layer's random weights has absolute values summing to 1."""
    from sepconv_core.kernels import pointwise_weights, random_weights

    w = random_weights((3, 3, 2, 5), seed=4)
    assert w.shape == (3, 3, 2, 5)
    for o in range(5):
        assert sum(abs(float(x)) for x in w[:, :, :, o].ravel()) == pytest.approx(1.0)
    p = pointwise_weights(3, 7, seed=4)
    assert p.shape == (3, 7)
    for o in range(7):
        assert abs(p[0, o]) + abs(p[1, o]) + abs(p[2, o]) == pytest.approx(1.0)
    assert not np.array_equal(pointwise_weights(3, 7, seed=5), p)
    np.testing.assert_array_equal(pointwise_weights(3, 7, seed=4), p)


def test_sobel_family_names_say_what_each_kernel_is():
    """Issue 9, point 7: the 2×2 member is not a Laplacian. A Laplacian (the sum of the two
    second derivatives) has rank 2 and gives 0 on a plane x + y yet not on x²; the 2×2
    third kernel is rank 1, and each name is checked against such facts."""
    from sepconv_core.kernels import sobel_cycle_names

    for size in range(2, 8):
        names = sobel_cycle_names(size)
        third = channel_kernels("sobel", size, 3)[:, :, 2, 0]
        rank = np.linalg.matrix_rank(third)
        assert ("Laplacian" in names[2]) == (rank == 2), size
        ys, xs = np.mgrid[0:size, 0:size].astype(float)
        assert np.sum(third * (xs + ys)) == pytest.approx(0, abs=1e-9)
        if "Laplacian" in names[2]:  # responds to a curvature in x and in y alike
            assert np.sum(third * xs**2) == pytest.approx(np.sum(third * ys**2))
            assert np.sum(third * xs**2) != 0
        else:  # the mixed derivative responds to x·y only
            assert np.sum(third * xs**2) == 0 and np.sum(third * xs * ys) != 0
    assert "Laplacian" not in sobel_cycle_names(2) and "Laplacian" not in sobel_cycle_names(1)
    assert sobel_cycle_names(3) == ("Sobel x", "Sobel y", "Laplacian", "binomial blur")


@pytest.mark.parametrize("size", [4, 5, 6, 7])
def test_larger_sobel_family_second_derivative_is_a_smoothed_laplacian(size):
    """From 4×4 up the third kernel is named a smoothed Laplacian: it is the 4-neighbour
    Laplacian (written out here) fully convolved with a binomial blur b·bᵀ (Pascal's row from
    scipy.special.comb), so it is no 3×3 Laplacian. At the even sizes 4 and 6 it is no
    smoothing ⊗ derivative either: rank 2, unchanged by a half turn and by transposition
    (a centre between pixels), sums to 0, and answers x² and y² alike but not x·y."""
    from scipy.signal import convolve2d
    from scipy.special import comb

    from sepconv_core.kernels import sobel_cycle_names

    third = channel_kernels("sobel", size, 3)[:, :, 2, 0]
    assert sobel_cycle_names(size)[2] == "smoothed Laplacian"
    lap = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    b = comb(size - 3, np.arange(size - 2))
    np.testing.assert_allclose(third, convolve2d(lap, np.outer(b, b)), atol=1e-12)
    assert np.linalg.matrix_rank(third) == 2
    np.testing.assert_array_equal(third, third[::-1, ::-1])
    np.testing.assert_array_equal(third, third.T)
    ys, xs = np.mgrid[0:size, 0:size] - (size - 1) / 2
    assert third.sum() == 0 and np.sum(third * xs * ys) == 0
    assert np.sum(third * xs**2) == np.sum(third * ys**2) > 0
