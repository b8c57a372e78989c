"""statsmodels and pingouin are heavy imports: only the functions that use them import them."""

from __future__ import annotations

import json
import subprocess
import sys

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
