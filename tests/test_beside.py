"""core.runtime.beside: work whose only effect is on files, done by a forked child."""

from __future__ import annotations

import os
import threading

import pytest

from qsgen.core.runtime import beside, wait_for


def test_the_work_is_done_by_another_process_and_waited_for(tmp_path):
    if threading.active_count() > 1:
        pytest.skip("other threads of this test process are running: the work is done here")
    mark = tmp_path / "mark"
    pid = beside(lambda: mark.write_text(str(os.getpid()), "utf-8"))
    assert pid is not None
    wait_for([pid])
    assert mark.read_text("utf-8") == str(pid) != str(os.getpid())


def test_a_failing_child_changes_nothing_here(tmp_path):
    if threading.active_count() > 1:
        pytest.skip("other threads of this test process are running: the work is done here")

    def fail():
        raise RuntimeError("x")

    pid = beside(fail)
    wait_for([pid])  # (no exception here)


def test_with_other_threads_running_the_work_is_done_here(tmp_path):
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        mark = tmp_path / "mark"
        assert beside(lambda: mark.write_text(str(os.getpid()), "utf-8")) is None
        assert mark.read_text("utf-8") == str(os.getpid())
    finally:
        stop.set()
        t.join()
