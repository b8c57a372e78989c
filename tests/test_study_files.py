"""The files a study names for its report stay inside the study folder, and the PDF fetches only what it
shows (issue 11.2): the logo file itself, the template folders' stylesheets and fonts, the report's figures.

The issue's examples as whole runs (``logo: /``, a missing logo, one outside, a symlink to /etc/passwd, a
templates/ folder that links out) are in tests/corpus/ (logo_*.json, templates_*.json)."""

from __future__ import annotations

import struct
import zlib

import pytest
from pypdf import PdfReader

from tests.helpers import Canary, run_cli, run_hostile
from trialkit.confined import study_logo, study_templates
from trialkit.config import load_config
from trialkit.errors import ConfigError
from trialkit.report.fetcher import ConfinedFetcher
from trialkit.report.templates import packaged_templates


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


# ---- study.logo --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("logo, says", [
    ("/", "study.logo: / lies outside the study folder"),
    ("/etc/passwd", "study.logo: /etc/passwd lies outside the study folder"),
    ("..", "lies outside the study folder"),
    (".", "is a folder, not an image file"),
    ("images", "images is a folder, not an image file"),
    ("missing.png", "study.logo: file not found: {study}/missing.png"),
    ("study.yaml", "study.yaml is not an image the report can show"),
    ("fake.png", "fake.png is not a PNG image"),
    ("passwd.png", "passwd.png lies outside the study folder {study} (it leads to /etc/passwd)"),
    ("loop.png", "loop.png is a symbolic link that leads nowhere or back to itself"),
])
def test_a_logo_that_is_not_an_image_inside_the_study_is_exit_2(make_study, logo, says):
    study = make_study(config={"study": {"id": "T-1", "logo": logo}})
    (study / "images").mkdir()
    (study / "fake.png").write_text("not an image")
    (study / "passwd.png").symlink_to("/etc/passwd")
    (study / "loop.png").symlink_to(study / "loop.png")
    with pytest.raises(ConfigError) as error:
        load_config(study)
    assert f"{study / 'study.yaml'}: study.logo: " in str(error.value)
    assert says.format(study=study) in str(error.value)


def test_a_logo_inside_the_study_is_resolved_also_through_a_link_inside_it(make_study):
    study = make_study(config={"study": {"id": "T-1", "logo": "brand/current.png"}})
    (study / "brand").mkdir()
    (study / "brand" / "v2.png").write_bytes(_png())
    (study / "brand" / "current.png").symlink_to(study / "brand" / "v2.png")
    config = load_config(study)
    assert study_logo(config.root, config.study.logo) == (study / "brand" / "v2.png").resolve()


@pytest.mark.parametrize("name, head", [("logo.jpg", b"\xff\xd8\xff\xe0"), ("logo.gif", b"GIF89a"),
                                        ("logo.svg", b'<?xml version="1.0"?><svg/>'),
                                        ("logo.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ")])
def test_each_image_type_the_report_shows_is_accepted(tmp_path, name, head):
    (tmp_path / name).write_bytes(head)
    assert study_logo(tmp_path, tmp_path / name) == (tmp_path / name).resolve()


def test_a_logo_removed_after_the_configuration_was_read_is_exit_2_not_skipped(make_study, tmp_path, capsys,
                                                                               monkeypatch):
    """render_report checks the logo again: a missing logo is never silently left out."""
    from trialkit import pipeline

    study = make_study(config={"study": {"id": "T-1", "logo": "logo.png"}})
    (study / "logo.png").write_bytes(_png())
    read = pipeline.load_config

    def then_removed(path):
        config = read(path)
        (study / "logo.png").unlink()
        return config

    monkeypatch.setattr(pipeline, "load_config", then_removed)
    outcome = run_hostile(capsys, monkeypatch, study, tmp_path / "out")
    assert outcome.code == 2 and f"study.logo: file not found: {study / 'logo.png'}" in outcome.err


# ---- the study's templates/ folder ------------------------------------------------------------------------

def test_a_templates_folder_that_links_inside_the_study_is_read_and_recorded(make_study, tmp_path, capsys, monkeypatch):
    from trialkit.manifest import inputs_of

    study = make_study()
    (study / "house_style").mkdir()
    (study / "house_style" / "report.css").write_text((packaged_templates() / "report.css").read_text()
                                                       + "\nh1 { color: rgb(9, 8, 7); }\n")
    (study / "templates").symlink_to(study / "house_style")
    config = load_config(study)
    assert study_templates(config.root) == (study / "house_style").resolve()
    assert "house_style/report.css" in [item["path"] for item in inputs_of(config)]  # verify checks it before a rerun
    assert run_hostile(capsys, monkeypatch, study, tmp_path / "out").code == 0
    assert "h1 { color: rgb(9, 8, 7); }" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize("make", [lambda s: (s / "templates").symlink_to("/etc"),
                                  lambda s: (s / "templates").symlink_to(s),
                                  lambda s: (s / "templates").write_text("not a folder")])
def test_a_templates_folder_that_leads_out_or_is_no_folder_is_exit_2(make_study, make):
    study = make_study()
    make(study)
    with pytest.raises(ConfigError, match="templates"):
        load_config(study)


# ---- the PDF's fetcher ------------------------------------------------------------------------------------

@pytest.fixture
def folders(tmp_path):
    study = tmp_path / "study"
    (study / "templates" / "fonts").mkdir(parents=True)
    (study / "templates" / "house.css").write_text("h1 { color: red }")
    (study / "templates" / "fonts" / "Sans.woff2").write_bytes(b"wOF2")
    (study / "templates" / "report.html.j2").write_text("{{ report }}")
    (study / "templates" / "notes.txt").write_text("private")
    (tmp_path / "outside.css").write_text("body { }")
    (study / "templates" / "outside.css").symlink_to(tmp_path / "outside.css")
    (study / "logo.png").write_bytes(_png())
    (study / "secret.csv").write_text("id,value\n")
    return study


def test_the_fetcher_serves_stylesheets_fonts_and_the_logo_file_only(folders):
    fetch = ConfinedFetcher(packaged_templates(), folders / "templates", files=[folders / "logo.png"])
    templates = folders / "templates"
    assert fetch(f"file://{templates / 'house.css'}").headers["Content-Type"] == "text/css"
    assert fetch(f"file://{templates / 'fonts' / 'Sans.woff2'}").headers["Content-Type"] == "font/woff2"
    assert fetch(f"file://{folders / 'logo.png'}").read().startswith(b"\x89PNG")
    assert fetch(f"file://{packaged_templates() / 'report.css'}").headers["Content-Type"] == "text/css"
    refused = [
        f"file://{templates / 'report.html.j2'}",      # a template: not a stylesheet
        f"file://{templates / 'notes.txt'}",
        f"file://{templates / 'outside.css'}",         # a stylesheet by name, leading out of the folder
        f"file://{folders / 'secret.csv'}",            # beside the logo: the logo's folder is not served
        f"file://{folders / 'study.yaml'}",
        f"file://{packaged_templates() / 'report.html.j2'}",
        f"file://{folders / 'templates' / '..' / 'secret.csv'}",
        f"file://otherhost{folders / 'logo.png'}",
        "file:///etc/passwd", "file:///", "http://127.0.0.1:9/x.css", "data:text/css,body{}",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetch(url)
    assert fetch.refused == refused


def test_a_template_that_attaches_files_to_the_pdf_attaches_nothing(make_study, tmp_path, capsys, monkeypatch):
    """The issue's example: with ``logo: /`` a template's attachments listed /etc/passwd. Now ``logo: /`` is exit
    status 2 (tests/corpus/logo_root.json); a template asking for attachments and remote files gets none."""
    canary = Canary()
    try:
        study = make_study(config={"study": {"id": "T-1", "logo": "logo.png"}})
        (study / "logo.png").write_bytes(_png())
        (study / "templates").mkdir()
        page = (packaged_templates() / "report.html.j2").read_text().replace("<body>", f"""<body>
<link rel="attachment" href="file:///etc/passwd">
<a rel="attachment" href="file://{study / 'study.yaml'}">study</a>
<a rel="attachment" href="file://{study}/">folder</a>
<img src="{canary.url}/img.png"><link rel="stylesheet" href="{canary.url}/x.css">""", 1)
        (study / "templates" / "report.html.j2").write_text(page)
        outcome = run_hostile(capsys, monkeypatch, study, tmp_path / "out", render_process=True, canary=canary)
        assert outcome.code == 0
        reader = PdfReader(tmp_path / "out" / "report.pdf")
        assert reader.attachments == {}
        assert b"root:" not in (tmp_path / "out" / "report.pdf").read_bytes()
    finally:
        canary.close()


def test_a_logo_whose_name_is_too_long_is_exit_2(make_study, capsys):
    study = make_study({"study": {"id": "S", "logo": "a" * 300 + ".png"}})
    result = run_cli(capsys, "validate", "--quiet", str(study))
    assert result.code == 2 and "Traceback" not in result.err
    assert "study.logo: " in result.err and "cannot be read: File name too long" in result.err
