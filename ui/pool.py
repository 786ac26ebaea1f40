"""Long jobs (training) in a small shared pool of worker processes, off the server's interpreter.

A Streamlit server is one Python process: a training loop run inside it holds the interpreter
and every other student's rerun waits. ``run`` hands the job to a bounded
``concurrent.futures.ProcessPoolExecutor`` instead, and returns a ``Run`` the page polls::

    r = pool.run(("train", image_key, task), fit_both, image, target, steps=300)
    r.messages()   # everything fit_both passed to report(...) so far
    r.done()       # finished (result or error), every message received
    r.result()     # the return value, or the worker's exception raised again

* **Shared and deduplicated.** The same ``key`` while a run is in flight, or among the last
  ``MAX_RUNS`` finished ones, gives the same ``Run``: thirty students pressing Train on the same
  thing start one job. A run that failed is replaced by a fresh one on the next ``run``.
* **Bounded.** At most ``MAX_WORKERS`` processes (half the cores, at least one), at most
  ``MAX_IN_FLIGHT`` runs queued or running (beyond that ``run`` raises ``PoolBusy``, which the
  page turns into a sentence), at most ``MAX_RUNS`` finished runs kept (least recently used
  first out).
* **Polite.** Workers run at a lower CPU priority (``nice`` +10) with one BLAS thread, so on a
  busy machine the students' reruns come first and training takes what is left.
* **Spawn-safe.** Workers are started with the ``forkserver`` method (``spawn`` where that does
  not exist), never ``fork``: forking a server with running threads and a threaded BLAS can
  deadlock the child. ``fn`` must therefore be importable: a module-level function, called as
  ``fn(*args, report=report, **kwargs)``; ``report(msg)`` sends a picklable ``msg`` back.

Progress travels on one queue shared by all workers, tagged with the run's id; a daemon thread
in the server sorts it into the runs. This module imports neither numpy nor Streamlit, so a
worker starts light.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

__all__ = ["MAX_IN_FLIGHT", "MAX_RUNS", "MAX_WORKERS", "PoolBusy", "Run", "get", "run", "shutdown"]

MAX_WORKERS = max(1, (os.cpu_count() or 1) // 2)
MAX_IN_FLIGHT = 8
MAX_RUNS = 32
NICE = 10

_END = "__sepconv_pool_end__"  # the last message of every run, sent by the worker itself


def _is_end(msg) -> bool:
    return isinstance(msg, str) and msg == _END


class PoolBusy(RuntimeError):
    """Too many runs are queued or running; try again when one has finished."""


class Run:
    """One job in the pool, shared by every session that asked for the same key."""

    def __init__(self, key: Hashable, run_id: int) -> None:
        self.key = key
        self.id = run_id
        self._messages: list = []
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._future: Future | None = None

    # --- called from the server's side of the pool
    def _post(self, msg) -> None:
        if _is_end(msg):
            self._ended.set()
            return
        with self._lock:
            self._messages.append(msg)

    def _attach(self, future: Future) -> None:
        self._future = future

        def finished(f: Future) -> None:
            # A worker that died (killed, out of memory) never sends _END: do not wait for it.
            if f.cancelled() or isinstance(f.exception(), BrokenProcessPool):
                self._ended.set()

        future.add_done_callback(finished)

    # --- the public side
    def messages(self) -> list:
        """Everything the job passed to ``report`` so far, in order (a new list)."""
        with self._lock:
            return list(self._messages)

    def done(self) -> bool:
        """True once the job has finished (or failed) and all its messages have arrived."""
        return self._future is not None and self._future.done() and self._ended.is_set()

    def failed(self) -> bool:
        """True if the job has finished with an error."""
        f = self._future
        return f is not None and f.done() and (f.cancelled() or f.exception() is not None)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``done()`` or ``timeout`` seconds; return ``done()``."""
        if self._future is None:
            return False
        try:
            self._future.exception(timeout=timeout)
        except TimeoutError:
            return False
        except Exception:  # noqa: BLE001 - cancelled; the result() call will say so
            pass
        self._ended.wait(timeout)
        return self.done()

    def result(self, timeout: float | None = None):
        """The job's return value; raises the job's own exception if it failed."""
        try:
            return self._future.result(timeout=timeout)
        finally:
            if self._future.done():
                self._ended.wait(timeout)  # its last messages are on their way

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        return f"<Run {self.id} {self.key!r} {state}, {len(self._messages)} messages>"


# ----------------------------------------------------------------------------- the worker side

_worker_queue = None  # set in each worker by _init_worker


def _init_worker(queue, nice: int) -> None:
    global _worker_queue
    _worker_queue = queue
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # before numpy is imported in this process
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)


def _call(run_id: int, fn: Callable, args: tuple, kwargs: dict):
    queue = _worker_queue

    def report(msg) -> None:
        queue.put((run_id, msg))

    try:
        return fn(*args, report=report, **kwargs)
    finally:
        queue.put((run_id, _END))


# ----------------------------------------------------------------------------- the server side


class _Pool:
    def __init__(self, workers: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.queue = context.Queue()
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.queue, NICE),
        )
        self.live: dict[int, Run] = {}  # run id -> Run, until its _END arrives
        self.live_lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._drain, name="pool-messages", daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                item = self.queue.get()
            except (EOFError, OSError, ValueError):
                return
            if item is None:
                return
            run_id, msg = item
            with self.live_lock:
                r = self.live.get(run_id)
                if _is_end(msg):
                    self.live.pop(run_id, None)
            if r is not None:
                r._post(msg)

    def submit(self, r: Run, fn, args, kwargs) -> None:
        with self.live_lock:
            self.live[r.id] = r
        try:
            future = self.executor.submit(_call, r.id, fn, args, kwargs)
        except BaseException:
            with self.live_lock:
                self.live.pop(r.id, None)
            raise
        r._attach(future)

    def close(self) -> None:
        self.closed = True
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.queue.put(None)


_lock = threading.Lock()
_pool: _Pool | None = None
_runs: OrderedDict[Hashable, Run] = OrderedDict()
_ids = itertools.count(1)


def _the_pool() -> _Pool:
    global _pool
    if _pool is None or _pool.closed:
        _pool = _Pool(MAX_WORKERS)
    return _pool


def get(key: Hashable) -> Run | None:
    """The run for ``key`` (in flight or recently finished), or None. Starts nothing."""
    with _lock:
        r = _runs.get(key)
        if r is not None:
            _runs.move_to_end(key)
        return r


def run(key: Hashable, fn: Callable, /, *args, **kwargs) -> Run:
    """Start ``fn(*args, report=report, **kwargs)`` in the pool, or join the run under ``key``.

    Raises ``PoolBusy`` when ``MAX_IN_FLIGHT`` runs are already queued or running.
    """
    global _pool
    with _lock:
        existing = _runs.get(key)
        if existing is not None and not existing.failed():
            _runs.move_to_end(key)
            return existing
        in_flight = sum(not r.done() for r in _runs.values())
        if in_flight >= MAX_IN_FLIGHT:
            raise PoolBusy(
                f"{in_flight} training runs are already queued or running on this server; "
                "try again in a few seconds."
            )
        r = Run(key, next(_ids))
        try:
            _the_pool().submit(r, fn, args, kwargs)
        except (BrokenProcessPool, RuntimeError):
            # A worker died (out of memory, killed) and broke the pool: start a new one.
            broken, _pool = _pool, None
            if broken is not None:
                broken.closed = True
                threading.Thread(target=broken.close, daemon=True).start()
            _the_pool().submit(r, fn, args, kwargs)
        _runs[key] = r
        _runs.move_to_end(key)
        # Forget the least recently used finished runs; runs in flight are never dropped.
        for old_key in [k for k, v in _runs.items() if v.done()]:
            if len(_runs) <= MAX_RUNS:
                break
            del _runs[old_key]
        return r


def shutdown() -> None:
    """Stop the workers and forget every run (tests; the server never needs it)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
        _runs.clear()
    if pool is not None:
        pool.close()
