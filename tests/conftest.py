"""Shared fixtures: the example study, small study folders built in tmp_path, reference data."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_study"
REFERENCE = ROOT / "tests" / "reference"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped when absent, except where TRIALKIT_REQUIRE_SHARED=1 (CI) makes that a failure."""
    if not SHARED.is_dir():
        if os.environ.get("TRIALKIT_REQUIRE_SHARED") == "1":
            pytest.fail(f"TRIALKIT_REQUIRE_SHARED=1 but the shared reference data are missing: {SHARED}")
        pytest.skip(f"shared reference data not present at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def reference():
    """Load a JSON file of R reference values from tests/reference/."""
    return lambda name: json.loads((REFERENCE / name).read_text())


BASE_CONFIG = {
    "study": {"id": "T-1", "title": "Test study"},
    "data": {
        "records": "records.csv",
        "subjects": "subjects.csv",
        "layout": "long",
        "columns": {"subject": "SUBJID", "visit": "VISIT", "measure": "PARAM", "value": "AVAL"},
    },
    "visits": {"order": ["Baseline", "Week 1", "Week 2"], "baseline": "Baseline", "endpoint": "Week 2"},
    "measures": {"CGI-S": {"min": 1, "max": 7}, "CGI-I": {"min": 1, "max": 7, "responder_max": 2}},
    "subjects": {"genotype_flags": ["GRM1"], "subgroups": ["TIER"]},
    "analyses": ["descriptive", "paired_t", "wilcoxon", "responder"],
}

RECORDS = """SUBJID,VISIT,PARAM,AVAL
S1,Baseline,CGI-S,5
S1,Baseline,CGI-I,4
S1,Week 1,CGI-S,4
S1,Week 1,CGI-I,3
S1,Week 2,CGI-S,3
S1,Week 2,CGI-I,2
S2,Baseline,CGI-S,4
S2,Baseline,CGI-I,4
S2,Week 1,CGI-S,4
S2,Week 1,CGI-I,4
S2,Week 2,CGI-S,4
S2,Week 2,CGI-I,3
S3,Baseline,CGI-S,6
S3,Baseline,CGI-I,5
S3,Week 1,CGI-S,5
S3,Week 1,CGI-I,3
S3,Week 2,CGI-S,3
S3,Week 2,CGI-I,1
"""

SUBJECTS = """SUBJID,TIER,GRM1
S1,1,1
S2,2,0
S3,1,yes
"""


@pytest.fixture
def make_study(tmp_path):
    """Write a small study folder; override config keys, the records and subjects text, or add files."""

    def make(config: dict | None = None, records: str | bytes = RECORDS, subjects: str | bytes = SUBJECTS,
             records_name: str = "records.csv") -> Path:
        cfg = json.loads(json.dumps(BASE_CONFIG))
        for key, value in (config or {}).items():
            if isinstance(value, dict) and isinstance(cfg.get(key), dict):
                cfg[key].update(value)
            else:
                cfg[key] = value
        cfg["data"]["records"] = records_name
        (tmp_path / "study.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        for name, content in ((records_name, records), ("subjects.csv", subjects)):
            if content is None:
                continue
            path = tmp_path / name
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return tmp_path

    return make


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """One end-to-end run of example_study, shared by the tests that read its outputs."""
    from trialkit.pipeline import run_study

    out = tmp_path_factory.mktemp("example_out")
    study = tmp_path_factory.mktemp("example_study")
    shutil.copytree(EXAMPLE, study, dirs_exist_ok=True)
    run_study(study, out)
    return out


@pytest.fixture(scope="session")
def ard(example_run):
    """The ARD that the end-to-end run of example_study wrote, read back."""
    from trialkit.results import read_ard

    return read_ard(example_run / "ard.csv")
