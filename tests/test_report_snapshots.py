"""What the report prints, compared with approved files under tests/snapshots/ (reviewed in diffs): the HTML
report, every table as the PDF sets it, and one table's RTF. A few PDF pages are compared as images.

To re-approve after a deliberate change: ``TRIALKIT_APPROVE=1 python -m pytest tests/test_report_snapshots.py``,
then review ``git diff tests/snapshots`` (for the page images: look at the PNGs) and commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import EXAMPLE, ROOT
from tests.helpers import APPROVE, check_snapshot, fixed_manifest

#: pages of the example report compared as images: the title page, a table continued from the page before,
#: the proportional-odds and shift tables, the waterfall and forest plots, the stacked bars of the categories
PAGES = (1, 4, 6, 9, 10)
#: share of pixels allowed to differ (anti-aliasing of another FreeType or poppler)
PIXEL_TOLERANCE = 0.002


@pytest.fixture(scope="module")
def example():
    """The example study's report, built with a fixed manifest, and its render job."""
    from trialkit.derivations import derive
    from trialkit.pipeline import check_study, findings_of
    from trialkit.report.build import build_report
    from trialkit.report.render import RenderJob
    from trialkit.results import build_ard

    config, checked = check_study(EXAMPLE)
    ard = build_ard(derive(checked, config), checked.subjects, config)
    report = build_report(ard, findings_of(checked, ard), config, fixed_manifest(config))
    return RenderJob(report, config.root / "templates")


def test_html_report(example):
    from trialkit.report.templates import render_html

    # the figures' SVG depends on matplotlib's version: each is a marker here; tests/test_report_figures.py
    # checks what the figures show, and the page images below how they look
    svgs = [f'<svg data-snapshot="{f.number}"></svg>' for f in example.report.figures]
    check_snapshot("report.html", render_html(example.report, medium="html", svgs=svgs))


def test_tables_as_the_pdf_sets_them(example):
    from trialkit.report.monospace import monospace

    parts = []
    for table in example.report.tables:
        m = monospace(table)
        body = "\n".join((f"[{block.label}]\n" if block.label else "")
                         + "\n".join(f"**{line.text}**" if line.emphasis else line.text for line in block.lines)
                         for block in m.blocks)
        parts.append(f"== {table.number} {table.title} ({m.font_pt} pt{', landscape' if m.landscape else ''})\n"
                     f"{m.header}\n{'-' * 20}\n{body}\n")
    check_snapshot("tables.txt", "\n".join(parts))


def test_rtf_of_the_mmrm_table(example):
    from trialkit.report.rtf import table_to_rtf

    mmrm = next(t for t in example.report.tables if "MMRM" in t.title)
    check_snapshot("t_mmrm.rtf", table_to_rtf(mmrm, page_size="A4"))


def test_pages_look_as_approved(example, tmp_path):
    """A few pages of the PDF, rendered to images, against approved images (pdftoppm, from poppler-utils)."""
    from PIL import Image, ImageChops

    from trialkit.report.render import InProcessExecutor

    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm (Debian: poppler-utils) is needed to compare the report's pages as images")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(InProcessExecutor().render(example).files["report.pdf"])
    approved_dir = ROOT / "tests" / "snapshots" / "pages"
    for page in PAGES:
        out = tmp_path / f"page-{page}"
        subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                        str(pdf), str(out)], check=True)
        now = Image.open(f"{out}.png").convert("L")
        approved_path = approved_dir / f"page-{page}.png"
        if os.environ.get(APPROVE) == "1":
            approved_dir.mkdir(parents=True, exist_ok=True)
            now.save(approved_path, optimize=True)
            continue
        approved = Image.open(approved_path).convert("L")
        assert now.size == approved.size, (page, now.size, approved.size)
        changed = sum(ImageChops.difference(now, approved).point(lambda v: 255 if v > 64 else 0).histogram()[255:])
        share = changed / (now.size[0] * now.size[1])
        if share > PIXEL_TOLERANCE:
            now.save(tmp_path / f"now-page-{page}.png")
            pytest.fail(f"page {page}: {share:.2%} of the pixels differ from {approved_path} (now: "
                        f"{tmp_path / f'now-page-{page}.png'}); if meant, rerun with {APPROVE}=1")
