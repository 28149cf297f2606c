from __future__ import annotations

import io

from toolkit.notebook.progress import Progress, Stages


def test_progress_bars_show_only_for_long_work_and_can_be_turned_off(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    with Stages("saving 10 accounts", ["checking", "writing"], rows=10, enabled=True) as small:
        assert small.bar is None
    with Stages("saving 1,000,000 accounts", ["checking", "writing"], rows=1_000_000, enabled=False) as off:
        assert off.bar is None
    with Stages("saving 1,000,000 accounts", ["checking", "writing"], rows=1_000_000, enabled=True) as big:
        big.done("checking")
        assert big.bar.n == 1
    assert "saving 1,000,000 accounts" in out.getvalue()
    with Progress("reading accounts", enabled=True) as short:
        short(3)
        short(40_000)
        assert short.bar is None  # a short read shows no bar at all
    with Progress("reading accounts", enabled=True) as read:
        read(30_000)
        assert read.bar is None
        read(30_000)
        assert read.bar.n == 60_000  # counted from the start once shown
        read(50_000)
        assert read.bar.n == 110_000
    with Progress("reading accounts", enabled=False) as quiet:
        quiet(50_000)
        assert quiet.bar is None


def test_a_text_bar_is_cleared_when_done_and_a_notebook_bar_ends_empty(monkeypatch):
    from toolkit.notebook.progress import Look

    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    with Progress("reading transaction", enabled=True) as read:
        read(60_000)
        read(50_000)
    assert "reading transaction" in out.getvalue()
    assert out.getvalue().rstrip(" ").endswith("\r")  # the line is blanked: no bar text is left on screen
    assert repr(Look()) == "" and Look()._repr_html_() == ""  # what a notebook bar is updated to when done
    shown = Look("reading <transaction>: 60.0k rows", 0.5)._repr_html_()
    assert 'value="0.500"' in shown and "&lt;transaction&gt;" in shown
