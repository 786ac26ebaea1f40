"""ui/pool.py: jobs in worker processes, shared by key, with their messages and errors."""

from __future__ import annotations

import os
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from ui import pool

# Jobs must be importable by the workers: module-level functions only.


def _count(n, *, report, log=None):
    if log is not None:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
    for i in range(n):
        report({"step": i})
    return os.getpid()


def _gated(gate, *, report, log=None):
    """Report once, then wait until the file ``gate`` exists."""
    if log is not None:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
    report("started")
    deadline = time.monotonic() + 60
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError("the test never opened the gate")
        time.sleep(0.01)
    report("finishing")
    return "through"


def _fail(*, report):
    report("about to fail")
    raise ValueError("a bad kernel size, said the worker")


def _die(*, report):
    os._exit(3)


def _until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def fresh_pool():
    pool.shutdown()
    yield
    pool.shutdown()


def test_runs_in_another_process_and_returns_the_result():
    r = pool.run(("pid",), _count, 3)
    assert r.result(timeout=60) != os.getpid()
    assert r.done()
    assert r.messages() == [{"step": 0}, {"step": 1}, {"step": 2}]


def test_all_messages_arrive_in_order_before_done():
    r = pool.run(("many",), _count, 2000)
    _until(r.done)
    assert r.messages() == [{"step": i} for i in range(2000)]


def test_messages_stream_while_the_job_runs(tmp_path):
    gate = tmp_path / "gate"
    r = pool.run(("gated",), _gated, str(gate))
    _until(lambda: r.messages() == ["started"])
    assert not r.done()  # the first message came while the job was still running
    gate.touch()
    assert r.result(timeout=60) == "through"
    assert r.messages() == ["started", "finishing"]


def test_same_key_shares_one_run(tmp_path):
    gate, log = tmp_path / "gate", tmp_path / "log"
    first = pool.run(("shared",), _gated, str(gate), log=str(log))
    second = pool.run(("shared",), _gated, str(gate), log=str(log))  # while in flight
    assert second is first
    gate.touch()
    first.result(timeout=60)
    third = pool.run(("shared",), _gated, str(gate), log=str(log))  # recently finished
    assert third is first
    assert pool.get(("shared",)) is first
    assert len(log.read_text().split()) == 1  # the job ran once
    other = pool.run(("other",), _gated, str(gate), log=str(log))
    assert other is not first
    other.result(timeout=60)
    assert len(log.read_text().split()) == 2


def test_get_starts_nothing():
    assert pool.get(("never",)) is None


def test_worker_errors_are_raised_again_and_a_failed_run_is_retried(tmp_path):
    r = pool.run(("bad",), _fail)
    with pytest.raises(ValueError, match="said the worker"):
        r.result(timeout=60)
    assert r.done() and r.failed()
    assert r.messages() == ["about to fail"]
    again = pool.run(("bad",), _fail)
    assert again is not r
    with pytest.raises(ValueError):
        again.result(timeout=60)


def test_a_dead_worker_fails_its_run_and_the_pool_recovers():
    r = pool.run(("die",), _die)
    with pytest.raises(BrokenProcessPool):
        r.result(timeout=60)
    assert r.wait(timeout=10) and r.failed()
    after = pool.run(("after",), _count, 2)
    assert after.result(timeout=60) != os.getpid()


def test_in_flight_runs_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "MAX_IN_FLIGHT", 2)
    gate = tmp_path / "gate"
    a = pool.run(("a",), _gated, str(gate))
    b = pool.run(("b",), _gated, str(gate))
    with pytest.raises(pool.PoolBusy):
        pool.run(("c",), _gated, str(gate))
    assert pool.run(("a",), _gated, str(gate)) is a  # joining a run is always allowed
    gate.touch()
    a.result(timeout=60), b.result(timeout=60)
    assert pool.run(("c",), _gated, str(gate)).result(timeout=60) == "through"


def test_processes_are_bounded(tmp_path):
    log = tmp_path / "log"
    runs = [pool.run(("n", i), _count, 1, log=str(log)) for i in range(pool.MAX_IN_FLIGHT)]
    for r in runs:
        r.result(timeout=60)
    pids = set(log.read_text().split())
    assert 1 <= len(pids) <= pool.MAX_WORKERS


def test_finished_runs_are_kept_in_a_bounded_lru(monkeypatch):
    monkeypatch.setattr(pool, "MAX_RUNS", 3)
    for i in range(3):
        pool.run(("lru", i), _count, 1).result(timeout=60)
    pool.get(("lru", 0))  # used recently: stays
    pool.run(("lru", 3), _count, 1).result(timeout=60)
    pool.run(("lru", 4), _count, 1).result(timeout=60)
    kept = [i for i in range(5) if pool.get(("lru", i)) is not None]
    assert kept == [0, 3, 4]
