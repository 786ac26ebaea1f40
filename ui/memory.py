"""Give freed memory back: glibc's malloc, tuned for a server with a thread per session.

Two glibc defaults keep a busy Streamlit server's memory high long after the work is done:

* **Large blocks stop going back.** A block above ``M_MMAP_THRESHOLD`` (128 KB) gets its own
  mapping and is returned to the system when freed, but each such free raises the threshold up
  to 32 MB. After the first few freed images, every array, figure and PNG of a few megabytes
  comes from the heap instead, and freed heap memory in the middle stays resident.
* **Many arenas.** Each thread that meets a busy lock gets a new arena, up to 8 per core, and
  each keeps its own freed memory.

``tune_malloc`` fixes the threshold at 128 KB (which also stops the raising), trims the heap
top beyond 128 KB, and caps the arenas at 2, through ``mallopt`` in the C library. It is what
``MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_ARENA_MAX=2`` would do,
but also for a plain ``streamlit run app.py``. In issue 11's class (bench/LOAD.md) the peak
per student fell by about half. Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
THRESHOLD = 128 * 1024
ARENAS = 2

_done: bool | None = None


def tune_malloc() -> bool:
    """Tune glibc's malloc once per process; True if it applied (Linux with glibc)."""
    global _done
    if _done is None:
        _done = _tune()
    return _done


def _tune() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl's mallopt does nothing
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    results = [
        mallopt(M_MMAP_THRESHOLD, THRESHOLD),
        mallopt(M_TRIM_THRESHOLD, THRESHOLD),
        mallopt(M_ARENA_MAX, ARENAS),
    ]
    return all(r == 1 for r in results)
