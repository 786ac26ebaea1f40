"""Arrays as files a student can download: NumPy's .npy and CSV.

CSV of a 2-D array is the grid itself; of a 3-D or 4-D array it is "long": one line per value,
with its indices first (row, column, channel, ...), so any spreadsheet can filter it.
"""

from __future__ import annotations

import io

import numpy as np

_INDEX_NAMES = {
    3: ("row", "column", "channel"),
    4: ("row", "column", "in_channel", "out_channel"),
}


def to_npy(array: np.ndarray) -> bytes:
    """The bytes of a .npy file holding ``array`` (read back with ``np.load``)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def to_csv(array: np.ndarray, *, digits: int = 6) -> str:
    """CSV text: the grid for 1-D/2-D arrays, one value per line with indices for 3-D/4-D."""
    a = np.asarray(array, dtype=np.float64)
    fmt = f"%.{digits}g"
    if a.ndim in (1, 2):
        buf = io.StringIO()
        np.savetxt(buf, np.atleast_2d(a), delimiter=",", fmt=fmt)
        return buf.getvalue()
    if a.ndim not in _INDEX_NAMES:
        raise ValueError(f"array must have 1 to 4 dimensions, got {a.ndim}.")
    idx = np.indices(a.shape).reshape(a.ndim, -1).T
    buf = io.StringIO()
    buf.write(",".join((*_INDEX_NAMES[a.ndim], "value")) + "\n")
    np.savetxt(
        buf,
        np.column_stack([idx, a.reshape(-1)]),
        delimiter=",",
        fmt=["%d"] * a.ndim + [fmt],
    )
    return buf.getvalue()
