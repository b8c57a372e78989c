"""Two runs of the same inputs, configuration and software give the same bytes, whatever the process,
hash seed, working directory or output path."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from tests.conftest import EXAMPLE


def _run(out, cwd, seed):
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    subprocess.run([sys.executable, "-m", "trialkit", "run", str(EXAMPLE), "--out", str(out)],
                   cwd=cwd, env=env, check=True, capture_output=True)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


def test_outputs_are_byte_identical_across_processes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _run(tmp_path / "a" / "out", tmp_path / "a", 1)
    second = _run(tmp_path / "b" / "elsewhere" / "results", tmp_path / "b", 4242)
    assert set(first) >= {"report.pdf", "report.html", "ard.csv", "data_issues.csv", "manifest.json"}
    assert first == second


import shutil

import pytest

from tests.helpers import run_cli


@pytest.fixture
def recorded_run(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # the recorded run dates from the data cut-off
    study = tmp_path / "study"
    shutil.copytree(EXAMPLE, study)
    out = tmp_path / "out"
    assert run_cli(capsys, "run", str(study), "--out", str(out)).code == 0
    return study, out


def test_verify_passes_on_an_untouched_run(recorded_run, capsys):
    _, out = recorded_run
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 0 and result.out.startswith("verified: all")


def test_verify_names_a_changed_input_file(recorded_run, capsys):
    study, out = recorded_run
    data = study / "data" / "cgi_visits.csv"
    raw = bytearray(data.read_bytes())
    raw[-2] = ord("2") if raw[-2] != ord("2") else ord("3")  # one byte: the last value of the file
    data.write_bytes(bytes(raw))
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: input file data/cgi_visits.csv changed since the run" in result.out


def test_verify_names_a_changed_configuration_key(recorded_run, capsys):
    study, out = recorded_run
    text = (study / "study.yaml").read_text().replace("responder_max: 2", "responder_max: 3")
    (study / "study.yaml").write_text(text)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: configuration changed: measures.CGI-I.responder_max" in result.out
    assert "cause: input file study.yaml changed since the run" in result.out


def test_verify_names_an_edited_output(recorded_run, capsys):
    _, out = recorded_run
    (out / "ard.csv").write_text((out / "ard.csv").read_text() + "\n")
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: output ard.csv was changed or removed after the run" in result.out


def test_failed_run_leaves_earlier_outputs_intact(recorded_run, capsys, monkeypatch):
    import hashlib

    study, out = recorded_run
    before = {p: hashlib.sha256(p.read_bytes()).digest() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure in the report stage")

    monkeypatch.setattr("trialkit.report.render.make_html", broken)
    result = run_cli(capsys, "run", str(study), "--out", str(out))
    assert result.code == 1
    assert f"the outputs already in {out} were left untouched" in result.err
    after = {p: hashlib.sha256(p.read_bytes()).digest() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not list(out.parent.glob(".out.staging-*"))  # no staging folder left behind


def test_verify_names_a_changed_report_date(recorded_run, capsys, monkeypatch):
    _, out = recorded_run
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: report date changed: 2018-01-15 -> 2023-11-14" in result.out
