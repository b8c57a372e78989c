"""Two runs of the same inputs, configuration and software give the same bytes, whatever the process,
hash seed, working directory or output path."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from tests.conftest import EXAMPLE


def _run(out, cwd, seed):
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    subprocess.run([sys.executable, "-m", "trialkit", "run", str(EXAMPLE), "--out", str(out)],
                   cwd=cwd, env=env, check=True, capture_output=True)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


def test_outputs_are_byte_identical_across_processes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _run(tmp_path / "a" / "out", tmp_path / "a", 1)
    second = _run(tmp_path / "b" / "elsewhere" / "results", tmp_path / "b", 4242)
    assert set(first) >= {"report.pdf", "report.html", "ard.csv", "data_issues.csv", "manifest.json"}
    assert first == second
