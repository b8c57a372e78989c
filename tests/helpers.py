"""Run the command line in-process and capture what a user would see."""

from __future__ import annotations

from dataclasses import dataclass

from trialkit.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys, *args: str) -> Outcome:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


#: set to 1 to (re)write the approved snapshots under tests/snapshots/ from what the code makes now; review
#: the diff (git diff tests/snapshots) before committing it
APPROVE = "TRIALKIT_APPROVE"


def fixed_manifest(config) -> dict:
    """A manifest for the report snapshots: the example's inputs and configuration, and fixed software, platform
    and run id, so that a snapshot changes only when the report does (not with a library's version)."""
    from trialkit import manifest

    normalised = manifest.normalised_config(config)
    return {"run_id": "0123456789ab", "report_date": config.study.data_cutoff, "inputs": manifest.inputs_of(config),
            "software": {"python": "3.x", "trialkit": "x.y.z"}, "platform": {"system": "Linux", "machine": "x86_64"},
            "config": normalised,
            "config_sha256": manifest.sha256_bytes(manifest.canonical_json(normalised).encode())}


def check_snapshot(name: str, actual: str) -> None:
    """Compare ``actual`` with the approved text tests/snapshots/NAME, or write it there when approving."""
    import difflib
    import os
    from pathlib import Path

    path = Path(__file__).parent / "snapshots" / name
    if os.environ.get(APPROVE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"no approved snapshot {path}: run with {APPROVE}=1, review and commit it"
    approved = path.read_text(encoding="utf-8")
    if actual != approved:
        diff = "".join(list(difflib.unified_diff(approved.splitlines(True), actual.splitlines(True), f"approved/{name}",
                                                 f"now/{name}"))[:80])
        raise AssertionError(f"{name} differs from the approved snapshot (if the change is meant, rerun with "
                             f"{APPROVE}=1 and review git diff tests/snapshots):\n{diff}")
