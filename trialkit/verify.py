"""``trialkit verify OUTDIR``: rerun the study recorded in OUTDIR's manifest and compare, byte for byte.

When something differs, say the likely cause: an input file changed, the configuration changed (which
keys), a software version changed (from what to what), an output was edited after the run, or the
outputs differ although nothing recorded changed (a reproducibility bug).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from trialkit.errors import TrialkitError
from trialkit.manifest import sha256_file


@dataclass
class Verification:
    identical: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differing and not self.causes

    def report(self) -> str:
        if self.ok:
            return f"verified: all {len(self.identical)} outputs are identical to the recorded run"
        lines = [f"NOT reproduced: {len(self.differing)} of {len(self.identical) + len(self.differing)} outputs differ"
                 + (f" ({', '.join(self.differing)})" if self.differing else "")]
        lines += [f"  cause: {c}" for c in self.causes]
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


def verify(out_dir: str | Path) -> Verification:
    """Rerun the study of ``out_dir/manifest.json`` in a temporary folder and compare every output."""
    from trialkit.pipeline import run_study

    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        raise TrialkitError(f"{manifest_path}: no manifest found; is {out_dir} the output folder of a trialkit run?")
    recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
    study = Path(recorded["study"])
    if not study.is_file():
        raise TrialkitError(f"{manifest_path}: the study it records, {study}, is not there any more")
    result = Verification()

    # outputs edited since the run: their bytes no longer match the manifest's hashes
    for item in recorded["outputs"]:
        path = out_dir / item["path"]
        if not path.is_file() or sha256_file(path) != item["sha256"]:
            result.causes.append(f"output {item['path']} was changed or removed after the run")

    with tempfile.TemporaryDirectory(prefix="trialkit-verify-") as tmp:
        rerun = run_study(study, Path(tmp) / "out")
        fresh = json.loads((Path(tmp) / "out" / "manifest.json").read_text(encoding="utf-8"))
    old_outputs = {o["path"]: o["sha256"] for o in recorded["outputs"]}
    new_outputs = {o["path"]: o["sha256"] for o in fresh["outputs"]}
    for name in sorted(set(old_outputs) | set(new_outputs)):
        (result.identical if old_outputs.get(name) == new_outputs.get(name) else result.differing).append(name)

    old_inputs = {i["path"]: i["sha256"] for i in recorded["inputs"]}
    new_inputs = {i["path"]: i["sha256"] for i in fresh["inputs"]}
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(name) != new_inputs.get(name):
            result.causes.append(f"input file {name} changed since the run")
    changed_keys = _diff_keys(recorded["config"], fresh["config"])
    if changed_keys:
        result.causes.append("configuration changed: " + ", ".join(changed_keys))
    for package in sorted(set(recorded["software"]) | set(fresh["software"])):
        before, now = recorded["software"].get(package), fresh["software"].get(package)
        if before != now:
            result.causes.append(f"software version changed: {package} {before} -> {now}")
    if recorded.get("report_date") != fresh.get("report_date"):
        result.causes.append(f"report date changed: {recorded.get('report_date')} -> {fresh.get('report_date')} "
                             "(study.report_date or SOURCE_DATE_EPOCH)")
    recorded_cause = bool(result.causes)
    if result.differing and not recorded_cause:
        result.causes.append("outputs differ although no input, configuration or software changed: a "
                             "reproducibility bug in trialkit (please report it): " + ", ".join(result.differing))
    del rerun
    return result
