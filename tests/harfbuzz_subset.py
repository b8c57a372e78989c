"""Run the trialkit command line with WeasyPrint's optional libharfbuzz-subset hidden or present, whatever
this machine has installed (a script the reproducibility tests run in a fresh process).

    python tests/harfbuzz_subset.py hidden|present run STUDY --out OUT

``hidden``: WeasyPrint's library loader does not find libharfbuzz-subset (cffi's ``dlopen`` fails for it, as
on a machine without it). ``present``: the library as installed, or, where it is not installed, an object
in its place that fails the run if anything calls it. Run with ``TRIALKIT_RENDER_PROCESS=0``: the PDF is
then made in this process, where the library is hidden or present.
"""

from __future__ import annotations

import os
import sys

import cffi


class _NeverCalled:
    """Stands for libharfbuzz-subset where it is not installed: true, as a loaded library is, and failing
    on first use."""

    def __getattr__(self, name: str):
        raise AssertionError(f"libharfbuzz-subset was used ({name}) although trialkit never subsets with it")


def main(mode: str, argv: list[str]) -> None:
    if os.environ.get("TRIALKIT_RENDER_PROCESS") != "0":
        raise SystemExit("set TRIALKIT_RENDER_PROCESS=0: the library must be hidden where the PDF is made")
    if mode not in ("hidden", "present"):
        raise SystemExit(f"unknown mode {mode!r}: hidden or present")
    if mode == "hidden":
        dlopen = cffi.FFI.dlopen

        def without_subset(self, name, flags=0):
            if name is not None and "harfbuzz-subset" in str(name):
                raise OSError(f"{name}: hidden by tests/harfbuzz_subset.py")
            return dlopen(self, name, flags)

        cffi.FFI.dlopen = without_subset
    from weasyprint.pdf import fonts
    from weasyprint.text import ffi

    if mode == "present" and ffi.harfbuzz_subset is None:
        ffi.harfbuzz_subset = fonts.harfbuzz_subset = _NeverCalled()
    loaded = fonts.harfbuzz_subset is not None
    if loaded != (mode == "present"):
        raise SystemExit(f"could not make libharfbuzz-subset {mode}")
    print(f"libharfbuzz-subset {'present' if loaded else 'absent'}", file=sys.stderr)
    from trialkit.cli import main as cli

    cli(argv)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
