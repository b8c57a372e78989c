"""Every input format and both layouts land in the same canonical tables and give the same results."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal

from tests.conftest import EXAMPLE, REFERENCE
from trialkit.config import load_config
from trialkit.derivations import derive
from trialkit.loaders import cell_text, load_study
from trialkit.results import build_ard
from trialkit.validation import validate


def _ard(study_dir) -> pd.DataFrame:
    config = load_config(study_dir)
    checked = validate(load_study(config), config)
    checked.raise_for_errors()
    return build_ard(derive(checked, config), checked.subjects, config)


@pytest.fixture(scope="module")
def csv_ard():
    return _ard(EXAMPLE)


def _copy_example(tmp_path, records_name: str, **data_keys):
    shutil.copytree(EXAMPLE / "data", tmp_path / "data")
    config = yaml.safe_load((EXAMPLE / "study.yaml").read_text())
    config["data"]["records"] = f"data/{records_name}"
    config["data"].update(data_keys)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return tmp_path


@pytest.fixture(scope="module")
def records():
    return pd.read_csv(EXAMPLE / "data" / "cgi_visits.csv", dtype={"SUBJID": str})


def test_excel(tmp_path, records, csv_ard):
    study = _copy_example(tmp_path, "cgi_visits.xlsx")
    records.to_excel(study / "data" / "cgi_visits.xlsx", index=False)
    assert_frame_equal(_ard(study), csv_ard)


def test_parquet(tmp_path, records, csv_ard):
    study = _copy_example(tmp_path, "cgi_visits.parquet")
    records.to_parquet(study / "data" / "cgi_visits.parquet", index=False)
    assert_frame_equal(_ard(study), csv_ard)


def test_sas_transport_with_numeric_subject_ids(tmp_path, records, csv_ard):
    import pyreadstat

    study = _copy_example(tmp_path, "cgi.xpt")
    sas = records.assign(SUBJID=records.SUBJID.astype(float))  # SAS stores the ids as numbers: 101 -> 101.0
    pyreadstat.write_xport(sas, str(study / "data" / "cgi.xpt"), table_name="CGI")
    assert_frame_equal(_ard(study), csv_ard)


def test_sas7bdat(tmp_path, csv_ard):
    # written by R haven from the same records: tests/reference/make_sas7bdat.R
    study = _copy_example(tmp_path, "cgi_visits.sas7bdat")
    shutil.copy(REFERENCE / "cgi_visits.sas7bdat", study / "data")
    assert_frame_equal(_ard(study), csv_ard)


def test_wide_layout(tmp_path, records, csv_ard):
    study = _copy_example(tmp_path, "wide.csv", layout="wide",
                          columns={"subject": "SUBJID", "visit": "VISIT", "dose": "DOSE"})
    wide = records.pivot_table(index=["SUBJID", "VISIT"], columns="PARAM", values="AVAL", aggfunc="first").reset_index()
    dose = records.drop_duplicates(["SUBJID", "VISIT"]).set_index(["SUBJID", "VISIT"])["DOSE"]
    wide = wide.join(dose, on=["SUBJID", "VISIT"])
    wide.to_csv(study / "data" / "wide.csv", index=False)
    assert_frame_equal(_ard(study), csv_ard)


def test_wide_layout_needs_a_column_per_measure(tmp_path, records):
    study = _copy_example(tmp_path, "wide.csv", layout="wide", columns={"subject": "SUBJID", "visit": "VISIT"})
    records[["SUBJID", "VISIT"]].assign(**{"CGI-S": 3}).drop_duplicates().to_csv(study / "data" / "wide.csv", index=False)
    from trialkit.errors import DataError

    with pytest.raises(DataError, match=r"wide.csv: row 1: column 'CGI-I' \(from measures.CGI-I in study.yaml\) not found"):
        load_study(load_config(study))


def test_long_layout_needs_measure_and_value_columns(make_study):
    from trialkit.errors import ConfigError

    study = make_study(config={"data": {"columns": {"subject": "SUBJID", "visit": "VISIT"}}})
    with pytest.raises(ConfigError, match=r"layout 'long' needs data.columns.measure and data.columns.value"):
        load_config(study)


def test_cdisc_adam_transport_files(tmp_path, shared_data):
    """The CDISC pilot's ADCIBC and ADSL, read with their ADaM names (USUBJID, AVISIT, PARAMCD, AVAL)."""
    pilot = shared_data / "cdiscpilot01"
    config = {
        "study": {"id": "CDISCPILOT01"},
        "data": {"records": str(pilot / "adcibc.xpt"), "subjects": str(pilot / "adsl.xpt"), "layout": "long",
                 "columns": {"subject": "USUBJID", "visit": "AVISIT", "measure": "PARAMCD", "value": "AVAL"},
                 "filter": {"ANL01FL": ["Y"]}},
        "visits": {"order": ["Week 8", "Week 16", "Week 24"], "baseline": "Week 8", "endpoint": "Week 24"},
        "measures": {"CIBICVAL": {"min": 1, "max": 7}},
        "subjects": {"subgroups": ["SEX"], "arm": "TRT01P", "covariates": ["AGE"]},
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    cfg = load_config(tmp_path)
    data = load_study(cfg)
    # ADCIBC has 730 records (251 + 240 + 239 at Weeks 8, 16, 24) and ADSL 254 subjects (SOURCE.md)
    assert len(data.records) == 730 and len(data.subjects) == 254
    assert data.records.row.min() == 1  # SAS datasets count observations from 1
    checked = validate(data, cfg)
    assert not checked.errors
    # without data.filter the repeated Week 8 records (ANL01FL blank) are duplicates: a fatal error
    unfiltered = cfg.model_copy(update={"data": cfg.data.model_copy(update={"filter": {}})})
    assert {e.check for e in validate(load_study(unfiltered), unfiltered).errors} == {"duplicate_record"}
    # ANL01FL is blank on 25 records (730 = 705 + 25): each is listed, none vanishes
    filtered = checked.issues_frame().query("check == 'filtered'")
    assert len(filtered) == 25 and len(checked.records) == 705
    assert set(filtered.message) == {"excluded by data.filter (ANL01FL must be one of ['Y']): record not analysed"}
    assert set(data.subjects.TRT01P) == {"Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"}
    without = checked.issues_frame().query("check == 'subject_without_records'")
    assert len(without) == 254 - data.records.subject.nunique()


@pytest.mark.parametrize(("cell", "text"), [(101.0, "101"), (2.5, "2.5"), (" 7 ", "7"), (None, ""),
                                             (float("nan"), ""), (b"S1", "S1"), (pd.NA, "")])
def test_cells_are_read_as_a_person_types_them(cell, text):
    assert cell_text(cell) == text
