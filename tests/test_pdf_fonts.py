"""trialkit.report.pdf_fonts: fonts subset the same way whatever the machine, the source font's timestamp
kept, WeasyPrint's internals checked before they are relied on, and what shaped the PDF reported."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from tests.conftest import ROOT
from trialkit.report import pdf_fonts
from trialkit.report.pdf import render_pdf

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core (README)


@pytest.fixture(scope="module")
def dejavu() -> bytes:
    return DEJAVU_SANS.read_bytes()


def test_subset_keeps_the_source_timestamp_whatever_source_date_epoch(dejavu, monkeypatch):
    gids = {0, 36, 37, 38}  # .notdef, A, B, C
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    first = pdf_fonts.subset_font(dejavu, index=0, gids=gids, hinting=False, notdef_outline=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    second = pdf_fonts.subset_font(dejavu, index=0, gids=gids, hinting=False, notdef_outline=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    third = pdf_fonts.subset_font(dejavu, index=0, gids=gids, hinting=False, notdef_outline=False)
    assert first == second == third
    source, subset = TTFont(io.BytesIO(dejavu)), TTFont(io.BytesIO(first))
    assert subset["head"].modified == source["head"].modified
    assert subset["head"].created == source["head"].created


def test_subset_keeps_glyph_ids_and_the_outlines_used(dejavu):
    """The PDF's text names glyphs by their id in the source font: ids stay, unused glyphs are empty, the
    layout tables a PDF viewer never reads are dropped."""
    data = pdf_fonts.subset_font(dejavu, index=0, gids={0, 36, 38}, hinting=False, notdef_outline=False)
    source, subset = TTFont(io.BytesIO(dejavu)), TTFont(io.BytesIO(data))
    assert len(data) < len(dejavu) / 10
    assert subset["maxp"].numGlyphs == 39  # up to the last glyph used, as WeasyPrint's own subsetting
    name_a = source.getGlyphName(36)
    assert name_a == "A"
    kept, original = subset["glyf"][subset.getGlyphName(36)], source["glyf"][name_a]
    assert list(kept.getCoordinates(subset["glyf"])[0]) == list(original.getCoordinates(source["glyf"])[0])
    assert subset["hmtx"][subset.getGlyphName(36)] == source["hmtx"][name_a]
    assert subset["glyf"][subset.getGlyphName(37)].numberOfContours == 0  # B: not used, emptied
    assert subset["glyf"][subset.getGlyphName(38)].numberOfContours > 0  # C
    assert not {"GSUB", "GPOS"} & set(subset.keys())


def test_the_fonts_and_libraries_of_the_last_pdf_are_reported():
    from weasyprint.text import ffi

    render_pdf("<p style='font-family: DejaVu Sans'>Table <b>14.2.1</b></p>")
    env = pdf_fonts.environment()
    version = ffi.pango.pango_version()
    assert env["libraries"]["pango"] == f"{version // 10000}.{version // 100 % 100}.{version % 100}"
    assert set(env["libraries"]) == {"fontconfig", "harfbuzz", "pango", "zlib"}
    by_path = {font["path"]: font for font in env["fonts"]}
    regular = by_path[str(DEJAVU_SANS)]
    assert regular["family"] == "DejaVu Sans" and regular["index"] == 0
    assert regular["sha256"] == hashlib.sha256(DEJAVU_SANS.read_bytes()).hexdigest()
    assert len(env["fonts"]) == 2  # regular and bold


def _pdf_in_a_process_where(change: str) -> subprocess.CompletedProcess:
    """Make a one-line PDF through trialkit in a fresh process, after ``change`` altered WeasyPrint."""
    script = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom weasyprint.pdf import fonts\n{change}\n"
              "from trialkit.report.pdf import render_pdf\nrender_pdf('<p>x</p>')\n")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_weasyprint_internals_not_as_expected_refuse_the_pdf():
    done = _pdf_in_a_process_where("fonts.Font.subset = lambda self, to_unicode: None")
    assert done.returncode == 1
    assert "PdfFontsError: trialkit cannot make the PDF reproducible with WeasyPrint" in done.stderr
    assert "Font.subset(self, to_unicode, hinting) is missing or has another signature" in done.stderr


def test_a_font_subset_elsewhere_than_through_font_subset_refuses_the_pdf():
    """A WeasyPrint whose Font.clean subsets by another way than Font.subset (say, HarfBuzz directly) would
    bypass trialkit's subsetting: found at PDF time."""
    done = _pdf_in_a_process_where(
        "def clean(self, to_unicode, hinting):\n"
        "    self.subset  # still named, not called\n"
        "    self._fonttools_subset(to_unicode, hinting)\n"
        "fonts.Font.clean = clean")
    assert done.returncode == 1
    assert "was cleaned without going through Font.subset" in done.stderr


def test_outside_trialkit_weasyprint_is_left_as_it_is(dejavu):
    """The hooks act only while trialkit makes a PDF: WeasyPrint used directly in the same process subsets
    with its own code."""
    import weasyprint
    from weasyprint.pdf import fonts

    pdf_fonts.install()
    called = []
    original = fonts.Font._fonttools_subset, fonts.Font._harfbuzz_subset

    def spy(name, method):
        def wrapper(self, *args):
            called.append(name)
            return method(self, *args)
        return wrapper

    fonts.Font._fonttools_subset, fonts.Font._harfbuzz_subset = spy("fonttools", original[0]), spy("harfbuzz", original[1])
    try:
        weasyprint.HTML(string="<p>x</p>").write_pdf()
        assert called
        called.clear()
        render_pdf("<p>x</p>")
        assert not called
    finally:
        fonts.Font._fonttools_subset, fonts.Font._harfbuzz_subset = original


def _embedded_fonts(pdf_path) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(pdf_path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_the_report_uses_only_the_fonts_the_readme_says_to_install(example_run):
    """The README asks for the DejaVu fonts only: a rule naming a generic family (``monospace``) picked
    whatever the machine had (Noto Sans Mono here), so a machine with only DejaVu made other bytes and pages."""
    fonts = _embedded_fonts(example_run / "report.pdf")
    assert fonts and all(name.startswith("DejaVu") for name in fonts), fonts
