"""Page runs take turns: at most ``SLOTS`` of them compute at once, the others wait.

A Streamlit server runs every session's script in its own thread, but Python runs one thread
at a time (the GIL). When thirty students click within the same second, thirty reruns share
the interpreter and all of them finish late; meanwhile each one holds its temporaries (arrays,
figures, encoded PNGs and JSON), so memory peaks at thirty reruns' worth. Taking turns costs
no throughput (the interpreter was the bottleneck anyway), lets the first reruns finish first,
and bounds the memory in flight to a few reruns.

    with turn():
        ...the page...

Re-entrant within a thread, so a fragment that takes its own turn can also run inside a full
page run that already holds one. A fragment's own rerun (a depthwise step change, a training
page's progress) runs without ``app.py``, so every fragment is made with :func:`fragment`,
which takes the turn itself.

``SEPCONV_SLOTS`` in the environment sets the number of slots: ``deploy/serve.sh`` gives each
of its replicas its share of the cores, so that N replicas together compute one rerun per core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

import streamlit as st

# numpy and zlib work outside the GIL: one slot per core (at least two) for a lone server.
SLOTS = int(os.environ.get("SEPCONV_SLOTS") or max(2, os.cpu_count() or 1))

_slots = threading.BoundedSemaphore(SLOTS)
_held = threading.local()


@contextmanager
def turn() -> Iterator[None]:
    """Wait for a free slot, hold it for the block (once per thread, however nested)."""
    depth = getattr(_held, "depth", 0)
    if depth == 0:
        _slots.acquire()
    _held.depth = depth + 1
    try:
        yield
    finally:
        _held.depth = depth
        if depth == 0:
            _slots.release()


def fragment(func=None, *, run_every=None):
    """``st.fragment`` whose reruns take a turn like whole page runs."""
    if func is None:
        return lambda f: fragment(f, run_every=run_every)

    @wraps(func)
    def in_turn(*args, **kwargs):
        with turn():
            return func(*args, **kwargs)

    return st.fragment(in_turn, run_every=run_every)
