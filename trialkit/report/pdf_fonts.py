"""The fonts of trialkit's PDFs are the same bytes whatever optional libraries the machine has.

WeasyPrint embeds a subset of each font it draws with: with HarfBuzz's subsetter when the optional
``libharfbuzz-subset`` library is installed, else with fontTools, whose ``TTFont.save`` writes the clock
(or ``SOURCE_DATE_EPOCH``) into each font's ``head.modified``. Either way the PDF's bytes depend on the
machine: the two subsetters write different fonts, and fontTools writes a new date on every run.

While :func:`deterministic` is in effect, trialkit therefore always subsets with fontTools, with fixed
options (:func:`subset_font`), and no font WeasyPrint rewrites gets a new timestamp: each embedded font
keeps the ``head.modified`` of the font file it comes from. WeasyPrint's optional ``libharfbuzz-vector``
(colour COLR glyphs, HarfBuzz 13 and later) is not used either, so a COLR glyph is left out as WeasyPrint
leaves it out without that library. The PDF's bytes then depend on WeasyPrint, fontTools, pydyf, the
Python and zlib that compress the streams, HarfBuzz and Pango (text layout), fontconfig and the font files
-- all recorded in the run's manifest (:func:`environment`) -- and not on what else is installed.

This replaces methods of WeasyPrint's (``weasyprint.pdf.fonts.Font.subset``) and fontTools'
(``head`` table compilation) internals. :func:`install` checks that they are what trialkit was written
against and raises :class:`PdfFontsError` when they are not; at PDF time every font WeasyPrint subsets
must have gone through :func:`subset_font`, else the PDF is refused. Nothing is patched outside
:func:`deterministic`: other code in the same process that uses WeasyPrint is not affected.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import io
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: tables WeasyPrint drops when it subsets (its fontTools and its HarfBuzz lists, together): a PDF viewer
#: draws glyphs by their id and never shapes text, so layout and bitmap tables are dead weight
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


class PdfFontsError(RuntimeError):
    """WeasyPrint or fontTools is not what this module was written against: trialkit cannot promise the
    same PDF bytes, so it makes no PDF (a bug to report, or a WeasyPrint/fontTools version to pin)."""


def subset_font(data: bytes, *, index: int, gids: Iterable[int], hinting: bool, notdef_outline: bool) -> bytes:
    """The glyphs ``gids`` of the font ``data`` (face ``index`` of a collection), as WeasyPrint embeds
    them: glyph ids kept (the PDF's text refers to glyphs by id), unknown tables passed through, CFF
    desubroutinised, instructions kept only with ``hinting``, the outline of ``.notdef`` kept when the
    text has characters the font lacks (``notdef_outline``).

    The same input gives the same bytes: ``head.modified`` is the source font's, never the clock's nor
    ``SOURCE_DATE_EPOCH``'s; the optional ``uharfbuzz`` table packer is not used.
    """
    from fontTools import subset

    options = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                             hinting=hinting, desubroutinize=True, notdef_outline=notdef_outline,
                             recalc_timestamp=False, harfbuzz_repacker=False, font_number=index)
    options.drop_tables += list(DROPPED_TABLES)
    font = subset.load_font(io.BytesIO(data), options)
    for tag in DROPPED_TABLES:  # dropped before subsetting: fontTools would decompile GSUB and GPOS first
        if tag in font:
            del font[tag]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(gids))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


@dataclass
class _Run:
    """What happened to the fonts of one PDF (one :func:`deterministic` call)."""

    fonts: dict[str, dict] = field(default_factory=dict)  # by SHA-256 of the font file
    subset_by_trialkit: bool = False  # set by _subset, checked by _clean


_ACTIVE: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("trialkit_pdf_fonts", default=None)
_LAST = threading.local()
_INSTALL_LOCK = threading.Lock()
_INSTALLED: list[bool] = []


def _expect(condition: bool, what: str) -> None:
    if not condition:
        import fontTools
        import weasyprint

        raise PdfFontsError(
            f"trialkit cannot make the PDF reproducible with WeasyPrint {weasyprint.__version__} and fontTools "
            f"{fontTools.version}: {what}. trialkit was written against WeasyPrint 70 and fontTools 4.x; install "
            "those versions, or report this to the trialkit developers.")


def install() -> None:
    """Check WeasyPrint's and fontTools' internals and put trialkit's hooks in place (once per process).
    The hooks do nothing outside :func:`deterministic`. Raises :class:`PdfFontsError` when the internals
    are not as expected."""
    with _INSTALL_LOCK:
        if _INSTALLED:
            return
        from fontTools.ttLib.tables import _h_e_a_d
        from weasyprint.draw import text as draw_text
        from weasyprint.pdf import fonts as pdf_fonts

        font_class = getattr(pdf_fonts, "Font", None)
        _expect(inspect.isclass(font_class), "weasyprint.pdf.fonts.Font is missing")
        for name in ("subset", "clean"):
            method = getattr(font_class, name, None)
            _expect(callable(method) and list(inspect.signature(method).parameters) == ["self", "to_unicode", "hinting"],
                    f"Font.{name}(self, to_unicode, hinting) is missing or has another signature")
        _expect("subset" in font_class.clean.__code__.co_names, "Font.clean no longer calls Font.subset")
        _expect("clean" in getattr(pdf_fonts, "build_fonts_dictionary", _nothing).__code__.co_names,
                "weasyprint.pdf.fonts.build_fonts_dictionary no longer cleans (subsets) each font")
        head = getattr(_h_e_a_d, "table__h_e_a_d", None)
        _expect(head is not None and "recalcTimestamp" in head.compile.__code__.co_names,
                "fontTools' head table no longer sets its timestamp from TTFont.recalcTimestamp")
        _expect(callable(getattr(draw_text, "get_hb_object_data", None)),
                "weasyprint.draw.text.get_hb_object_data is missing")

        original_subset, original_clean = font_class.subset, font_class.clean
        original_compile, original_object_data = head.compile, draw_text.get_hb_object_data

        def clean(run: _Run, font, to_unicode, hinting) -> None:
            run.subset_by_trialkit = False
            _record(run, font)
            original_clean(font, to_unicode, hinting)
            if to_unicode and not run.subset_by_trialkit:
                _expect(False, f"the font {font.family!r} was cleaned without going through Font.subset")

        @functools.wraps(original_compile)
        def compile_head(table, ttFont):  # noqa: N803 - fontTools' name
            if _ACTIVE.get() is None or not ttFont.recalcTimestamp:
                return original_compile(table, ttFont)
            ttFont.recalcTimestamp = False  # a font WeasyPrint rewrites keeps its source's date
            try:
                return original_compile(table, ttFont)
            finally:
                ttFont.recalcTimestamp = True

        @functools.wraps(original_object_data)
        def object_data(hb_object, ot_color=None, glyph=None):
            if ot_color == "colr" and _ACTIVE.get() is not None:
                return None  # as without the optional libharfbuzz-vector
            return original_object_data(hb_object, ot_color, glyph)

        font_class.clean, font_class.subset = _in_trialkit(original_clean, clean), _in_trialkit(original_subset, _subset)
        head.compile = compile_head
        draw_text.get_hb_object_data = object_data
        _INSTALLED.append(True)


def _nothing() -> None:
    pass


def _in_trialkit(original: Callable, hook: Callable) -> Callable:
    """A Font method: ``hook(run, font, to_unicode, hinting)`` while trialkit makes a PDF, else ``original``."""

    @functools.wraps(original)
    def method(font, to_unicode, hinting):
        run = _ACTIVE.get()
        if run is None:
            return original(font, to_unicode, hinting)
        return hook(run, font, to_unicode, hinting)

    return method


def _subset(run: _Run, font, to_unicode, hinting) -> None:
    """WeasyPrint's Font.subset while trialkit makes a PDF: :func:`subset_font`."""
    from fontTools.ttLib import TTLibError

    run.subset_by_trialkit = True
    if not to_unicode:
        return
    try:
        font.file_content = subset_font(font.file_content, index=font.index, gids=to_unicode, hinting=hinting,
                                        notdef_outline=bool(font.missing))
    except TTLibError as exc:  # as WeasyPrint does: the whole font is embedded (the same bytes each run)
        logging.getLogger("weasyprint").warning("Unable to subset %r with fontTools (%s): embedded whole",
                                                font.family, exc)


def _record(run: _Run, font) -> None:
    data = font.file_content
    digest = hashlib.sha256(data).hexdigest()
    run.fonts.setdefault(digest, {"family": font.family, "index": font.index, "size": len(data), "sha256": digest})


def deterministic(make_pdf: Callable) -> Callable:
    """Decorate a function that makes PDFs with WeasyPrint: while it runs (in this thread), fonts are
    embedded as described in this module's documentation. The fonts embedded by its last successful call
    are then :func:`embedded_fonts`."""

    @functools.wraps(make_pdf)
    def wrapper(*args, **kwargs):
        install()
        run = _Run()
        token = _ACTIVE.set(run)
        try:
            result = make_pdf(*args, **kwargs)
        finally:
            _ACTIVE.reset(token)
        _LAST.fonts = sorted(run.fonts.values(), key=lambda f: (f["family"], f["sha256"]))
        return result

    return wrapper


def embedded_fonts() -> list[dict]:
    """The font files embedded in the last PDF this thread made through :func:`deterministic`: family,
    face index, size, SHA-256 and the path fontconfig knows the file by (None if it knows none)."""
    fonts = getattr(_LAST, "fonts", [])
    paths = _font_paths()
    return [{**font, "path": _path_of(font, paths)} for font in fonts]


@functools.lru_cache(maxsize=1)
def _font_paths() -> dict[int, tuple[str, ...]]:
    """Every font file fontconfig knows, by size (to find an embedded font's file from its bytes)."""
    import os

    from weasyprint.text.ffi import ffi, fontconfig

    by_size: dict[int, set[str]] = {}
    config = fontconfig.FcInitLoadConfigAndFonts()
    try:
        fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
        text = ffi.new("FcChar8 **")
        for k in range(fonts.nfont if fonts != ffi.NULL else 0):
            if fontconfig.FcPatternGetString(fonts.fonts[k], b"file", 0, text) == fontconfig.FcResultMatch:
                path = os.fsdecode(ffi.string(text[0]))
                try:
                    by_size.setdefault(os.path.getsize(path), set()).add(path)
                except OSError:
                    continue
    finally:
        fontconfig.FcConfigDestroy(config)
    return {size: tuple(sorted(paths)) for size, paths in by_size.items()}


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _path_of(font: dict, paths: dict[int, tuple[str, ...]]) -> str | None:
    return next((p for p in paths.get(font["size"], ()) if _sha256_of(p) == font["sha256"]), None)


@functools.lru_cache(maxsize=1)
def libraries() -> dict[str, str]:
    """Versions of the system libraries that shape the PDF's bytes, as loaded in this process: HarfBuzz
    (shaping, glyph positions), Pango (line breaking, layout), fontconfig (which font a family names) and
    zlib (PDF stream compression)."""
    import zlib

    from weasyprint.text import ffi as weasy

    # declared here, not by WeasyPrint: called on the libraries WeasyPrint itself opened
    weasy.ffi.cdef("const char * hb_version_string (void); const char * pango_version_string (void); "
                   "int FcGetVersion (void);", override=True)
    versions = {"zlib": zlib.ZLIB_RUNTIME_VERSION}
    for name, call in (("harfbuzz", lambda: weasy.ffi.string(weasy.harfbuzz.hb_version_string()).decode()),
                       ("pango", lambda: weasy.ffi.string(weasy.pango.pango_version_string()).decode()),
                       ("fontconfig", lambda: _fc_version(weasy.fontconfig.FcGetVersion()))):
        try:
            versions[name] = call()
        except (AttributeError, OSError) as exc:  # recorded as unknown: verify then names the difference
            versions[name] = f"unknown ({exc})"
    return dict(sorted(versions.items()))


def _fc_version(number: int) -> str:
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def environment() -> dict:
    """What of this process shaped the last PDF it made: ``{"libraries": libraries(), "fonts":
    embedded_fonts()}`` (for the run's manifest)."""
    return {"libraries": libraries(), "fonts": embedded_fonts()}
