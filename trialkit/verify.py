"""``trialkit verify OUTDIR``: rerun the study recorded in OUTDIR's manifest and compare, byte for byte.

Before anything is rerun, the manifest is read as data (a malformed one is a message naming the key), its
output paths must stay inside OUTDIR, and the study's files (study.yaml, records, subjects, its own
templates, the logo) must still be those the manifest records by hash: a study that changed is reported
and not rerun, so its templates never run unchecked.

When something differs, the likely cause is named, in this order: an input file or configuration key that
changed, an output edited after the run or a file in OUTDIR the run did not write, then a difference of
environment (report date, platform, Python package, BLAS library, system library or font file, from what to
what), and only when none of those, a reproducibility bug in trialkit.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from trialkit.errors import TrialkitError
from trialkit.manifest import sha256_file

#: files in an output folder that are not outputs: trialkit's ownership marker and its lock
NOT_OUTPUTS = (".trialkit-output", ".trialkit-lock")
MANIFEST = "manifest.json"


@dataclass
class Verification:
    identical: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    #: environment differences that did not change any output
    notes: list[str] = field(default_factory=list)
    #: False when the study's files no longer match the manifest, so it was not rerun
    rerun: bool = True

    @property
    def ok(self) -> bool:
        return self.rerun and not self.differing and not self.causes

    def report(self) -> str:
        if self.ok:
            lines = [f"verified: all {len(self.identical)} outputs are identical to the recorded run"]
        elif not self.rerun:
            lines = ["NOT verified: the study's files do not match the manifest, so it was not rerun"]
        elif not self.differing:
            lines = [f"NOT verified: the {len(self.identical)} outputs the rerun made are identical to the recorded "
                     "ones, but the output folder does not match its manifest"]
        else:
            lines = [f"NOT reproduced: {len(self.differing)} of {len(self.identical) + len(self.differing)} "
                     "outputs differ" + (f" ({', '.join(self.differing)})" if self.differing else "")]
        lines += [f"  cause: {c}" for c in self.causes]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _flatten(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _diff_keys(old: dict, new: dict) -> list[str]:
    a, b = _flatten(old), _flatten(new)
    return sorted(k for k in set(a) | set(b) if a.get(k, "<absent>") != b.get(k, "<absent>"))


# --- the manifest, read as data -------------------------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Manifest:
    """Checks each key of a manifest as it is read; a wrong one raises a TrialkitError naming the file and
    the key (exit status 2)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TrialkitError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from None
        try:
            self.data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise TrialkitError(f"{path}: not a trialkit manifest: not valid JSON ({reason})") from None
        if not isinstance(self.data, dict):
            raise TrialkitError(f"{path}: not a trialkit manifest: expected a JSON object with the keys study, "
                                f"inputs, outputs, config, software, found {type(self.data).__name__}")

    def fail(self, key: str, expected: str, value) -> TrialkitError:
        return TrialkitError(f"{self.path}: key {key!r}: expected {expected}, found {_shown(value)}")

    def get(self, key: str, kind: type, expected: str, *, optional: bool = False):
        if key not in self.data:
            if optional:
                return None
            raise TrialkitError(f"{self.path}: key {key!r} is missing (is this the manifest of a trialkit run?)")
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.fail(key, expected, value)
        return value

    def text(self, key: str, value, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value or "\x00" in value:
            raise self.fail(key, "a non-empty text", value)
        return value

    def files(self, key: str) -> list[dict]:
        """``inputs`` or ``outputs``: a list of ``{"path": text, "sha256": 64 hex digits}``."""
        items = self.get(key, list, "a list of {path, sha256} objects")
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{k}]", "an object with path and sha256", item)
            for name in ("path", "sha256"):
                if name not in item:
                    raise TrialkitError(f"{self.path}: key '{key}[{k}].{name}' is missing")
            self.text(f"{key}[{k}].path", item["path"])
            if not isinstance(item["sha256"], str) or not _SHA256.fullmatch(item["sha256"]):
                raise self.fail(f"{key}[{k}].sha256", "64 hexadecimal digits", item["sha256"])
        return items

    def versions(self, key: str, *, optional: bool = False) -> dict[str, str] | None:
        table = self.get(key, dict, "an object of name: version", optional=optional)
        for name, version in (table or {}).items():
            self.text(f"{key}.{name}", version)
        return table

    def strings(self, key: str) -> dict[str, str] | None:
        """An optional object of name: text (``platform``, ``blas``); a text may be empty."""
        table = self.get(key, dict, "an object of name: text", optional=True)
        for name, value in (table or {}).items():
            if not isinstance(value, str):
                raise self.fail(f"{key}.{name}", "a text", value)
        return table

    def fonts(self) -> list[dict] | None:
        fonts = self.get("fonts", list, "a list of {family, path, sha256} objects", optional=True)
        for k, font in enumerate(fonts or []):
            if not isinstance(font, dict):
                raise self.fail(f"fonts[{k}]", "an object with family, path and sha256", font)
            self.text(f"fonts[{k}].family", font.get("family"))
            self.text(f"fonts[{k}].path", font.get("path"), optional=True)
            if not isinstance(font.get("sha256"), str) or not _SHA256.fullmatch(font["sha256"]):
                raise self.fail(f"fonts[{k}].sha256", "64 hexadecimal digits", font.get("sha256"))
        return fonts


@dataclass(frozen=True)
class Recorded:
    """What verify reads of a manifest, checked."""

    study: Path
    inputs: dict[str, str]
    outputs: dict[str, str]
    config: dict
    software: dict[str, str]
    report_date: str | None
    libraries: dict[str, str] | None
    fonts: list[dict] | None
    platform: dict[str, str] | None = None
    blas: dict[str, str] | None = None


def read_manifest(path: Path) -> Recorded:
    """The manifest at ``path``, checked key by key. Raises TrialkitError (exit status 2) naming the file and
    the key when it is not JSON, not an object, lacks a key or holds a value of the wrong type."""
    m = _Manifest(path)
    study = m.text("study", m.get("study", str, "the path of the study's study.yaml"))
    inputs = {item["path"]: item["sha256"] for item in m.files("inputs")}
    outputs = {item["path"]: item["sha256"] for item in m.files("outputs")}
    config = m.get("config", dict, "an object (the study's configuration)")
    software = m.versions("software")
    report_date = m.data.get("report_date")
    if report_date is not None and not isinstance(report_date, str):
        raise m.fail("report_date", "a date as text", report_date)
    return Recorded(study=Path(study), inputs=inputs, outputs=outputs, config=config, software=software,
                    report_date=report_date, libraries=m.versions("libraries", optional=True), fonts=m.fonts(),
                    platform=m.strings("platform"), blas=m.strings("blas"))


def output_path(out_dir: Path, name: str, manifest_path: Path) -> Path:
    """The file ``name`` of the manifest's outputs, which must be a relative path inside ``out_dir`` (no
    absolute path, no ``..``, no symbolic link leading out); else TrialkitError (exit status 2)."""
    parts = name.split("/")
    if (PurePosixPath(name).is_absolute() or "\\" in name or re.match(r"[A-Za-z]:", name)
            or any(part in ("", ".", "..") for part in parts)):
        raise TrialkitError(f"{manifest_path}: outputs: {_shown(name)} is not a path inside the output folder")
    path = out_dir.joinpath(*parts)
    try:
        inside = path.resolve().is_relative_to(out_dir.resolve())
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise TrialkitError(f"{manifest_path}: outputs: {_shown(name)} cannot be resolved: {exc}") from None
    if not inside:
        raise TrialkitError(f"{manifest_path}: outputs: {_shown(name)} leads outside the output folder "
                            "(through a symbolic link)")
    return path


def _files_in(out_dir: Path) -> list[str]:
    """Every file (or symbolic link) in ``out_dir``, as relative POSIX paths; links are not followed."""
    found = []
    for folder, dirs, files in os.walk(out_dir):
        here = Path(folder)
        for name in files + [d for d in dirs if (here / d).is_symlink()]:
            found.append((here / name).relative_to(out_dir).as_posix())
    return sorted(found)


# --- verify ---------------------------------------------------------------------------------------------

def _check_study(recorded: Recorded, result: Verification) -> bool:
    """Whether the study's files are still those the manifest records; each one that is not is a cause."""
    try:
        return _study_matches(recorded, result)
    except OSError as exc:  # a file of the study cannot be read
        result.causes.append(f"a file of the study cannot be read: {exc.filename}: {exc.strerror or exc}")
        return False


def _study_matches(recorded: Recorded, result: Verification) -> bool:
    from trialkit.config import load_config
    from trialkit.manifest import inputs_of, normalised_config

    study = recorded.study
    if recorded.inputs.get(study.name) != sha256_file(study):
        result.causes.append(f"input file {study.name} changed since the run")
        try:
            changed_keys = _diff_keys(recorded.config, normalised_config(load_config(study)))
        except TrialkitError as exc:
            result.causes.append(f"the study no longer loads: {str(exc).splitlines()[0]}")
        else:
            if changed_keys:
                result.causes.append("configuration changed: " + ", ".join(changed_keys))
        return False
    try:
        config = load_config(study)
    except TrialkitError as exc:
        result.causes.append(f"the study no longer loads: {str(exc).splitlines()[0]}")
        return False
    now = {item["path"]: item["sha256"] for item in inputs_of(config)}
    for name in sorted(set(recorded.inputs) | set(now)):
        if name not in now:
            result.causes.append(f"input file {name} is no longer there")
        elif name not in recorded.inputs:
            result.causes.append(f"input file {name} was added since the run")
        elif now[name] != recorded.inputs[name]:
            result.causes.append(f"input file {name} changed since the run")
    return not result.causes


def _check_out_dir(out_dir: Path, recorded: Recorded, manifest_path: Path, result: Verification) -> None:
    for name, digest in recorded.outputs.items():
        path = output_path(out_dir, name, manifest_path)
        try:
            same = path.is_file() and sha256_file(path) == digest
        except OSError as exc:
            result.causes.append(f"output {name} cannot be read: {exc.strerror or exc}")
            continue
        if not same:
            result.causes.append(f"output {name} was changed or removed after the run")
    for name in _files_in(out_dir):
        if name not in recorded.outputs and name != MANIFEST and name not in NOT_OUTPUTS:
            result.causes.append(f"file {name} in the output folder was not written by the run")


def _compare_environment(recorded: Recorded, fresh: Recorded) -> list[str]:
    """Each difference between the recorded run's environment and this one's, from what to what."""
    found = []
    if recorded.report_date != fresh.report_date:
        found.append(f"report date changed: {recorded.report_date} -> {fresh.report_date} "
                     "(study.report_date or SOURCE_DATE_EPOCH)")
    for key in sorted(set(recorded.platform or {}) | set(fresh.platform or {})) if recorded.platform else ():
        before, now = recorded.platform.get(key), (fresh.platform or {}).get(key)
        if before != now:
            found.append(f"platform changed: {key} {before} -> {now}")
    for package in sorted(set(recorded.software) | set(fresh.software)):
        before, now = recorded.software.get(package), fresh.software.get(package)
        if before != now:
            found.append(f"software version changed: {package} {before} -> {now}")
    if recorded.blas is not None:  # recorded since trialkit wrote it (an older manifest has no BLAS record)
        for library in sorted(set(recorded.blas) | set(fresh.blas or {})):
            before, now = recorded.blas.get(library), (fresh.blas or {}).get(library)
            if before != now:
                found.append(f"BLAS library changed: {library} {before or 'not loaded'} -> {now or 'not loaded'}")
    if recorded.libraries is None or recorded.fonts is None:
        found.append("the manifest does not record the system libraries and fonts the PDF was made with "
                     "(written by an older trialkit): they may differ")
        return found
    for library in sorted(set(recorded.libraries) | set(fresh.libraries or {})):
        before, now = recorded.libraries.get(library), (fresh.libraries or {}).get(library)
        if before != now:
            found.append(f"system library changed: {library} {before} -> {now}")
    found += _font_differences(recorded.fonts, fresh.fonts or [])
    return found


def _font_differences(before: list[dict], now: list[dict]) -> list[str]:
    def shown(font: dict) -> str:
        return f"{font.get('path') or 'a file fontconfig does not list'} (sha256 {font['sha256'][:12]})"

    old = {(f["family"], f["sha256"]): f for f in before}
    new = {(f["family"], f["sha256"]): f for f in now}
    differences = []
    for family in sorted({family for family, _ in set(old) ^ set(new)}):
        was = [shown(f) for key, f in sorted(old.items()) if key[0] == family and key not in new]
        is_ = [shown(f) for key, f in sorted(new.items()) if key[0] == family and key not in old]
        differences.append(f"font files for {family} changed: {', '.join(was) or 'none'} -> {', '.join(is_) or 'none'}")
    return differences


def _is_file(path: Path, manifest_path: Path) -> bool:
    try:
        return path.is_file()
    except OSError as exc:  # a name too long, an I/O error
        raise TrialkitError(f"{manifest_path}: cannot read {_shown(str(path))}: {exc.strerror or exc}") from None


def _quiet(stage: str) -> None:
    """No progress shown."""


def verify(out_dir: str | Path, *, progress=_quiet) -> Verification:
    """Check ``out_dir`` against its ``manifest.json`` and, when the study's files still match, rerun the study
    in a temporary folder and compare every output. ``progress(stage)`` is called as each stage begins (those
    of the rerun are :func:`trialkit.pipeline.run_study`'s), as for ``trialkit run``."""
    from trialkit.pipeline import run_study

    out_dir = Path(out_dir)
    if "\x00" in str(out_dir):
        raise TrialkitError(f"{out_dir!r}: the path holds a NUL byte; name the output folder of a trialkit run")
    manifest_path = out_dir / MANIFEST
    if not _is_file(manifest_path, manifest_path):
        raise TrialkitError(f"{manifest_path}: no manifest found; is {out_dir} the output folder of a trialkit run?")
    recorded = read_manifest(manifest_path)
    for name in recorded.outputs:
        output_path(out_dir, name, manifest_path)  # every path checked before any file is read
    if not _is_file(recorded.study, manifest_path):
        raise TrialkitError(f"{manifest_path}: the study it records, {recorded.study}, is not there any more")
    result = Verification()
    progress("checking the study's files")
    if not _check_study(recorded, result):
        result.rerun = False
        return result
    _check_out_dir(out_dir, recorded, manifest_path, result)

    with tempfile.TemporaryDirectory(prefix="trialkit-verify-") as tmp:
        run_study(recorded.study, Path(tmp) / "out", progress=progress)
        progress("comparing outputs")
        fresh = read_manifest(Path(tmp) / "out" / MANIFEST)
    for name in sorted(set(recorded.outputs) | set(fresh.outputs)):
        (result.identical if recorded.outputs.get(name) == fresh.outputs.get(name) else result.differing).append(name)

    changed_keys = _diff_keys(recorded.config, fresh.config)
    if changed_keys:
        result.causes.append("configuration changed: " + ", ".join(changed_keys))
    environment = _compare_environment(recorded, fresh)
    if result.differing:
        result.causes += environment
        if not result.causes:
            result.causes.append("outputs differ although no input, configuration or environment changed: a "
                                 "reproducibility bug in trialkit (please report it): " + ", ".join(result.differing))
    else:
        result.notes += [f"{difference} (no output changed)" for difference in environment
                         if not difference.startswith("the manifest does not record")]
    return result
