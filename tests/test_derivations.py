"""Baseline, change from baseline, endpoint pairs and responder flags on a hand-checked study."""

from __future__ import annotations

import pytest

from tests.conftest import RECORDS
from trialkit.config import load_config
from trialkit.derivations import derive
from trialkit.loaders import load_study
from trialkit.validation import validate


@pytest.fixture
def derived(make_study):
    def run(**kwargs):
        config = load_config(make_study(**kwargs))
        checked = validate(load_study(config), config)
        return derive(checked, config)
    return run


def test_change_from_baseline_by_hand(derived):
    d = derived()
    change = d.change.set_index(["subject", "measure", "visit"])
    # S1 CGI-S: baseline 5, Week 1 4, Week 2 3 -> change -1, -2
    assert change.loc[("S1", "CGI-S", "Week 1"), ["base", "value", "change"]].tolist() == [5, 4, -1]
    assert change.loc[("S1", "CGI-S", "Week 2"), "change"] == -2
    # S3 CGI-I: 5 -> 1 at Week 2
    assert change.loc[("S3", "CGI-I", "Week 2"), "change"] == -4
    assert len(d.change) == 3 * 2 * 2  # 3 subjects x 2 measures x 2 post-baseline visits


def test_subgroup_columns_travel_with_the_records(derived):
    d = derived()
    assert d.endpoint.set_index(["subject", "measure"]).loc[("S2", "CGI-S"), "TIER"] == "2"


def test_missing_baseline_leaves_subject_out_of_change_only(derived):
    d = derived(records=RECORDS.replace("S2,Baseline,CGI-S,4\n", ""))
    assert not ((d.change.subject == "S2") & (d.change.measure == "CGI-S")).any()
    assert ((d.values.subject == "S2") & (d.values.measure == "CGI-S")).sum() == 2  # Week 1, Week 2 still described
    assert ((d.change.subject == "S2") & (d.change.measure == "CGI-I")).sum() == 2


def test_endpoint_pairs_and_responders(derived):
    d = derived(records=RECORDS.replace("S2,Week 2,CGI-I,3\n", ""))
    pairs = d.endpoint[d.endpoint.measure == "CGI-I"].set_index("subject")
    assert sorted(pairs.index) == ["S1", "S3"]
    assert pairs.loc["S1", ["base", "value", "change"]].tolist() == [4, 2, -2]
    # responder: CGI-I <= 2 at Week 2. S1 = 2 (yes), S3 = 1 (yes); S2 has no Week 2 CGI-I: not in the denominator
    resp = d.responders.set_index("subject")["responder"].to_dict()
    assert resp == {"S1": True, "S3": True}
    assert set(d.responders.measure) == {"CGI-I"}  # CGI-S has no responder_max


def test_responder_threshold_is_inclusive(derived):
    d = derived(records=RECORDS.replace("S2,Week 2,CGI-I,3", "S2,Week 2,CGI-I,2"))
    assert d.responders.set_index("subject").loc["S2", "responder"]
