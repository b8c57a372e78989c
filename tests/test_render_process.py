"""The render process: figures and PDF made in a second process give the same bytes as in this one,
its failures surface with their cause, and a run that stops early leaves no process behind."""

from __future__ import annotations

import pytest

from trialkit.report.worker import RenderProcess, render

FOREST = {"kind": "forest", "xlabel": "change",
          "rows": [{"label": "Overall", "overall": True, "estimate": -1.0, "lower": -1.3, "upper": -0.7}]}
JOB = {"html": "<p>Table 14.2.1</p><img class='figure' src='trialkit-figure:0'>", "specs": [FOREST], "folders": []}


@pytest.fixture
def process(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1")
    started = RenderProcess.start()
    assert started is not None
    yield started
    started.close()


def test_same_bytes_in_the_render_process_and_in_this_one(process):
    there = process.run(JOB)
    here = render(JOB)
    assert there["pdf"] == here["pdf"] and there["pdf"].startswith(b"%PDF")
    assert there["svgs"] == here["svgs"] and there["svgs"][0].startswith("<svg")
    assert there["served"] == ["trialkit-figure:0"] and there["refused"] == []


def test_a_failure_in_the_render_process_names_its_cause(process):
    with pytest.raises(RuntimeError, match="rendering failed in the render process:(.|\n)*KeyError: 'no-such-kind'"):
        process.run({**JOB, "specs": [{"kind": "no-such-kind"}]})


def test_closing_an_unused_render_process_stops_it(process):
    process.close()
    assert process._proc.poll() is not None


def test_not_started_when_switched_off(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "0")
    assert RenderProcess.start() is None
