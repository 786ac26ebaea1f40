"""The shipped MNIST digits (assets/digits.npz, made by scripts/make_digits.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sepconv_core.tinynet import load_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_shapes_and_types(digits):
    assert digits.train_images.shape[1:] == digits.test_images.shape[1:] == (28, 28)
    assert digits.train_images.dtype == digits.test_images.dtype == np.uint8
    assert len(digits.train_images) == len(digits.train_labels) >= 8000
    assert len(digits.test_images) == len(digits.test_labels) >= 1000


def test_every_class_in_both_splits(digits):
    for labels in (digits.train_labels, digits.test_labels):
        assert set(np.unique(labels)) == set(range(10))
        counts = np.bincount(labels, minlength=10)
        assert counts.min() >= 0.6 * counts.mean()  # no class is nearly missing


def test_splits_do_not_share_digits(digits):
    train = {img.tobytes() for img in digits.train_images}
    shared = sum(img.tobytes() in train for img in digits.test_images)
    assert shared <= 2  # MNIST itself may hold an exact duplicate; no leak of the split


def test_digits_look_like_mnist(digits):
    images = digits.train_images.astype(np.float64)
    # ink is bright on a dark background, and fills the middle more than the border
    assert np.median(images) == 0
    assert images.max() == 255
    border = np.concatenate([images[:, :2].ravel(), images[:, -2:].ravel()])
    assert border.mean() < 1 < images[:, 10:18, 10:18].mean()
    # MNIST's digits are centred by mass in the 28 x 28 frame
    ys, xs = np.mgrid[:28, :28]
    mass = images.sum(axis=(1, 2))
    cy = (images * ys).sum(axis=(1, 2)) / mass
    cx = (images * xs).sum(axis=(1, 2)) / mass
    assert abs(np.median(cy) - 13.5) < 1 and abs(np.median(cx) - 13.5) < 1


def test_labels_belong_to_the_images(digits):
    # a nearest-class-mean classifier, fitted on train, beats chance (10 %) by far on test
    x = digits.train_images.reshape(len(digits.train_images), -1).astype(np.float64)
    means = np.stack([x[digits.train_labels == d].mean(axis=0) for d in range(10)])
    t = digits.test_images.reshape(len(digits.test_images), -1).astype(np.float64)
    guess = ((t[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert (guess == digits.test_labels).mean() > 0.7
