"""core.background: calls made in turn on a thread of their own, their results and first error given by wait."""

from __future__ import annotations

import threading

import pytest

from qsgen.core.background import Background


def test_calls_are_made_in_order_on_another_thread():
    seen, later = [], Background()
    for i in range(50):
        later.run(lambda i=i: seen.append((i, threading.get_ident())) or i * i)
    assert len(later) == 50
    assert later.wait() == [i * i for i in range(50)]
    assert [i for i, _t in seen] == list(range(50))
    assert {t for _i, t in seen} != {threading.get_ident()} and len({t for _i, t in seen}) == 1
    assert later.wait() == [] and len(later) == 0


def test_the_first_error_is_raised_by_wait_and_the_later_calls_are_still_made():
    seen, later = [], Background()

    def fail(what):
        seen.append(what)
        raise OSError(28, "No space left on device", what)

    later.run(seen.append, "a")
    later.run(fail, "b")
    later.run(fail, "c")
    later.run(seen.append, "d")
    with pytest.raises(OSError) as e:
        later.wait()
    assert e.value.filename == "b" and seen == ["a", "b", "c", "d"]
    later.run(lambda: "again")  # (usable again: a new thread)
    assert later.wait() == ["again"]


def test_a_result_is_had_as_soon_as_its_call_is_made():
    later, gate = Background(), threading.Event()
    first = later.later(lambda: "first")
    second = later.later(gate.wait, 10)
    failed = later.later(lambda: 1 / 0)
    assert first() == "first"  # (the second still waits for the gate)
    gate.set()
    assert second() is True
    with pytest.raises(ZeroDivisionError):
        failed()
    with pytest.raises(ZeroDivisionError):
        later.wait()


def test_a_thread_that_cannot_start_hands_nothing_over(monkeypatch):
    bg = Background()
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (_ for _ in ()).throw(RuntimeError("can't start new thread")))
    with pytest.raises(RuntimeError):
        bg.run(len, "abc")
    assert bg.wait() == []  # (nothing was handed over: nothing to wait for)
    monkeypatch.setattr(threading.Thread, "start", start)
    bg.run(len, "abc")
    assert bg.wait() == [3]
