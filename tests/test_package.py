"""The public names that tools outside the app rely on exist at the package root."""

from pathlib import Path

import numpy as np

import sepconv_core as sc


def test_root_exports_work_together():
    """The README example: the classic shapes and counts through the root names only."""
    rng = np.random.default_rng(0)
    image = rng.random((12, 12, 3), dtype=np.float32)
    d = rng.random((5, 5, 3, 1), dtype=np.float32)
    p = rng.random((3, 256), dtype=np.float32)
    out = sc.separable_conv2d(image, d, p)
    assert out.shape == (8, 8, 256) and out.dtype == np.float32
    same = sc.conv2d(image, sc.equivalent_kernel(d, p))
    assert np.max(np.abs(out - same)) < 1e-4
    assert sc.cost.depthwise_separable_cost(12, 12, 3, 256, 5).multiplications == 53_952
    assert sc.factor_spatial(sc.parse_kernel("-1 0 1; -2 0 2; -1 0 1")).column.ravel().tolist() == [
        1.0,
        2.0,
        1.0,
    ]
    assert issubclass(sc.ImageLoadError, ValueError) and issubclass(sc.KernelParseError, ValueError)


def test_the_package_docstring_lists_every_module():
    """Every module file in sepconv_core/ is named in the package docstring, and nothing else."""
    files = {path.stem for path in Path(sc.__file__).parent.glob("*.py")} - {"__init__"}
    listed = {line.split("``")[1] for line in sc.__doc__.splitlines() if line.startswith("- ``")}
    private = {name for name in files if name.startswith("_")}
    assert listed == files - private
    for name in private:
        assert f"``{name}``" in sc.__doc__
