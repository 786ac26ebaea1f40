"""ui/turns.py: at most SLOTS page runs at once; nested turns and errors do not leak slots."""

from __future__ import annotations

import threading
import time

import pytest

from ui import turns


def test_at_most_slots_threads_inside_at_once():
    inside, most, lock = 0, 0, threading.Lock()

    def work():
        nonlocal inside, most
        with turns.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4 * turns.SLOTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == turns.SLOTS  # the limit was reached and never passed


def test_nested_turns_in_one_thread_take_one_slot():
    done = []

    def nested():
        with turns.turn(), turns.turn(), turns.turn():
            done.append(True)

    threads = [threading.Thread(target=nested) for _ in range(turns.SLOTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(done) == turns.SLOTS  # no thread deadlocked on its own slot


def test_an_error_gives_the_slot_back():
    for _ in range(turns.SLOTS + 1):
        with pytest.raises(ValueError), turns.turn():
            raise ValueError("a page that failed")
    acquired = [turns._slots.acquire(timeout=1) for _ in range(turns.SLOTS)]
    assert all(acquired)
    for _ in acquired:
        turns._slots.release()
