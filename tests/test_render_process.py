"""The two-process executor: the same bytes as the in-process one, its failures surface with their cause,
and a run that stops early leaves no process behind."""

from __future__ import annotations

import pytest

from trialkit.report.processes import TwoProcessExecutor, start_executor
from trialkit.report.render import InProcessExecutor


@pytest.fixture(scope="module")
def job():
    """The render job of the example study."""
    from tests.conftest import EXAMPLE
    from trialkit import manifest
    from trialkit.derivations import derive
    from trialkit.pipeline import check_study
    from trialkit.report.build import build_report
    from trialkit.report.render import RenderJob
    from trialkit.results import build_ard

    config, checked = check_study(EXAMPLE)
    ard = build_ard(derive(checked, config), checked.subjects, config)
    return RenderJob(build_report(ard, checked.issues_frame(), config, manifest.build(config)))


@pytest.fixture
def executor(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1")
    started = start_executor()
    assert isinstance(started, TwoProcessExecutor)
    yield started
    started.close()


def test_same_bytes_in_the_render_process_and_in_this_one(executor, job):
    there = executor.render(job)
    here = InProcessExecutor().render(job)
    assert there.files.keys() == here.files.keys()
    for name in here.files:
        assert there.files[name] == here.files[name], name
    assert there.files["report.pdf"].startswith(b"%PDF") and len(there.files) == 2 + len(job.report.tables)
    assert there.fetched == here.fetched and there.refused == here.refused == ()
    assert len(there.fetched) == sum(1 for f in job.report.figures if f.plot is not None)


def test_a_failure_in_the_render_process_names_its_cause(executor, job):
    from dataclasses import replace

    from trialkit.report.spec import Figure

    broken = replace(job.report.measures[0], figures=(Figure("Figure 1", "x", "x", "not a plot"),))
    with pytest.raises(RuntimeError, match="rendering failed in the render process:(.|\n)*KeyError: <class 'str'>"):
        executor.render(replace(job, report=replace(job.report, measures=(broken,))))


def test_closing_an_unused_render_process_stops_it(executor):
    executor.close()
    assert executor._process.poll() is not None


def test_not_started_when_switched_off(monkeypatch):
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "0")
    assert isinstance(start_executor(), InProcessExecutor)


def test_the_process_imports_this_trialkit_whatever_the_current_folder(tmp_path, monkeypatch, job):
    """`python -m` puts the working folder first on the path: a folder `trialkit` where the user runs the
    command must not be what the render process imports."""
    (tmp_path / "trialkit").mkdir()
    (tmp_path / "trialkit" / "__init__.py").write_text("raise ImportError('not the trialkit being run')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1")
    started = start_executor()
    try:
        assert started.render(job).files["report.pdf"].startswith(b"%PDF")
    finally:
        started.close()
