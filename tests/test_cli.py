"""The command line: help for every command, exit statuses, no traceback for a user's mistake."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import run_cli
from trialkit.cli import cli


@pytest.mark.parametrize("command", [[], *([name] for name in cli.commands)])
def test_every_command_has_help(capsys, command):
    out = run_cli(capsys, *command, "--help")
    assert out.code == 0
    assert "Usage: trialkit" in out.out and len(out.out.splitlines()) > 4


def test_run_and_validate_are_the_commands():
    assert set(cli.commands) == {"run", "validate", "verify"}


def test_validate_clean_study(make_study, capsys):
    out = run_cli(capsys, "validate", str(make_study()))
    assert out.code == 0 and out.out == "0 error(s), 0 warning(s)\n"


def test_run_writes_the_output_files(make_study, tmp_path, capsys):
    out = run_cli(capsys, "run", str(make_study()), "--out", str(tmp_path / "o"))
    assert out.code == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "ard.csv", "data_issues.csv", "manifest.json", "report.html", "report.pdf", "tables"]
    assert (tmp_path / "o" / "tables" / "t_14_2_1.rtf").read_bytes().startswith(b"{\\rtf1")


def test_default_output_folder_is_inside_the_study(make_study, capsys):
    study = make_study()
    assert run_cli(capsys, "run", str(study / "study.yaml")).code == 0
    assert (study / "output" / "report.pdf").is_file()


def test_unknown_option_is_a_usage_error(capsys):
    out = run_cli(capsys, "run", "--bogus")
    assert out.code == 2 and "No such option '--bogus'" in out.err


def test_internal_error_exits_1(make_study, capsys, monkeypatch):
    import trialkit.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(trialkit.pipeline, "derive", broken)
    out = run_cli(capsys, "run", str(make_study()))
    assert out.code == 1 and "internal error" in out.err


def test_console_script_shows_no_traceback_for_bad_data(make_study):
    from tests.conftest import RECORDS

    study = make_study(records=RECORDS.replace("S1,Week 1,CGI-I,3", "S1,Week 1,CGI-I,99"))
    proc = subprocess.run([sys.executable, "-m", "trialkit", "run", str(study)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("trialkit: error: 1 data problem stops the analysis:\n  records.csv: row 5: column AVAL: value '99'")
    assert "Traceback" not in proc.stderr


def test_console_script_exits_with_the_commands_status_and_all_its_output(make_study, tmp_path):
    """`python -m trialkit` (as the `trialkit` script) leaves without the interpreter's teardown: its exit
    status and everything it printed must still come through."""
    study, out = make_study(), tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "trialkit", "run", str(study), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote report.pdf, report.html, ard.csv") and proc.stdout.endswith("\n")
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF") and (out / "manifest.json").is_file()
    verified = subprocess.run([sys.executable, "-m", "trialkit", "verify", str(out)], capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stdout.strip()
    (out / "ard.csv").write_text("edited\n")
    changed = subprocess.run([sys.executable, "-m", "trialkit", "verify", str(out)], capture_output=True, text=True)
    assert changed.returncode == 3 and "ard.csv" in changed.stdout
    usage = subprocess.run([sys.executable, "-m", "trialkit", "run", "--no-such-option"], capture_output=True, text=True)
    assert usage.returncode == 2 and "No such option" in usage.stderr
