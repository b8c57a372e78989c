"""The manifest of a run: what went in (files, configuration, software) and what came out.

The run identifier is derived from the hashes of the inputs, the normalised configuration and the
software versions -- never from the clock -- so a rerun of the same things has the same identifier.
What else shaped the PDF's bytes -- the system libraries WeasyPrint laid it out with and the font files it
embedded -- is known only once the PDF is made (in the PDF render process) and recorded beside them
(:func:`with_outputs`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from trialkit.config import StudyConfig
from trialkit.confined import study_templates

#: trialkit's runtime dependencies, as pyproject.toml lists them (a test keeps the two the same); the
#: manifest records these and every package they require in turn (:func:`software_versions`)
DEPENDENCIES = ("numpy", "pandas", "scipy", "jinja2", "matplotlib", "weasyprint", "pydantic", "pyyaml", "click",
                "openpyxl", "pyarrow", "pyreadstat", "statsmodels", "pingouin", "packaging")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalised_config(config: StudyConfig) -> dict:
    """The configuration as loaded, defaults filled in, paths as written in study.yaml."""
    return config.model_dump(mode="json", exclude={"source"})


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def software_versions() -> dict[str, str]:
    """Python's version, trialkit's, and that of every installed distribution trialkit's runtime
    dependencies require, directly or in turn (fontTools, pydyf, tinycss2, cssselect2, polars, Pillow, ...),
    by canonical name. A requirement limited to another platform or to an extra not asked for is left out,
    so that a package installed for other reasons does not count."""
    return dict(_software_versions())


@functools.lru_cache(maxsize=1)
def _software_versions() -> tuple[tuple[str, str], ...]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    versions = {"python": platform.python_version()}
    try:
        versions["trialkit"] = metadata.version("trialkit")
    except metadata.PackageNotFoundError:
        versions["trialkit"] = "unknown"
    wanted = [(name, frozenset()) for name in DEPENDENCIES]
    done: set[tuple[str, frozenset]] = set()
    while wanted:
        name, extras = wanted.pop()
        key = canonicalize_name(name)
        if (key, extras) in done:
            continue
        done.add((key, extras))
        try:
            version, requires = _version_and_requirements(metadata.distribution(key))
        except metadata.PackageNotFoundError:
            versions[key] = "not installed"
            continue
        versions[key] = version
        for text in requires:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras | {""}):
                wanted.append((requirement.name, frozenset(requirement.extras)))
    return tuple(sorted(versions.items()))


def _version_and_requirements(dist: metadata.Distribution) -> tuple[str, list[str]]:
    """``Version`` and the ``Requires-Dist`` lines of a distribution's core metadata, read from its header
    only: ``Distribution.metadata`` parses the whole file, long description included, at each access (half
    of this walk's time for numpy's and pandas's)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    fields: list[list[str]] = []
    for line in text.split("\n\n", 1)[0].splitlines():
        if line[:1] in (" ", "\t") and fields:  # a folded header line continues the one before
            fields[-1][1] += " " + line.strip()
        else:
            name, _, value = line.partition(":")
            fields.append([name.strip().lower(), value.strip()])
    version = next((value for name, value in fields if name == "version"), dist.version)
    return version, [value for name, value in fields if name == "requires-dist"]


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the study folder; an input outside it (public data beside the project, e.g.
    ``../shared/data/x.csv``) as a path with ``..``, never an absolute one, which would differ between machines
    and so change the run identifier and the report's bytes."""
    try:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return path.resolve().as_posix()


def study_files(config: StudyConfig) -> list[Path]:
    """The files a run reads: study.yaml, the records and subjects files, every file in the study's own
    ``templates/`` folder (sorted; a symbolic link counts when it leads inside the study folder) and the logo."""
    files = [config.source, config.records_path, config.subjects_path]
    root = config.root.resolve()
    templates = study_templates(config.root)  # the folder the report reads, also when a link inside the study
    if templates is not None:
        for path in sorted(templates.rglob("*")):
            if path.is_file() and path.resolve().is_relative_to(root):
                files.append(path)
    if config.study.logo:
        logo = config.root / config.study.logo
        if logo.is_file():
            files.append(logo)
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def inputs_of(config: StudyConfig) -> list[dict]:
    """Each file the run reads (:func:`study_files`): path relative to the study folder, size, SHA-256."""
    return [{"path": _relative(f, config.root), "size": f.stat().st_size, "sha256": sha256_file(f)}
            for f in study_files(config)]


def blas_libraries() -> dict[str, str]:
    """The BLAS libraries loaded in this process (numpy's and scipy's, which solve the models), each as its
    implementation, version and the CPU kernels it chose (``openblas 0.3.30, SkylakeX kernels``), by the file
    that holds it. The kernels follow the processor, not the software: two machines with the same packages
    may compute the last bits of a model's estimates differently, and so write a different ard.csv. Empty
    when threadpoolctl (which pingouin's scikit-learn brings) is not installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {}
    found = {}
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        name = Path(info.get("filepath") or info.get("prefix") or "blas").name
        text = " ".join(str(part) for part in (info.get("internal_api"), info.get("version")) if part)
        if info.get("architecture"):
            text += f", {info['architecture']} kernels"
        found[name] = text
    return dict(sorted(found.items()))


def report_date(config: StudyConfig) -> str:
    """study.report_date, else the UTC date of SOURCE_DATE_EPOCH when set, else the data cut-off."""
    import os
    from datetime import datetime, timezone

    if config.study.report_date:
        return config.study.report_date
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
    return config.study.data_cutoff


def run_identifier(config_sha256: str, inputs: list[dict], versions: dict[str, str]) -> str:
    """12 hex digits of the SHA-256 of the configuration, input and software fingerprints."""
    fingerprint = canonical_json({"config": config_sha256, "inputs": [i["sha256"] for i in inputs], "software": versions})
    return sha256_bytes(fingerprint.encode())[:12]


def build(config: StudyConfig) -> dict:
    """Everything about a run that is known before its outputs exist."""
    normalised = normalised_config(config)
    config_sha = sha256_bytes(canonical_json(normalised).encode())
    inputs = inputs_of(config)
    versions = software_versions()
    return {
        "run_id": run_identifier(config_sha, inputs, versions),
        "study": config.source.resolve().as_posix(),  # where to rerun it from (trialkit verify)
        "trialkit_version": versions["trialkit"],
        "python": sys.version.split()[0],
        "software": versions,
        # the report shows it: the operating system and processor, not the kernel's release, which shapes no
        # output and would make reports of the same software differ between machines
        "platform": {"system": platform.system(), "machine": platform.machine()},
        "blas": blas_libraries(),  # not in the run identifier: the report does not show it
        "config": normalised,
        "config_sha256": config_sha,
        "inputs": inputs,
        "seeds": {},  # no analysis uses random numbers
        "report_date": report_date(config),
    }


def with_outputs(manifest: dict, outputs: dict[str, bytes], rendering: dict | None = None) -> dict:
    """The manifest with each output file's path and SHA-256 added, in a fixed order, and what the PDF was
    made with (``rendering``: :func:`trialkit.report.pdf_fonts.environment` of the process that made it):
    ``libraries`` (HarfBuzz, Pango, fontconfig, zlib versions) and ``fonts`` (each embedded font file's
    family, path, size and SHA-256)."""
    done = {**manifest, "outputs": [{"path": name, "sha256": sha256_bytes(data)} for name, data in sorted(outputs.items())]}
    if rendering is not None:
        done["libraries"] = dict(rendering["libraries"])
        done["fonts"] = [dict(font) for font in rendering["fonts"]]
    return done


def to_json(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
