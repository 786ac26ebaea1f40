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


def _fragment_script():
    import streamlit as st

    from ui import turns

    @turns.fragment
    def body():
        st.button("again", key="again")  # a click reruns only this fragment
        st.write(f"depth {turns._held.depth}")

    body()


def test_a_fragment_takes_a_turn_for_its_own_reruns():
    """A function made with turns.fragment holds a slot while it runs, in the page run and in
    its own rerun (a click inside it, without app.py's turn around it)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_fragment_script).run()
    assert [m.value for m in at.markdown] == ["depth 1"]
    at.button(key="again").click().run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["depth 1"]
    assert turns._held.depth == 0
