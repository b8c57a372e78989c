"""manifest.json: every input with its SHA-256, the configuration, software versions, outputs, and a
run identifier derived from hashes (so the same inputs give the same identifier)."""

from __future__ import annotations

import hashlib
import json

from trialkit.manifest import build, run_identifier
from trialkit.config import load_config


def test_manifest_fields(example_run):
    manifest = json.loads((example_run / "manifest.json").read_text())
    assert {"run_id", "trialkit_version", "python", "software", "platform", "config", "config_sha256", "inputs",
            "outputs", "seeds"} <= set(manifest)
    paths = [i["path"] for i in manifest["inputs"]]
    assert paths == ["study.yaml", "data/cgi_visits.csv", "data/subjects.csv"]
    assert {"numpy", "pandas", "scipy", "weasyprint", "matplotlib", "jinja2"} <= set(manifest["software"])
    outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert {"report.pdf", "report.html", "ard.csv", "data_issues.csv", "tables/t_14_2_1.rtf"} <= set(outputs)
    for name, digest in outputs.items():  # the hashes are of the files written
        assert hashlib.sha256((example_run / name).read_bytes()).hexdigest() == digest


def test_input_hashes_and_sizes():
    from tests.conftest import EXAMPLE

    manifest = build(load_config(EXAMPLE))
    for item in manifest["inputs"]:
        data = (EXAMPLE / item["path"]).read_bytes()
        assert item["size"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest()


def test_run_id_is_in_the_report_and_derives_from_hashes(example_run):
    manifest = json.loads((example_run / "manifest.json").read_text())
    assert manifest["run_id"] == run_identifier(manifest["config_sha256"], manifest["inputs"], manifest["software"])
    assert f"Run {manifest['run_id']}" in (example_run / "report.html").read_text()


def test_same_inputs_same_run_id_and_any_change_another(make_study):
    study = make_study()
    first = build(load_config(study))["run_id"]
    assert build(load_config(study))["run_id"] == first
    (study / "records.csv").write_text((study / "records.csv").read_text().replace("S3,Week 2,CGI-I,1", "S3,Week 2,CGI-I,2"))
    assert build(load_config(study))["run_id"] != first


def test_report_date_never_comes_from_the_clock(make_study, monkeypatch):
    from trialkit.manifest import report_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert report_date(load_config(make_study(config={"study": {"id": "T", "data_cutoff": "2018-01-15"}}))) == "2018-01-15"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    assert report_date(load_config(make_study(config={"study": {"id": "T", "data_cutoff": "2018-01-15"}}))) == "2023-11-14"
    study = make_study(config={"study": {"id": "T", "report_date": "2018-02-01"}})
    assert report_date(load_config(study)) == "2018-02-01"


def test_recorded_dependencies_are_pyproject_s():
    import re
    import tomllib

    from tests.conftest import ROOT
    from trialkit.manifest import DEPENDENCIES

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(DEPENDENCIES) == sorted(re.match(r"[A-Za-z0-9._-]+", d).group(0).lower() for d in declared)


def test_software_holds_every_package_the_dependencies_pull_in():
    """12.2: fontTools, pydyf, tinycss2, cssselect2 (WeasyPrint's), Pillow (matplotlib's), matplotlib's own...
    with the installed versions; a requirement for another platform is not followed."""
    import sys
    from importlib import metadata

    from trialkit.manifest import software_versions

    software = software_versions()
    for name in ("fonttools", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "pyphen", "pillow", "matplotlib",
                 "weasyprint", "markupsafe", "pydantic-core"):
        assert software[name] == metadata.version(name), name
    assert software["python"] == sys.version.split()[0]
    if sys.platform != "win32":
        assert "colorama" not in software  # click's, on Windows only
    assert list(software) == sorted(software)


def test_the_manifest_records_the_libraries_and_fonts_the_pdf_was_made_with(example_run):
    manifest = json.loads((example_run / "manifest.json").read_text())
    assert set(manifest["libraries"]) == {"fontconfig", "harfbuzz", "pango", "zlib"}
    assert all(version[0].isdigit() for version in manifest["libraries"].values())
    import zlib

    assert manifest["libraries"]["zlib"] == zlib.ZLIB_RUNTIME_VERSION
    families = {font["family"] for font in manifest["fonts"]}
    assert {"DejaVu Sans", "DejaVu Sans Mono"} <= families
    for font in manifest["fonts"]:  # each a file fontconfig lists, by its hash
        assert font["sha256"] == hashlib.sha256(open(font["path"], "rb").read()).hexdigest()


def test_templates_and_logo_are_inputs(make_study):
    study = make_study(config={"study": {"id": "T", "logo": "logo.png"}})
    (study / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")  # a PNG's signature: load_config reads no more
    (study / "templates" / "partials").mkdir(parents=True)
    (study / "templates" / "report.css").write_text("body { }")
    (study / "templates" / "partials" / "x.j2").write_text("x")
    (study / "templates" / "outside.css").symlink_to("/etc/hostname")  # leads out of the study: not read
    paths = [item["path"] for item in build(load_config(study))["inputs"]]
    assert paths == ["study.yaml", "records.csv", "subjects.csv", "templates/partials/x.j2", "templates/report.css",
                     "logo.png"]


def test_the_platform_is_the_system_and_processor_not_the_kernel_release(example_run):
    """The report shows the platform: a kernel update must not change a report's bytes."""
    import platform

    manifest = json.loads((example_run / "manifest.json").read_text())
    assert manifest["platform"] == {"system": platform.system(), "machine": platform.machine()}
    assert platform.release() not in (example_run / "report.html").read_text()


def test_data_outside_the_study_folder_is_recorded_by_a_relative_path(tmp_path):
    """Public data kept beside the project (../shared/data) is named by the same path on every machine, so the run
    identifier (and the report that prints it) does not depend on where the folders sit."""
    from tests.conftest import EXAMPLE
    import shutil

    ids = []
    for place in ("a", "b/deeper"):
        root = tmp_path / place
        shutil.copytree(EXAMPLE / "data", root / "shared" / "data")
        study = root / "project" / "study"
        study.mkdir(parents=True)
        text = (EXAMPLE / "study.yaml").read_text().replace("data/", "../../shared/data/")
        (study / "study.yaml").write_text(text)
        manifest = build(load_config(study))
        assert [i["path"] for i in manifest["inputs"]] == [
            "study.yaml", "../../shared/data/cgi_visits.csv", "../../shared/data/subjects.csv"]
        ids.append(manifest["run_id"])
    assert ids[0] == ids[1]
