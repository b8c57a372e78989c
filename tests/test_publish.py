"""Output folders: trialkit writes only folders it owns, replaces one as a whole under a lock, and cleans up after
runs that were killed. Old outputs are never mixed with new ones, never lost to a failed run."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import run_cli
from trialkit import publish as publishing
from trialkit.config import load_config
from trialkit.errors import ConfigError
from trialkit.publish import LOCK, MARKER, PublishError, output_folder, publish

OLD = {"report.pdf": b"old pdf", "ard.csv": b"old ard", "tables/t_14_9_9.rtf": b"old table"}
NEW = {"report.pdf": b"new pdf", "ard.csv": b"new ard", "tables/t_14_2_1.rtf": b"new table"}


def _files(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` but trialkit's bookkeeping, by relative name."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name not in (MARKER, LOCK)}


def _beside(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder.parent) if name.startswith(f".{folder.name}.trialkit-"))


def test_a_run_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "out"
    publish(out, OLD)
    assert _files(out) == OLD and (out / MARKER).is_file()
    written = publish(out, NEW)
    assert _files(out) == NEW  # the table of an analysis since removed is gone with the old folder
    assert written == {name: out / name for name in NEW}
    assert _beside(out) == []


def test_the_folders_permissions_are_kept(tmp_path):
    out = tmp_path / "out"
    publish(out, OLD)
    os.chmod(out, 0o750)
    publish(out, NEW)
    assert (out.stat().st_mode & 0o777) == 0o750


def test_a_symlinked_output_folder_stays_a_symlink(tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    publish(real, OLD)
    link.symlink_to(real)
    publish(link, NEW)
    assert link.is_symlink() and _files(real) == NEW


def test_a_folder_with_only_a_lock_file_is_trialkits(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).touch()  # a run killed right after it claimed the folder
    publish(out, NEW)
    assert _files(out) == NEW


# ---- folders a run must not write ------------------------------------------------------------------------

def _refused(capsys, study: Path, out: str, message: str) -> None:
    before = {p: p.read_bytes() for p in study.rglob("*") if p.is_file()}
    result = run_cli(capsys, "run", "--quiet", str(study), "--out", out)
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err == f"trialkit: error: {message}\n"
    assert {p: p.read_bytes() for p in study.rglob("*") if p.is_file()} == before


def test_a_folder_of_someone_elses_files(make_study, capsys, tmp_path):
    study = make_study()
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in ("report.pdf", "notes.txt"):
        (mine / name).write_text("the user's own")
    _refused(capsys, study, str(mine), f"--out {mine} holds files trialkit did not write (notes.txt, report.pdf); a "
             "run replaces its output folder as a whole, so choose a new or empty folder, or one an earlier run wrote "
             "(it holds .trialkit-output)")


def test_the_study_folder(make_study, capsys):
    study = make_study()
    _refused(capsys, study, str(study), f"--out {study} is the study folder; a run replaces its output folder as a "
             f"whole, so give the outputs a folder of their own, such as {study / 'output'}")


def test_a_folder_holding_an_input(make_study, capsys):
    """The issue's case: an input named ard.csv in the output folder was overwritten."""
    from tests.conftest import RECORDS

    study = make_study(records=None, records_name="results/ard.csv")
    (study / "results").mkdir()
    (study / "results" / "ard.csv").write_text(RECORDS)
    (study / "results" / MARKER).write_bytes(publishing.MARKER_TEXT)  # even a folder trialkit wrote before
    _refused(capsys, study, str(study / "results"), f"--out {study / 'results'} holds an input of the study "
             f"(data.records: {study / 'results' / 'ard.csv'}); a run replaces its output folder as a whole, so give "
             "the outputs a folder of their own")


def test_a_folder_above_the_study(make_study, capsys):
    study = make_study()
    _refused(capsys, study, str(study.parent), f"--out {study.parent} holds an input of the study (study.yaml: "
             f"{study / 'study.yaml'}); a run replaces its output folder as a whole, so give the outputs a folder of "
             "their own")


def test_a_folder_inside_the_studys_templates(make_study, capsys):
    study = make_study()
    (study / "templates").mkdir()
    _refused(capsys, study, str(study / "templates" / "out"), f"--out {study / 'templates' / 'out'} is inside the "
             "study's templates folder; give the outputs a folder of their own")


def test_an_empty_out(make_study, capsys):
    _refused(capsys, make_study(), "", "--out is empty; name the output folder (by default a run writes <study>/output)")


def test_a_path_under_a_file(make_study, capsys):
    study = make_study()
    _refused(capsys, study, str(study / "records.csv" / "out"), f"--out {study / 'records.csv' / 'out'} is under "
             f"{study / 'records.csv'}, a file, not a folder; name a folder for the outputs")


def test_a_file(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(ConfigError, match=r"out is a file, not a folder"), output_folder(tmp_path / "out"):
        pass


def test_a_nul_byte(tmp_path):
    with pytest.raises(ConfigError, match=r"holds a NUL byte"), output_folder(f"{tmp_path}/o\0ut"):
        pass


def test_a_refused_folder_costs_no_analysis(make_study, capsys, monkeypatch):
    import trialkit.pipeline

    def never(*args, **kwargs):
        raise AssertionError("the data were loaded for a run whose output folder is refused")

    monkeypatch.setattr(trialkit.pipeline, "load_study", never)
    study = make_study()
    assert run_cli(capsys, "run", "--quiet", str(study), "--out", str(study)).code == 2


# ---- one run at a time -----------------------------------------------------------------------------------

def test_a_second_run_into_a_folder_being_written_stops(make_study, capsys, tmp_path):
    study, out = make_study(), tmp_path / "out"
    publish(out, OLD)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from trialkit.publish import output_folder
        with output_folder({str(out)!r}):
            print("holding", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline() == "holding\n"
        result = run_cli(capsys, "run", "--quiet", str(study), "--out", str(out))
        assert result.code == 2
        assert result.err == (f"trialkit: error: another trialkit run is writing {out}; wait for it to finish or "
                              "choose another --out\n")
        assert _files(out) == OLD
    finally:
        holder.communicate("done\n")
    assert holder.returncode == 0
    assert run_cli(capsys, "run", "--quiet", str(study), "--out", str(out)).code == 0  # free again
    assert "ard.csv" in _files(out) and "tables/t_14_9_9.rtf" not in _files(out)


def test_a_second_claim_in_the_same_process(tmp_path):
    out = tmp_path / "out"
    with output_folder(out):
        with pytest.raises(ConfigError, match="another trialkit run is writing"), output_folder(out):
            pass
        publish(out, NEW)
    assert _files(out) == NEW


def test_the_lock_follows_the_published_folder(tmp_path):
    """After the swap the folder in place is a new one with its own lock file: it is held to the end of the run."""
    out = tmp_path / "out"
    with output_folder(out):
        publish(out, OLD)
        assert publishing._try_lock(out) is None
        publish(out, NEW)
        assert publishing._try_lock(out) is None
    fd = publishing._try_lock(out)
    assert fd is not None
    publishing._unlock(fd)


# ---- a run that fails or is killed part way ----------------------------------------------------------------

#: the steps of each way of swapping the folders (renameat2 exchange; two renames where there is none)
STEPS = [("exchange", "staged"), ("exchange", "swapped"),
         ("two renames", "staged"), ("two renames", "moved aside"), ("two renames", "swapped")]


def test_the_exchange_is_used_on_linux(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    assert publishing._exchange(a, b) is True
    assert (b / "x").read_text() == "a" and not (a / "x").exists()


@pytest.mark.parametrize(("swap", "step"), [s for s in STEPS if s[1] != "swapped"])
def test_a_failure_before_the_swap_leaves_the_old_outputs_and_nothing_beside(tmp_path, monkeypatch, swap, step):
    out = tmp_path / "out"
    publish(out, OLD)
    if swap == "two renames":
        monkeypatch.setattr(publishing, "_exchange", lambda a, b: False)

    def fail(name):
        if name == step:
            raise RuntimeError(f"stopped at {name}")

    monkeypatch.setattr(publishing, "_step", fail)
    with pytest.raises(RuntimeError, match="stopped at"):
        publish(out, NEW)
    assert _files(out) == OLD and _beside(out) == []


_KILL = """
import os, signal, sys
from trialkit import publish as p
swap, step, out = sys.argv[1:]
if swap == "two renames":
    p._exchange = lambda a, b: False
def kill(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
p._step = kill
p.publish(out, {"report.pdf": b"new pdf", "ard.csv": b"new ard", "tables/t_14_2_1.rtf": b"new table"})
"""


@pytest.mark.parametrize(("swap", "step"), STEPS)
def test_a_run_killed_while_publishing(tmp_path, swap, step):
    out = tmp_path / "out"
    publish(out, OLD)
    proc = subprocess.run([sys.executable, "-c", _KILL, swap, step, str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    if step == "swapped":
        assert _files(out) == NEW  # the swap was the last thing that mattered; the old folder is left beside
    elif step == "staged":
        assert _files(out) == OLD
    else:
        assert not out.exists()  # killed between the two renames: the old folder is beside, whole
    assert _beside(out), "a killed run leaves its staging or old folder"
    with output_folder(out):  # the next run puts the old folder back if need be and removes the leftovers
        assert _files(out) == (NEW if step == "swapped" else OLD)
        assert _beside(out) == []


def test_leftovers_of_a_live_run_are_left_alone(tmp_path):
    out = tmp_path / "out"
    publish(out, OLD)
    staging = tmp_path / ".out.trialkit-staging-live"
    staging.mkdir()
    (staging / MARKER).touch()
    held = publishing._try_lock(staging)
    try:
        with output_folder(out):
            assert _beside(out) == [staging.name]
    finally:
        publishing._unlock(held)
    with output_folder(out):
        assert _beside(out) == []


def test_a_folder_not_trialkits_beside_is_left_alone(tmp_path):
    out = tmp_path / "out"
    publish(out, OLD)
    other = tmp_path / ".out.trialkit-staging-mine"
    other.mkdir()
    (other / "keep.txt").write_text("not trialkit's")
    with output_folder(out):
        pass
    assert (other / "keep.txt").read_text() == "not trialkit's"


def test_a_failed_run_into_a_new_folder_leaves_nothing(make_study, capsys, tmp_path):
    from tests.conftest import RECORDS

    study = make_study(records=RECORDS.replace("S1,Week 1,CGI-I,3", "S1,Week 1,CGI-I,99"))
    out = tmp_path / "a" / "b" / "out"
    result = run_cli(capsys, "run", "--quiet", str(study), "--out", str(out))
    assert result.code == 2 and result.err.endswith("\n(nothing was written)\n")
    assert not (tmp_path / "a").exists()


def test_an_empty_folder_stays_empty_after_a_failed_run(make_study, capsys, tmp_path):
    from tests.conftest import RECORDS

    study = make_study(records=RECORDS.replace("S1,Week 1,CGI-I,3", "S1,Week 1,CGI-I,99"))
    (tmp_path / "out").mkdir()
    assert run_cli(capsys, "run", "--quiet", str(study), "--out", str(tmp_path / "out")).code == 2
    assert os.listdir(tmp_path / "out") == []


# ---- a full disk, a read-only folder -------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "message"), [
    (errno.ENOSPC, "no space left on {out}; previous outputs untouched"),
    (errno.EROFS, "cannot write to {out}: the file system is read-only; previous outputs untouched"),
    (errno.EACCES, "no permission to write {out} (a run writes a new folder beside it, in {parent}, and swaps the "
                   "two); previous outputs untouched"),
])
def test_a_full_disk_or_read_only_folder(make_study, capsys, tmp_path, monkeypatch, code, message):
    study, out = make_study(), tmp_path / "out"
    publish(out, OLD)
    write = publishing._write_file
    calls = []

    def failing(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(code, os.strerror(code), str(path))
        write(path, data)

    monkeypatch.setattr(publishing, "_write_file", failing)
    result = run_cli(capsys, "run", "--quiet", str(study), "--out", str(out))
    assert result.code == 2 and "internal error" not in result.err
    assert result.err == f"trialkit: error: {message.format(out=out, parent=tmp_path)}\n"
    assert _files(out) == OLD and _beside(out) == []


def test_no_space_in_a_new_folder_says_nothing_was_written(tmp_path, monkeypatch):
    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(publishing, "_write_file", full)
    with pytest.raises(PublishError, match=r"^no space left on .*/out; nothing was written$"):
        publish(tmp_path / "out", NEW)
    assert not (tmp_path / "out").exists() and _beside(tmp_path / "out") == []


def test_the_default_output_folder_is_checked_too(make_study):
    from trialkit.pipeline import run_study

    study = make_study()
    (study / "output").mkdir()
    (study / "output" / "mine.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"output holds files trialkit did not write \(mine.txt\)"):
        run_study(study)
    config = load_config(study)
    assert config.root == study


# ---- names the file system cannot take -------------------------------------------------------------------

LONG = "a" * 300  # beyond the 255 bytes a file name may have on Linux and macOS


@pytest.mark.parametrize("tail", [LONG, f"new/{LONG}/out"])
def test_a_name_too_long_is_exit_2_and_leaves_nothing(make_study, capsys, tmp_path, tail):
    """Exit 1 with a traceback before (the failure handler looked at the folder again); and the folders made
    before mkdir failed ("new") stayed."""
    study = make_study()
    before = sorted(os.listdir(tmp_path))
    result = run_cli(capsys, "run", "--quiet", str(study), "--out", str(tmp_path / tail))
    assert result.code == 2 and "Traceback" not in result.err
    assert "the path or a name in it is too long for the file system; nothing was written" in result.err
    assert sorted(os.listdir(tmp_path)) == before
