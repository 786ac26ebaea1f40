"""Training for the "Learned kernels" page: bounded in time, cached for every session.

A training run draws its progress as it goes, which ``st.cache_data`` cannot replay, so
finished runs are kept in one small shared LRU store instead (``st.cache_resource``): a
student who picks a task someone has already trained gets that run at once. Runs still in
progress are not shared: students who start the same task together each train it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import streamlit as st

from sepconv_core import tinynet
from sepconv_core.learn import fit_conv2d, fit_separable
from sepconv_core.learned_kernels import load_learned_kernels
from sepconv_core.tasks import make_task
from ui.state import ASSETS

MAX_RUNS = 32
TIME_BUDGET = 8.0  # seconds per model, so a shared server stays responsive


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: OrderedDict[tuple, dict] = OrderedDict()

    def get(self, key: tuple) -> dict | None:
        with self.lock:
            if key in self.runs:
                self.runs.move_to_end(key)
                return self.runs[key]
        return None

    def put(self, key: tuple, value: dict) -> None:
        with self.lock:
            self.runs[key] = value
            self.runs.move_to_end(key)
            while len(self.runs) > MAX_RUNS:
                self.runs.popitem(last=False)


@st.cache_resource
def _store() -> _Store:
    return _Store()


@st.cache_resource
def shipped_kernels() -> dict:
    """The learned kernels in assets/learned_kernels.npz, then the tiny MobileNet's (its first
    layer's and a block's depthwise kernels, assets/tinynet.npz), loaded once for all sessions."""
    return {**load_learned_kernels(ASSETS / "learned_kernels.npz"), **tinynet.learned_kernels()}


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def task_target(image_key: str, side: int, task: str, _image: np.ndarray) -> np.ndarray:
    """The target image of ``task`` (keyed by the image's key and size, not its bytes)."""
    return make_task(task, _image)[0]


def cached_run(key: tuple) -> dict | None:
    return _store().get(key)


def train(
    key: tuple, image: np.ndarray, target: np.ndarray, kernel_size: int, steps: int, on_step=None
):
    """Fit a separable layer and a normal convolution mapping ``image`` to ``target``; store them.

    ``on_step(model, step, loss)`` is called as training goes, for progress and the loss curve.
    """

    def progress(model):
        def callback(step, loss, params):
            if on_step is not None:
                on_step(model, step, loss)

        return callback

    sep = fit_separable(
        image,
        target,
        kernel_size=kernel_size,
        steps=steps,
        callback=progress("separable"),
        time_budget=TIME_BUDGET,
    )
    full = fit_conv2d(
        image,
        target,
        kernel_size=kernel_size,
        steps=steps,
        callback=progress("normal"),
        time_budget=TIME_BUDGET,
    )
    run = {"target": target, "separable": sep, "normal": full}
    _store().put(key, run)
    return run
