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
    # ANL01FL is blank on 25 records (730 = 705 + 25): one finding counts them, and names each in `excluded`
    import pyreadstat

    adcibc, _ = pyreadstat.read_xport(str(pilot / "adcibc.xpt"))
    blank_rows = [i + 1 for i in range(len(adcibc)) if adcibc.ANL01FL[i] == ""]
    assert len(blank_rows) == 25
    filtered = checked.issues_frame().query("check == 'filtered'")
    assert len(checked.records) == 705 and len(filtered) == 1
    assert (filtered.row.iat[0], filtered.column.iat[0], filtered.value.iat[0]) == (blank_rows[0], "ANL01FL", "")
    n_subjects = adcibc.USUBJID[adcibc.ANL01FL == ""].nunique()
    assert filtered.message.iat[0] == (
        f"25 records left out by data.filter (ANL01FL must be one of ['Y']): not analysed ({n_subjects} subjects; "
        f"rows {', '.join(map(str, blank_rows[:5]))} and 20 more)")
    assert checked.excluded.query("check == 'filtered'").row.tolist() == blank_rows
    assert set(data.subjects.TRT01P) == {"Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"}
    without = checked.issues_frame().query("check == 'subject_without_records'")
    assert len(without) == 254 - data.records.subject.nunique()


@pytest.mark.parametrize(("cell", "text"), [(101.0, "101"), (2.5, "2.5"), (" 7 ", "7"), (None, ""),
                                             (float("nan"), ""), (b"S1", "S1"), (pd.NA, "")])
def test_cells_are_read_as_a_person_types_them(cell, text):
    assert cell_text(cell) == text


# ---- what a file holds reaches validation, or stops the run with a message; nothing is dropped silently ------

def _load(study):
    return load_study(load_config(study))


def _data_error(study) -> str:
    from trialkit.errors import TrialkitError

    with pytest.raises(TrialkitError) as caught:
        _load(study)
    assert caught.value.exit_code == 2
    return str(caught.value)


@pytest.mark.parametrize(("header", "named"), [("AVAL,AVAL", ""), ("AVAL,AVAL ", " ('AVAL' and 'AVAL ')")])
def test_two_columns_of_one_name(make_study, header, named):
    from tests.conftest import RECORDS

    records = RECORDS.replace("PARAM,AVAL", f"PARAM,{header}").replace("\n", ",1\n").replace(f"{header},1", header)
    assert _data_error(make_study(records=records)) == (
        f"records.csv: row 1: columns 4 and 5 are both named 'AVAL'{named}; give each column its own name")


def test_two_columns_of_one_name_in_parquet(make_study):
    import pyarrow as pa
    import pyarrow.parquet as pq

    study = make_study(records=None, records_name="records.parquet")
    columns = [pa.array(["S1"]), pa.array(["Baseline"]), pa.array(["CGI-S"]), pa.array([3]), pa.array([4])]
    pq.write_table(pa.table(columns, names=["SUBJID", "VISIT", "PARAM", "AVAL", "AVAL"]), study / "records.parquet")
    assert _data_error(study) == "records.parquet: columns 4 and 5 are both named 'AVAL'; give each column its own name"


def test_rows_are_the_files_lines_after_blank_lines_and_line_breaks_in_cells(make_study):
    records = ('SUBJID,VISIT,PARAM,AVAL,NOTE\n\nS1,Baseline,CGI-S,5,"two\nlines"\n\n\n'
               "S1,Week 1,CGI-S,4,\n  \nS1,Week 2,CGI-S,3,\n")
    data = _load(make_study(records=records))
    assert data.records.row.tolist() == [3, 7, 9]
    assert data.records.row.dtype.kind == "i"


def test_rows_after_blank_lines_without_quotes(make_study):
    data = _load(make_study(records="SUBJID,VISIT,PARAM,AVAL\n\nS1,Baseline,CGI-S,5\n\n\nS1,Week 1,CGI-S,4\n"))
    assert data.records.row.tolist() == [3, 6]


def test_a_row_with_more_cells_than_the_header(make_study):
    records = "SUBJID,VISIT,PARAM,AVAL\nS1,Baseline,CGI-S,5\n\nS1,Week 1,CGI-S,4,7\n"
    assert _data_error(make_study(records=records)) == (
        "records.csv: row 4: 5 cells where the header row (row 1) names 4 columns; check the separators and quotes")


def test_a_quote_never_closed_is_named_by_its_row(make_study):
    # the rest of the file was one cell, and the message blamed a visit: "'Week 2' does not occur"
    records = ('SUBJID,VISIT,PARAM,AVAL\nS1,Baseline,CGI-S,5\nS1,"Week 1,CGI-S,4\nS1,Week 2,CGI-S,3\n'
               'S1,Week 3,CGI-S,3\n')
    assert _data_error(make_study(records=records)) == (
        "records.csv: row 3: a quote opens in this row and is never closed, so the rest of the file (3 lines) "
        "would be one cell beginning 'Week 1,CGI-S,4'; close or remove the quote")
    # a closed quote holding a line break, and a quote inside an unquoted cell, are read as before
    data = _load(make_study(records='SUBJID,VISIT,PARAM,AVAL,NOTE\nS1,Baseline,CGI-S,5,"a\nb"\n'
                                    'S1,Week 1,CGI-S,4,5" tall\n'))
    assert data.records.row.tolist() == [2, 4]


def _workbook(path, sheets: dict[str, list[list]]):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


RECORD_ROWS = [["SUBJID", "VISIT", "PARAM", "AVAL"], ["S1", "Baseline", "CGI-S", 5], ["S1", "Week 1", "CGI-S", 4]]


def test_a_workbook_of_several_sheets_needs_data_sheet(make_study):
    study = make_study(records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Notes": [["read me"]], "Visits": RECORD_ROWS})
    assert _data_error(study) == ("records.xlsx: the workbook has 2 sheets ('Notes', 'Visits'); set data.sheet in "
                                  "study.yaml to the one to read (its name, or its position counting from 1)")


@pytest.mark.parametrize("sheet", ["Visits", 2])
def test_data_sheet_picks_the_sheet(make_study, sheet):
    study = make_study(config={"data": {"sheet": sheet}}, records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Notes": [["read me"]], "Visits": RECORD_ROWS})
    assert _load(study).records[["subject", "visit", "raw_value", "row"]].values.tolist() == [
        ["S1", "Baseline", "5", 2], ["S1", "Week 1", "4", 3]]


def test_data_sheet_that_is_not_there(make_study):
    study = make_study(config={"data": {"sheet": "Visit"}}, records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Notes": [["read me"]], "Visits": RECORD_ROWS})
    assert _data_error(study) == "data.sheet: records.xlsx has no sheet 'Visit' (did you mean 'Visits'?); its sheets: 'Notes', 'Visits'"
    study = make_study(config={"data": {"sheet": 3}}, records=None, records_name="records.xlsx")
    assert _data_error(study) == "data.sheet: sheet 3 asked for, but records.xlsx has 2 sheet(s): 'Notes', 'Visits'"


def test_data_sheet_for_a_csv_file(make_study):
    assert _data_error(make_study(config={"data": {"sheet": "Visits"}})) == (
        "data.sheet: set to 'Visits', but records.csv is not an Excel workbook (.xlsx); remove the key")


def test_a_formula_without_a_stored_value(make_study):
    study = make_study(records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Visits": RECORD_ROWS + [["S1", "Week 2", "CGI-S", "=D3-1"]]})
    assert _data_error(study) == (
        "records.xlsx: sheet 'Visits': cell D4 hold a formula whose value the file does not store; open the workbook "
        "in Excel or LibreOffice and save it (that stores the values), or replace the formulas by their values")


def test_a_table_lower_down_a_sheet_keeps_the_sheets_row_numbers(make_study):
    study = make_study(records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Visits": [["Study T-1 listing"], [], *RECORD_ROWS[:2], [], RECORD_ROWS[2]]})
    with pytest.raises(Exception, match=r"records.xlsx: row 1: column 'SUBJID' \(from data.columns.subject"):
        _load(study)  # the title line is the header then: the message says where it looked
    _workbook(study / "records.xlsx", {"Visits": [[], [None, *RECORD_ROWS[0]], [None, *RECORD_ROWS[1]], [],
                                                  [None, *RECORD_ROWS[2]]]})
    assert _load(study).records.row.tolist() == [3, 5]


@pytest.mark.parametrize("text", ["#DIV/0!", "NA", "#N/A"])
def test_excel_error_cells_and_na_read_as_the_same_text_in_a_csv(make_study, text):
    from trialkit.validation import validate

    def findings(study):
        config = load_config(study)
        frame = validate(load_study(config), config).issues_frame()
        return frame[frame.severity == "error"][["check", "row", "column", "value"]].values.tolist()

    from tests.conftest import RECORDS

    csv_study = make_study(records=RECORDS.replace("S1,Week 1,CGI-S,4", f"S1,Week 1,CGI-S,{text}"))
    expected = findings(csv_study)
    assert expected == [["non_numeric", 4, "AVAL", text]]
    rows = [line.split(",") for line in RECORDS.strip().splitlines()]
    rows = [rows[0]] + [[*r[:3], int(r[3])] for r in rows[1:]]
    rows[3][3] = text  # openpyxl stores "#DIV/0!" and "#N/A" as error cells, "NA" as text
    study = make_study(records=None, records_name="records.xlsx")
    _workbook(study / "records.xlsx", {"Visits": rows})
    assert findings(study) == expected


def test_a_parquet_list_column_the_study_maps(make_study):
    import pyarrow as pa
    import pyarrow.parquet as pq

    study = make_study(records=None, records_name="records.parquet")
    table = pa.table({"SUBJID": ["S1"], "VISIT": ["Baseline"], "PARAM": ["CGI-S"], "AVAL": pa.array([[3, 4]]),
                      "TAGS": pa.array([["a"]])})
    pq.write_table(table, study / "records.parquet")
    assert _data_error(study) == ("records.parquet: column 'AVAL' (from data.columns.value in study.yaml) is a "
                                  "list column (several values in each cell); trialkit reads one value per record")
    pq.write_table(table.set_column(3, "AVAL", pa.array([3])), study / "records.parquet")
    assert _load(study).records.raw_value.tolist() == ["3"]  # an unmapped list column is no concern


def test_a_missing_column_in_a_sas_file_lists_every_column_and_close_matches(tmp_path, shared_data):
    pilot = shared_data / "cdiscpilot01"
    config = {
        "study": {"id": "CDISCPILOT01"},
        "data": {"records": str(pilot / "adcibc.xpt"), "subjects": str(pilot / "adsl.xpt"), "layout": "long",
                 "columns": {"subject": "USUBJID", "visit": "AVISIT", "measure": "PARAMCD", "value": "aval"}},
        "visits": {"order": ["Week 8", "Week 16", "Week 24"], "baseline": "Week 8", "endpoint": "Week 24"},
        "measures": {"CIBICVAL": {"min": 1, "max": 7}},
        "subjects": {"subgroups": ["SEXX"]},
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    message = _data_error(tmp_path)
    import pyreadstat

    _, meta = pyreadstat.read_xport(str(pilot / "adcibc.xpt"), metadataonly=True)
    assert message == (
        "adcibc.xpt: column 'aval' (from data.columns.value in study.yaml) not found (did you mean 'AVAL'?); the file "
        f"has {len(meta.column_names)} columns: {', '.join(meta.column_names)}. Rename the column or change "
        "data.columns.value.")
    config["data"]["columns"]["value"] = "AVAL"
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    _, adsl = pyreadstat.read_xport(str(pilot / "adsl.xpt"), metadataonly=True)
    assert len(adsl.column_names) > 40
    message = _data_error(tmp_path)
    assert message.startswith("adsl.xpt: column 'SEXX' (from subjects.subgroups (SEXX) in study.yaml) not found "
                              f"(did you mean 'SEX'?); the file has {len(adsl.column_names)} columns: STUDYID, ")
    assert message.endswith(f" and {len(adsl.column_names) - 40} more. Rename the column or change subjects.subgroups.")


def test_a_control_character_in_a_header_is_shown_escaped(make_study):
    from tests.conftest import RECORDS

    message = _data_error(make_study(records=RECORDS.replace("AVAL", "\x1b[2JAVAL\x07", 1)))
    assert "\x1b" not in message and "\x07" not in message
    assert "the file has 4 columns: SUBJID, VISIT, PARAM, \\x1b[2JAVAL\\x07." in message
