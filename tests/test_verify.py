"""trialkit verify: a study whose files do not match the manifest is not rerun; the manifest is read as
data (malformed: exit 2 naming the key; output paths inside the output folder); files the run did not
write are reported; an environment difference is named before trialkit is suspected."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from tests.helpers import run_cli

#: what a run of the example writes: report.pdf, report.html, ard.csv, data_issues.csv and 22 RTF tables
OUTPUTS = 26


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One run of the example study with a template of its own (templates/report.css)."""
    from trialkit.pipeline import run_study
    from trialkit.report.templates import packaged_templates

    base = tmp_path_factory.mktemp("recorded")
    study = base / "study"
    shutil.copytree(EXAMPLE, study)
    (study / "templates").mkdir()
    shutil.copy(packaged_templates() / "report.css", study / "templates" / "report.css")
    epoch = os.environ.pop("SOURCE_DATE_EPOCH", None)  # the recorded run dates from the data cut-off
    try:
        run_study(study, base / "out")
    finally:
        if epoch is not None:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    return study, base / "out"


def _copy(recorded, tmp_path: Path) -> tuple[Path, Path]:
    """The recorded study and its output folder copied, the manifest pointing at the copied study."""
    study, out = recorded
    study_copy, out_copy = tmp_path / "study", tmp_path / "out"
    shutil.copytree(study, study_copy, symlinks=True)
    shutil.copytree(out, out_copy, symlinks=True)
    manifest = _manifest(out_copy)
    manifest["study"] = (study_copy / "study.yaml").as_posix()
    _write(out_copy, manifest)
    return study_copy, out_copy


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _write(out: Path, manifest) -> None:
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


@pytest.fixture
def no_rerun(monkeypatch):
    """Fails the test if verify reruns the study (runs its templates)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the study was rerun")

    monkeypatch.setattr("trialkit.pipeline.run_study", refuse)


def test_verify_passes_on_an_untouched_run(recorded, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    _, out = _copy(recorded, tmp_path)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 0
    assert result.out == f"verified: all {OUTPUTS} outputs are identical to the recorded run\n"
    # the rerun takes as long as the run: its stages on stderr, as trialkit run shows them
    stages = [line.split(":")[1].strip() for line in result.err.splitlines() if line.startswith("trialkit: ")]
    assert stages == ["checking the study's files", "reading configuration", "loading data", "validating",
                      "deriving baseline and change", "analysing", "rendering report", "writing outputs",
                      "comparing outputs"]


def test_verify_names_an_edited_output(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    (out / "ard.csv").write_text((out / "ard.csv").read_text() + "\n")
    result = run_cli(capsys, "verify", "--quiet", str(out))
    assert result.code == 3
    assert "cause: output ard.csv was changed or removed after the run" in result.out
    assert result.err == ""  # --quiet: no progress


def test_verify_names_a_changed_report_date(recorded, tmp_path, capsys, monkeypatch):
    _, out = _copy(recorded, tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: report date changed: 2018-01-15 -> 2023-11-14" in result.out
    assert "bug" not in result.out


def test_the_study_templates_are_recorded_as_inputs(recorded):
    import hashlib

    study, out = recorded
    inputs = {item["path"]: item["sha256"] for item in _manifest(out)["inputs"]}
    assert list(inputs) == ["study.yaml", "data/cgi_visits.csv", "data/subjects.csv", "templates/report.css"]
    assert inputs["templates/report.css"] == hashlib.sha256((study / "templates" / "report.css").read_bytes()).hexdigest()


@pytest.mark.parametrize("change, cause", [
    (lambda s: (s / "templates" / "report.css").write_text("body { color: red }"),
     "input file templates/report.css changed since the run"),
    (lambda s: (s / "templates" / "report.html.j2").write_text("{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
     "input file templates/report.html.j2 was added since the run"),
    (lambda s: (s / "templates" / "report.css").unlink(), "input file templates/report.css is no longer there"),
    (lambda s: (s / "data" / "subjects.csv").write_text((s / "data" / "subjects.csv").read_text() + "\n"),
     "input file data/subjects.csv changed since the run"),
    (lambda s: (s / "data" / "subjects.csv").unlink(),
     "the study no longer loads: "),
])
def test_a_study_that_changed_is_not_rerun(recorded, tmp_path, capsys, no_rerun, change, cause):
    study, out = _copy(recorded, tmp_path)
    change(study)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3, result.err
    assert result.out.startswith("NOT verified: the study's files do not match the manifest, so it was not rerun")
    assert f"  cause: {cause}" in result.out


def test_a_changed_study_yaml_names_its_keys_without_rerunning(recorded, tmp_path, capsys, no_rerun):
    study, out = _copy(recorded, tmp_path)
    text = (study / "study.yaml").read_text().replace("responder_max: 2", "responder_max: 3")
    (study / "study.yaml").write_text(text)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert "cause: input file study.yaml changed since the run" in result.out
    assert "cause: configuration changed: measures.CGI-I.responder_max" in result.out


@pytest.mark.parametrize("content, message", [
    (b"{not json", "manifest.json: not a trialkit manifest: not valid JSON (Expecting property name"),
    (b"\xff\xfe{}", "manifest.json: not a trialkit manifest: not valid JSON ("),
    (b"[1, 2]", "manifest.json: not a trialkit manifest: expected a JSON object with the keys study, inputs, "
                "outputs, config, software, found list"),
    (b"[" * 100000 + b"]" * 100000, "not valid JSON (nested too deeply)"),
])
def test_a_manifest_that_is_not_a_json_object_is_exit_2(recorded, tmp_path, capsys, no_rerun, content, message):
    _, out = _copy(recorded, tmp_path)
    (out / "manifest.json").write_bytes(content)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.pop("outputs"), "key 'outputs' is missing"),
    (lambda m: m.pop("study"), "key 'study' is missing"),
    (lambda m: m.update(study=5), "key 'study': expected the path of the study's study.yaml, found 5"),
    (lambda m: m.update(study=""), "key 'study': expected a non-empty text, found ''"),
    (lambda m: m.update(outputs={"report.pdf": "x"}), "key 'outputs': expected a list of {path, sha256} objects"),
    (lambda m: m["outputs"].append("report.pdf"),
     f"key 'outputs[{OUTPUTS}]': expected an object with path and sha256"),
    (lambda m: m["outputs"][0].pop("sha256"), "key 'outputs[0].sha256' is missing"),
    (lambda m: m["outputs"][0].update(sha256="not a hash"), "key 'outputs[0].sha256': expected 64 hexadecimal digits"),
    (lambda m: m["inputs"][1].update(path=None), "key 'inputs[1].path': expected a non-empty text, found None"),
    (lambda m: m.update(config=[]), "key 'config': expected an object (the study's configuration), found []"),
    (lambda m: m["software"].update(numpy=2), "key 'software.numpy': expected a non-empty text, found 2"),
    (lambda m: m.update(report_date=20180115), "key 'report_date': expected a date as text, found 20180115"),
    (lambda m: m.update(libraries="pango"), "key 'libraries': expected an object of name: version"),
    (lambda m: m["fonts"][0].update(sha256=None), "key 'fonts[0].sha256': expected 64 hexadecimal digits"),
    (lambda m: m.update(platform="Linux"), "key 'platform': expected an object of name: text, found 'Linux'"),
    (lambda m: m.update(blas={"libopenblas.so": 3}), "key 'blas.libopenblas.so': expected a text, found 3"),
])
def test_a_malformed_manifest_names_the_key_and_is_exit_2(recorded, tmp_path, capsys, no_rerun, edit, message):
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    edit(manifest)
    _write(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 2, result.out
    assert f"{out / 'manifest.json'}: {message}" in result.err and "Traceback" not in result.err


def test_a_study_path_too_long_for_the_file_system_is_exit_2(recorded, tmp_path, capsys, no_rerun):
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    manifest["study"] = str(tmp_path / ("a" * 300) / "study.yaml")
    _write(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{out / 'manifest.json'}: cannot read " in result.err and "File name too long" in result.err


def test_an_output_folder_too_long_for_the_file_system_is_exit_2(tmp_path, capsys):
    result = run_cli(capsys, "verify", str(tmp_path / ("a" * 300)))
    assert result.code == 2 and "Traceback" not in result.err and "File name too long" in result.err


@pytest.mark.parametrize("path", ["/etc/passwd", "../study/study.yaml", "tables/../../study/study.yaml", "tables//x",
                                  "./ard.csv", "C:/Windows/win.ini", "tables\\t_14_2_1.rtf", "escape/passwd"])
def test_output_paths_outside_the_output_folder_are_exit_2(recorded, tmp_path, capsys, no_rerun, path):
    _, out = _copy(recorded, tmp_path)
    (out / "escape").symlink_to("/etc", target_is_directory=True)
    manifest = _manifest(out)
    manifest["outputs"][0]["path"] = path
    _write(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 2
    assert f"manifest.json: outputs: {path!r}" in result.err
    assert "is not a path inside the output folder" in result.err or "leads outside the output folder" in result.err


def test_files_the_run_did_not_write_are_reported(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    (out / "tables" / "t_14_9_9.rtf").write_text("{\\rtf1 an analysis since removed}")
    (out / "notes.txt").write_text("mine")
    (out / "link").symlink_to("/etc", target_is_directory=True)
    (out / ".trialkit-output").write_text("")  # trialkit's own marker and lock are not outputs
    (out / ".trialkit-lock").write_text("")
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert result.out.startswith(f"NOT verified: the {OUTPUTS} outputs the rerun made are identical to the recorded "
                                 "ones")
    assert [line for line in result.out.splitlines() if "was not written" in line] == [
        "  cause: file link in the output folder was not written by the run",
        "  cause: file notes.txt in the output folder was not written by the run",
        "  cause: file tables/t_14_9_9.rtf in the output folder was not written by the run"]


def _as_if_the_pdf_had_been(out: Path, manifest: dict) -> None:
    """Make the recorded report.pdf other bytes, consistently in the folder and its manifest (as a run on
    another machine would have written it)."""
    import hashlib

    pdf = (out / "report.pdf").read_bytes() + b"\n% made elsewhere\n"
    (out / "report.pdf").write_bytes(pdf)
    next(o for o in manifest["outputs"] if o["path"] == "report.pdf")["sha256"] = hashlib.sha256(pdf).hexdigest()
    _write(out, manifest)


def test_an_environment_difference_is_named_before_trialkit_is_suspected(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    pango = manifest["libraries"]["pango"]
    manifest["libraries"]["pango"] = "1.44.7"
    mono = next(f for f in manifest["fonts"] if f["family"] == "DejaVu Sans Mono")
    real_sha = mono["sha256"]
    mono["sha256"] = "0" * 64
    _as_if_the_pdf_had_been(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert result.out.startswith(f"NOT reproduced: 1 of {OUTPUTS} outputs differ (report.pdf)")
    assert f"  cause: system library changed: pango 1.44.7 -> {pango}" in result.out
    assert (f"  cause: font files for DejaVu Sans Mono changed: {mono['path']} (sha256 000000000000) -> "
            f"{mono['path']} (sha256 {real_sha[:12]})") in result.out
    assert "bug" not in result.out


def test_outputs_that_differ_with_nothing_else_changed_are_a_trialkit_bug(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    _as_if_the_pdf_had_been(out, _manifest(out))
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert result.out.splitlines()[1] == (
        "  cause: outputs differ although no input, configuration or environment changed: a reproducibility bug "
        "in trialkit (please report it): report.pdf")


def test_an_environment_difference_that_changed_no_output_is_a_note(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    fontconfig = manifest["libraries"]["fontconfig"]
    manifest["libraries"]["fontconfig"] = "2.13.1"
    _write(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 0
    assert result.out.splitlines() == [
        f"verified: all {OUTPUTS} outputs are identical to the recorded run",
        f"  note: system library changed: fontconfig 2.13.1 -> {fontconfig} (no output changed)"]


def test_a_platform_or_blas_difference_is_named_before_trialkit_is_suspected(recorded, tmp_path, capsys):
    """The README says the platform and the BLAS kernels must match: another processor, or the same one with
    other BLAS kernels, can change the last bits of a model's estimates."""
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    machine = manifest["platform"]["machine"]
    manifest["platform"]["machine"] = "aarch64"
    assert manifest["blas"], "the BLAS libraries numpy and scipy loaded are recorded"
    library, kernels = sorted(manifest["blas"].items())[0]
    manifest["blas"][library] = "openblas 0.3.21, Haswell kernels"
    _as_if_the_pdf_had_been(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 3
    assert f"  cause: platform changed: machine aarch64 -> {machine}" in result.out
    assert f"  cause: BLAS library changed: {library} openblas 0.3.21, Haswell kernels -> {kernels}" in result.out
    assert "bug" not in result.out


def test_a_manifest_without_a_blas_record_is_still_verified(recorded, tmp_path, capsys):
    _, out = _copy(recorded, tmp_path)
    manifest = _manifest(out)
    del manifest["blas"], manifest["platform"]  # written by an older trialkit
    _write(out, manifest)
    result = run_cli(capsys, "verify", str(out))
    assert result.code == 0, result.out
