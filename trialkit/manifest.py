"""The manifest of a run: what went in (files, configuration, software) and what came out.

The run identifier is derived from the hashes of the inputs, the normalised configuration and the
software versions -- never from the clock -- so a rerun of the same things has the same identifier.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

from trialkit.config import StudyConfig

#: runtime packages whose versions are recorded (trialkit's dependencies, by distribution name)
DEPENDENCIES = ("numpy", "pandas", "scipy", "jinja2", "matplotlib", "weasyprint", "pydantic", "pyyaml", "click",
                "openpyxl", "pyarrow", "pyreadstat")


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
    versions = {"python": platform.python_version()}
    try:
        versions["trialkit"] = metadata.version("trialkit")
    except metadata.PackageNotFoundError:
        versions["trialkit"] = "unknown"
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()  # an input outside the study folder keeps its absolute path


def inputs_of(config: StudyConfig) -> list[dict]:
    """Each input file: path relative to the study folder, size, SHA-256 (study.yaml first)."""
    files = [config.source, config.records_path, config.subjects_path]
    return [{"path": _relative(f, config.root), "size": f.stat().st_size, "sha256": sha256_file(f)} for f in files]


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
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "release": re.sub(r"\s+", " ", platform.release())},
        "config": normalised,
        "config_sha256": config_sha,
        "inputs": inputs,
        "seeds": {},  # no analysis uses random numbers
        "report_date": report_date(config),
    }


def with_outputs(manifest: dict, outputs: dict[str, bytes]) -> dict:
    """The manifest with each output file's path and SHA-256 added, in a fixed order."""
    return {**manifest, "outputs": [{"path": name, "sha256": sha256_bytes(data)} for name, data in sorted(outputs.items())]}


def to_json(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
