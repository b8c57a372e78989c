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
    assert [line.rsplit(":", 1)[0] for line in out.err.splitlines()] == [
        "trialkit: reading configuration", "trialkit: loading data", "trialkit: validating"]


def test_run_writes_the_output_files(make_study, tmp_path, capsys):
    out = run_cli(capsys, "run", str(make_study()), "--out", str(tmp_path / "o"))
    assert out.code == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        ".trialkit-lock", ".trialkit-output", "ard.csv", "data_issues.csv", "manifest.json", "report.html", "report.pdf",
        "tables"]
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
    proc = subprocess.run([sys.executable, "-m", "trialkit", "run", "--quiet", str(study)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("trialkit: error: 1 data problem stops the analysis:\n  records.csv: row 5: column AVAL: "
                                  "value '99': subject S1")
    assert "Traceback" not in proc.stderr


def test_console_script_exits_with_the_commands_status_and_all_its_output(make_study, tmp_path):
    """`python -m trialkit` (as the `trialkit` script) leaves without the interpreter's teardown: its exit
    status and everything it printed must still come through."""
    study, out = make_study(), tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "trialkit", "run", str(study), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote report.pdf, report.html, ard.csv") and proc.stdout.endswith("\n")
    stages = [line.rsplit(":", 1)[0] for line in proc.stderr.splitlines()]  # not a terminal: one line per stage
    assert stages == [f"trialkit: {stage}" for stage in ("reading configuration", "loading data", "validating",
                                                         "deriving baseline and change", "analysing",
                                                         "rendering report", "writing outputs")]
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF") and (out / "manifest.json").is_file()
    verified = subprocess.run([sys.executable, "-m", "trialkit", "verify", str(out)], capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stdout.strip()
    (out / "ard.csv").write_text("edited\n")
    changed = subprocess.run([sys.executable, "-m", "trialkit", "verify", str(out)], capture_output=True, text=True)
    assert changed.returncode == 3 and "ard.csv" in changed.stdout
    usage = subprocess.run([sys.executable, "-m", "trialkit", "run", "--no-such-option"], capture_output=True, text=True)
    assert usage.returncode == 2 and "No such option" in usage.stderr


# ---- progress on stderr ------------------------------------------------------------------------------------

class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_lines_give_each_stage_its_elapsed_time():
    import io

    from trialkit.progress import StageProgress

    stream, clock = io.StringIO(), _Clock()
    with StageProgress(stream, clock=clock) as progress:
        progress("loading data")
        clock.now += 0.44
        progress("analysing")
        clock.now += 12.36
    assert stream.getvalue() == "trialkit: loading data: 0.4 s\ntrialkit: analysing: 12.4 s\n"


def test_progress_says_which_stage_failed():
    import io

    from trialkit.progress import StageProgress

    stream, clock = io.StringIO(), _Clock()
    with pytest.raises(ValueError), StageProgress(stream, clock=clock) as progress:
        progress("validating")
        clock.now += 2.0
        raise ValueError
    assert stream.getvalue() == "trialkit: validating: stopped after 2.0 s\n"


def test_progress_on_a_terminal_redraws_one_line_and_shows_a_bar_on_long_stages(monkeypatch):
    import io
    import threading

    from trialkit import progress as module

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream, clock = Terminal(), _Clock()
    drawn = threading.Event()
    monkeypatch.setattr(module, "BAR_INTERVAL", 0.001)
    with module.StageProgress(stream, clock=clock) as progress:
        assert progress.mode == "bar"
        progress("analysing")
        clock.now += 3.0  # the stage has run long enough for a bar
        original = stream.write

        def write(text):
            if "[" in text:
                drawn.set()
            return original(text)

        stream.write = write
        assert drawn.wait(10)
    text = stream.getvalue()
    assert text.startswith("\rtrialkit: analysing ...")
    assert "\rtrialkit: analysing [" in text and "] 3.0 s" in text
    final = text.rsplit("\r", 1)[1]
    assert final.startswith("trialkit: analysing: 3.0 s") and final.endswith("\n") and not final.strip(" \n").endswith("]")


def test_quiet_prints_no_progress(make_study, capsys):
    out = run_cli(capsys, "validate", "--quiet", str(make_study()))
    assert out.code == 0 and out.err == ""


def test_messages_show_control_characters_escaped(make_study, capsys):
    from tests.conftest import RECORDS

    study = make_study(records=RECORDS.replace("S1,Week 1,CGI-I,3", "S1\x1b[31m,Week 1,CGI-I,9\x07"))
    out = run_cli(capsys, "validate", "--quiet", str(study))
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err
    assert "error: non_numeric: records.csv: row 5: column AVAL: value '9\\x07': subject S1\\x1b[31m:" in out.out
