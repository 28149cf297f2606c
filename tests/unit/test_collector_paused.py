"""The collector pause of large reads: overlapping reads share it, and it ends as it began."""

from __future__ import annotations

import gc

from toolkit.frames.copy_out import collector_paused


def test_overlapping_pauses_switch_the_collector_on_only_when_the_last_ends():
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other read is still receiving
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_an_error_inside_still_switches_it_back_on():
    try:
        with collector_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
