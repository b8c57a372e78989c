"""The render processes: figures and PDF made in two other processes give the same bytes as in this one,
their failures surface with their cause, and a run that stops early leaves no process behind."""

from __future__ import annotations

import time

import pytest

from trialkit.report.figures import size
from trialkit.report.worker import WARM_UP_TABLE, Renderers, RenderProcess

FOREST = {"kind": "forest", "xlabel": "change",
          "rows": [{"label": "Overall", "overall": True, "estimate": -1.0, "lower": -1.3, "upper": -0.7}]}
SPECS = [None, FOREST]  # figure 0 is not drawn (say, too many subjects), figure 1 is
JOB = {"html": "<p>Table 14.2.1</p><img class='figure' src='trialkit-figure:1'>", "folders": [],
       "figure_sizes": [None, size(FOREST)]}


@pytest.fixture
def renderers(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1")
    started = Renderers.start()
    assert started.figures is not None and started.pdf is not None
    yield started
    started.close()


def test_same_bytes_in_the_render_processes_and_in_this_one(renderers):
    there, rtf, svgs = renderers.render(JOB, SPECS, [WARM_UP_TABLE], lambda drawn: drawn)
    here, here_rtf, here_svgs = Renderers.none().render(JOB, SPECS, [WARM_UP_TABLE], lambda drawn: drawn)
    assert rtf == here_rtf and list(rtf) == ["tables/t_0.rtf"] and b"{\\rtf1" in rtf["tables/t_0.rtf"]
    assert there["pdf"] == here["pdf"] and there["pdf"].startswith(b"%PDF")
    assert svgs == here_svgs and svgs[0] == "" and svgs[1].startswith("<svg")
    assert there["served"] == ["trialkit-figure:1"] and there["refused"] == []
    assert there["early_layout"] and here["early_layout"]  # laid out before the figure was drawn


def test_a_failure_in_a_render_process_names_its_cause(renderers):
    with pytest.raises(RuntimeError, match="rendering failed in the figures render process:(.|\n)*KeyError: 'no-such-kind'"):
        renderers.render(JOB, [{"kind": "no-such-kind"}], [], lambda drawn: None)
    with Renderers.start() as fresh, pytest.raises(
            RuntimeError, match="rendering failed in the pdf render process:(.|\n)*KeyError: 'folders'"):
        fresh.render({"html": "<p>x</p>"}, [], [], lambda drawn: None)


def test_closing_unused_render_processes_stops_them_at_once(renderers):
    start = time.perf_counter()
    renderers.close()
    assert time.perf_counter() - start < 2  # killed, not waited for while they warm up
    assert renderers.figures._proc.poll() is not None and renderers.pdf._proc.poll() is not None


def test_not_started_when_switched_off(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "0")
    assert RenderProcess.start("pdf") is None and RenderProcess.start("figures") is None


def test_the_processes_import_this_trialkit_whatever_the_current_folder(tmp_path, monkeypatch):
    """`python -m` puts the working folder first on the path: a folder `trialkit` where the user runs the
    command must not be what the render processes import."""
    (tmp_path / "trialkit").mkdir()
    (tmp_path / "trialkit" / "__init__.py").write_text("raise ImportError('not the trialkit being run')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1")
    with Renderers.start() as started:
        there, _, _ = started.render(JOB, SPECS, [], lambda drawn: None)
    assert there["pdf"].startswith(b"%PDF") and there["early_layout"]
