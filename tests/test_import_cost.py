"""statsmodels and pingouin are heavy imports: only the functions that use them import them, and a run imports
them only for the analyses that use them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("statsmodels", "pingouin")


def _loaded(code: str) -> list[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_trialkit_and_its_stats_loads_neither():
    loaded = _loaded("import trialkit, trialkit.stats, trialkit.results, trialkit.pipeline")
    assert not set(HEAVY) & set(loaded)


def test_the_functions_that_need_them_load_them():
    # the probe must be able to fail: these calls do import them
    loaded = _loaded("from trialkit.stats import paired_t, shift_table\n"
                     "paired_t([1.0, 2.0, 4.0], [0.0, 0.5, 1.0])\n"
                     "import pandas as pd\n"
                     "shift_table(pd.DataFrame({'b': [1, 2], 'e': [2, 1]}), baseline='b', endpoint='e', levels=[1, 2])")
    assert set(HEAVY) <= set(loaded)


def _study(tmp_path, analyses: list[str]):
    """The example study with other analyses."""
    import shutil

    import yaml

    from tests.conftest import EXAMPLE

    folder = tmp_path / "study"
    shutil.copytree(EXAMPLE, folder)
    config = yaml.safe_load((folder / "study.yaml").read_text())
    config["analyses"] = analyses
    (folder / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


@pytest.mark.parametrize(("analyses", "heavy"), [
    (["descriptive", "responder"], set()),
    # the models by subgroup adjust their p-values for the levels with statsmodels' multipletests (Holm)
    (["descriptive", "responder", "lmm", "mmrm"], {"statsmodels"}),
    # the proportional-odds model and the shift tests; paired_t, wilcoxon and friedman load pingouin (which
    # imports statsmodels itself), as test_the_functions_that_need_them_load_them shows
    (["descriptive", "ordinal", "shift"], {"statsmodels"}),
])
def test_a_run_loads_them_only_for_the_analyses_that_use_them(tmp_path, analyses, heavy):
    study = _study(tmp_path, analyses)
    loaded = _loaded(f"from trialkit.pipeline import run_study\nrun_study({str(study)!r}, {str(tmp_path / 'out')!r})")
    assert set(HEAVY) & set(loaded) == heavy
    assert (tmp_path / "out" / "report.pdf").is_file()
