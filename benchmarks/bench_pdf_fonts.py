"""What trialkit's font handling (trialkit/report/pdf_fonts.py) costs: the time to write the example study's
PDF, and its size, with each way of embedding fonts.

- ``trialkit``: what trialkit does, always (fontTools subsetting with fixed options, source timestamps kept);
- ``weasyprint+harfbuzz``: WeasyPrint alone with libharfbuzz-subset (only where it is installed);
- ``weasyprint+fonttools``: WeasyPrint alone without it (its fontTools path; a new font date each run);
- ``full fonts``: WeasyPrint's documented ``full_fonts=True`` (no subsetting at all).

The example's report is laid out once per round and mode (WeasyPrint's ``render``), then written
(``write_pdf``, where the fonts are embedded); only the writing is timed. The modes run interleaved, so
that drift of a shared machine hits each alike; the median of each is printed.

Usage: python benchmarks/bench_pdf_fonts.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def example_job() -> tuple[str, list[str], list[str]]:
    """The example study's PDF source: its HTML, the folders its fetcher serves, its figures' SVG."""
    os.environ["TRIALKIT_RENDER_PROCESS"] = "0"
    sys.path.insert(0, str(ROOT))
    from trialkit.pipeline import run_study
    from trialkit.report import render

    captured = {}
    make_pdf = render.make_pdf

    def capture(job, figures):
        captured["html"] = render.render_html(job["context"], study_templates=Path(job["study_templates"]),
                                              medium="pdf")
        captured["folders"] = job["folders"]
        captured["figures"] = list(figures)
        return make_pdf(job, figures)

    render.make_pdf = capture
    with tempfile.TemporaryDirectory() as tmp:
        run_study(ROOT / "example_study", Path(tmp) / "out")
    render.make_pdf = make_pdf
    return captured["html"], captured["folders"], captured["figures"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args().repeats

    html, folders, figures = example_job()
    import weasyprint
    from weasyprint.pdf import fonts

    from trialkit.report import pdf_fonts, render

    harfbuzz_subset = fonts.harfbuzz_subset
    modes = {"trialkit": ({}, True), "weasyprint+fonttools": ({}, False), "full fonts": ({"full_fonts": True}, False)}
    if harfbuzz_subset is not None:
        modes["weasyprint+harfbuzz"] = ({}, False)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    sizes: dict[str, int] = {}
    for round_ in range(repeats + 1):  # round 0 warms up
        for mode, (options, ours) in modes.items():
            fetcher = render.ConfinedFetcher(*map(Path, folders), figures=figures)
            document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render()
            fonts.harfbuzz_subset = harfbuzz_subset if mode == "weasyprint+harfbuzz" else None
            write = pdf_fonts.deterministic(document.write_pdf) if ours else document.write_pdf
            start = time.perf_counter()
            pdf = write(**options)
            if round_:
                times[mode].append(time.perf_counter() - start)
            sizes[mode] = len(pdf)
    fonts.harfbuzz_subset = harfbuzz_subset
    print(f"{'mode':<22} {'write_pdf median s':>19} {'min s':>7} {'PDF bytes':>10}")
    for mode in modes:
        print(f"{mode:<22} {statistics.median(times[mode]):>19.3f} {min(times[mode]):>7.3f} {sizes[mode]:>10}")


if __name__ == "__main__":
    main()
