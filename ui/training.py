"""Training for the "Learned kernels" page, in a worker process, shared by every session.

Train starts ``sepconv_core.learn.fit_both`` in the shared pool (``ui/pool.py``), so the loop
never holds the server's interpreter and the other students' pages stay quick. The page then
follows the run: ``follow`` is a fragment that redraws only the progress bar and the loss
curve twice a second from the run's messages, and reruns the page once the run is done. The
same settings on the same image are one run for the whole server: a classroom where thirty
students pick the same task trains it once, and a student who arrives while it is training
watches it finish.
"""

from __future__ import annotations

import contextlib

import numpy as np
import streamlit as st

from sepconv_core import tinynet
from sepconv_core.learn import fit_both
from sepconv_core.learned_kernels import load_learned_kernels
from sepconv_core.tasks import make_task
from ui import pool
from ui.figures import chart, loss_figure
from ui.sidebar import ASSETS
from ui.turns import fragment

TIME_BUDGET = 8.0  # seconds per model, so one run cannot keep a worker for long
POLL_SECONDS = 0.5
PoolBusy = pool.PoolBusy


@st.cache_resource
def shipped_kernels() -> dict:
    """The learned kernels in assets/learned_kernels.npz, then the tiny MobileNet's (its first
    layer's and a block's depthwise kernels, assets/tinynet.npz), loaded once for all sessions."""
    return {**load_learned_kernels(ASSETS / "learned_kernels.npz"), **tinynet.learned_kernels()}


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def task_target(image_key: str, side: int, task: str, _image: np.ndarray) -> np.ndarray:
    """The target image of ``task`` (keyed by the image's key and size, not its bytes)."""
    return make_task(task, _image)[0]


def _pool_key(key: tuple) -> tuple:
    return ("learned", *key)


def current(key: tuple) -> pool.Run | None:
    """The run for these settings, in flight or recently finished, or None."""
    return pool.get(_pool_key(key))


@st.cache_resource(show_spinner=False)
def _start_worker() -> bool:
    """Start the pool's worker (and its imports) once, when the page is first shown, so the
    first Train of a lesson does not wait a second for a process to start."""
    tiny = np.zeros((4, 4, 1), np.float32)
    with contextlib.suppress(pool.PoolBusy):
        pool.run(("learned", "warm-up"), fit_both, tiny, tiny, kernel_size=1, steps=1)
    return True


def cached_run(key: tuple) -> dict | None:
    """The finished run for these settings: ``{"separable": ..., "normal": ...}``, or None."""
    _start_worker()
    r = current(key)
    if r is None or not r.done() or r.failed():
        return None
    return r.result()


def train(key: tuple, image: np.ndarray, target: np.ndarray, kernel_size: int, steps: int):
    """Start (or join) the run for these settings. Raises ``PoolBusy`` if the pool is full."""
    return pool.run(
        _pool_key(key),
        fit_both,
        image,
        target,
        kernel_size=kernel_size,
        steps=steps,
        time_budget=TIME_BUDGET,
    )


def job_error(r: pool.Run) -> str:
    """One sentence for the error a failed run raised."""
    try:
        r.result()
    except Exception as err:  # noqa: BLE001 - shown to the student as a sentence
        text = str(err) or type(err).__name__
        return text if text.endswith(".") else text + "."
    return ""


def loss_curves(messages: list) -> dict[str, list[float]]:
    """The loss of each model at each step so far, from the run's ``(model, step, loss)``."""
    curves: dict[str, list[float]] = {"separable": [], "normal": []}
    for model, _step, loss in messages:
        curves[model].append(loss)
    return curves


@fragment(run_every=POLL_SECONDS)
def follow(key: tuple, steps: int) -> None:
    """Progress and the loss curve of the run for ``key``, redrawn until it is done."""
    r = current(key)
    if r is None or r.done():
        st.rerun()  # the whole page: it shows the result, or the error, or Train again
        return
    curves = loss_curves(r.messages())
    if not curves["separable"]:
        st.progress(0.0, text="Waiting for a free worker…")
        return
    model = "normal" if curves["normal"] else "separable"
    done = len(curves[model]) / steps / 2 + (0.5 if model == "normal" else 0.0)
    step, loss = len(curves[model]), curves[model][-1]
    st.progress(
        min(1.0, done),
        text=f"Training the {model} layer: step {step} of {steps}, loss {loss:.3g}",
    )
    chart(st, loss_figure(curves), key="ln_live", alt="Loss while training, both layers")
