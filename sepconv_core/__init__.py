"""sepconv_core: the numerical engine of the Separable Convolution Explorer.

numpy only (Pillow for image decoding); no Streamlit. One concept per module:

- ``conv``             convolutions: standard, depthwise, pointwise, separable, 2-D passes
- ``spatial``          SVD of a 2-D kernel: rank, column × row, best rank-1 approximation
- ``kernels``          named kernels built from their 1-D factors, and a registry for the UI
- ``parse``            kernel text -> array, with sentences for every mistake
- ``cost``             multiplications and weights; MobileNet v1 layer by layer
- ``window``           inside one output pixel: patch, kernel, products and sum
- ``image``            safe decoding of uploads, resizing, grayscale
- ``learn``            gradient descent for separable and normal layers
- ``tasks``            training targets made from an image (what a layer should learn)
- ``learned_kernels``  a set of trained layers saved to disk, loaded by name
- ``display``          mosaics and colour ranges for showing many channels
- ``export``           arrays as .npy and CSV files to download
- ``codegen``          the same layer as PyTorch and Keras code
- ``quiz``             a student's typed answer, read and compared with the right one
- ``timing``           wall-clock time of a computation
- ``tinynet``          a tiny MobileNet and its normal twin, trained in numpy on MNIST digits
- ``handwriting``      a photo of a handwritten digit made MNIST-like (28 × 28, centred)

Private helpers: ``_padding`` (TensorFlow's padding rule, for every module) and ``_checks``
(argument checks).
"""

from . import cost, kernels
from .conv import (
    conv2d,
    correlate2d,
    correlate2d_separable,
    depthwise_conv2d,
    equivalent_kernel,
    flip_kernel,
    pointwise_conv2d,
    separable_conv2d,
)
from .image import ImageLoadError, load_image
from .parse import KernelParseError, parse_kernel
from .spatial import SpatialFactorization, factor_spatial

__all__ = [
    "ImageLoadError",
    "KernelParseError",
    "SpatialFactorization",
    "conv2d",
    "correlate2d",
    "correlate2d_separable",
    "cost",
    "depthwise_conv2d",
    "equivalent_kernel",
    "factor_spatial",
    "flip_kernel",
    "kernels",
    "load_image",
    "parse_kernel",
    "pointwise_conv2d",
    "separable_conv2d",
]
