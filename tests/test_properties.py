"""Property-based tests (hypothesis): any mutation of the records, the subjects or study.yaml of a valid study
ends in a clean result or a user error (exit status 2, a TrialkitError), never another exception; and every
record the loaders read is either analysed or accounted for by a finding.

The examples are drawn from a fixed seed (``derandomize``): the same examples on every run and machine. Minimal
failing examples found along the way are kept in ``tests/corpus/`` and replayed by
:func:`test_the_regression_corpus`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BASE_CONFIG, RECORDS, SUBJECTS
from trialkit.config import load_config
from trialkit.errors import TrialkitError
from trialkit.loaders import cell_text, load_study
from trialkit.loaders.readers import cell_texts
from trialkit.derivations import derive
from trialkit.results import build_ard
from trialkit.results.estimability import not_estimable
from trialkit.validation import validate

CORPUS = Path(__file__).parent / "corpus"
PROPERTY = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: cells a user's file may hold: the study's own words, numbers near and outside the ranges, text that other
#: tools read as missing or as errors, control characters, separators and quotes
CELL = st.one_of(
    st.sampled_from(["", " ", "NA", "N/A", "#DIV/0!", "#N/A", "nan", "NaN", "inf", "-inf", "1e400", "3.5", "0", "1",
                     "7", "8", "-1", "2.0", "S1", "S2", "S4", "Baseline", "Week 1", "Week 2", "Week 3", "CGI-S",
                     "CGI-I", "CGI-X", "Y", "yes", "maybe", "\x1b[31m", "\x00", "\ufeff", '"', ",", "\n", "a\r\nb",
                     "AVAL", "AVAL ", "SUBJID", "=1+1", "9" * 400]),
    st.text(max_size=8),
)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _operation(cell=CELL):
    index = st.integers(min_value=0, max_value=40)
    return st.one_of(
        st.tuples(st.just("set"), index, index, cell),
        st.tuples(st.just("drop_row"), index),
        st.tuples(st.just("dup_row"), index),
        st.tuples(st.just("blank_line"), index),
        st.tuples(st.just("drop_column"), index),
        st.tuples(st.just("add_column"), cell, cell),
        st.tuples(st.just("rename_column"), index, cell),
        st.tuples(st.just("swap_rows"), index, index),
    )


def _apply(rows: list[list[str]], operations) -> list[list[str] | None]:
    """Rows with the operations applied; None stands for a blank line."""
    rows: list[list[str] | None] = copy.deepcopy(rows)
    for op in operations:
        body = [i for i, r in enumerate(rows) if r is not None]
        kind = op[0]
        if kind == "set" and body:
            r = rows[body[op[1] % len(body)]]
            if r:
                r[op[2] % len(r)] = op[3]
        elif kind == "drop_row" and len(body) > 1:
            del rows[body[1 + op[1] % (len(body) - 1)]]
        elif kind == "dup_row" and body:
            i = body[op[1] % len(body)]
            rows.insert(i, list(rows[i]))
        elif kind == "blank_line":
            rows.insert(op[1] % (len(rows) + 1), None)
        elif kind == "drop_column" and body and rows[body[0]]:
            j = op[1] % len(rows[body[0]])
            rows = [r if r is None else r[:j] + r[j + 1:] for r in rows]
        elif kind == "add_column":
            rows = [r if r is None else r + [op[1] if k == 0 else op[2]] for k, r in enumerate(rows)]
        elif kind == "rename_column" and body and rows[body[0]]:
            header = rows[body[0]]
            header[op[1] % len(header)] = op[2]
        elif kind == "swap_rows" and len(body) > 2:
            i, j = body[1 + op[1] % (len(body) - 1)], body[1 + op[2] % (len(body) - 1)]
            rows[i], rows[j] = rows[j], rows[i]
    return rows


def _text(rows: list[list[str] | None], quoted: bool) -> str:
    """As a spreadsheet would write it (quoted), or joined with commas as a careless script would."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for r in rows:
        if r is None:
            out.write("\n")
        elif quoted:
            writer.writerow(r)
        else:
            out.write(",".join(r) + "\n")
    return out.getvalue()


@st.composite
def mutated_table(draw, text: str) -> str:
    rows = _apply(_rows(text), draw(st.lists(_operation(), min_size=1, max_size=6)))
    mutated = _text(rows, quoted=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:  # now and then a raw edit: cut the file, or insert a few characters
        at = draw(st.integers(0, len(mutated)))
        mutated = mutated[:at] if draw(st.booleans()) else mutated[:at] + draw(st.text(max_size=4)) + mutated[at:]
    return mutated


YAML_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from(["Baseline", "Week 1", "Week 2", "CGI-S", "records.csv", "subjects.csv", "long", "wide",
                               "SUBJID", "VISIT", "PARAM", "AVAL", "us", "descriptive", "."])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=2)),
    max_leaves=6,
)


def _paths(value, prefix=()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, prefix + (key,))
    return out


@st.composite
def mutated_config(draw) -> str:
    config = copy.deepcopy(BASE_CONFIG)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        kind = draw(st.sampled_from(["set", "delete", "add"]))
        if kind == "set":
            parent[path[-1]] = draw(YAML_VALUE)
        elif kind == "delete":
            del parent[path[-1]]
        elif isinstance(parent.get(path[-1]), dict):
            parent[path[-1]][draw(st.text(max_size=6))] = draw(YAML_VALUE)
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    if draw(st.integers(0, 4)) == 0:  # a raw edit of the text: a line repeated or dropped, characters inserted
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["repeat", "drop", "insert"]))
        if edit == "repeat":
            lines.insert(i, lines[i])
        elif edit == "drop":
            del lines[i]
        else:
            lines[i] = draw(st.text(max_size=6)) + lines[i]
        text = "".join(lines)
    return text


def _study(folder: Path, *, config: str | None = None, records: str = RECORDS, subjects: str = SUBJECTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(config if config is not None else yaml.safe_dump(BASE_CONFIG, sort_keys=False),
                                       encoding="utf-8", errors="surrogatepass")
    (folder / "records.csv").write_bytes(records.encode("utf-8", errors="surrogatepass"))
    (folder / "subjects.csv").write_bytes(subjects.encode("utf-8", errors="surrogatepass"))
    return folder


def check_study(folder: Path) -> None:
    """The properties: a TrialkitError (exit status 2) or a result in which every record read is accounted for."""
    try:
        config = load_config(folder)
        data = load_study(config)
        checked = validate(data, config)
    except TrialkitError as exc:
        assert exc.exit_code == 2 and str(exc).strip()
        return
    records = data.records
    assert len(checked.records) + len(checked.excluded) == len(records), "a record vanished without a trace"
    assert records["row"].is_unique or config.data.layout == "wide"
    findings = checked.issues_frame()
    for check, part in checked.excluded.groupby("check"):
        mine = findings[findings.check == check]
        assert len(mine), f"records left out by {check!r} with no {check!r} finding"
        if check in ("empty_subject", "non_numeric", "out_of_range", "duplicate_blank", "missing_visit",
                     "missing_baseline", "missing_endpoint"):
            assert set(part.row) <= set(mine.row.dropna()), f"a {check} record without its own finding"
        elif check in ("unknown_subject", "subject_without_records"):
            assert set(part.subject) <= set(mine.subject), f"a {check} record whose subject has no finding"
    assert findings.row.dtype == "Int64"
    if not checked.errors:  # the analyses run on what validation let through, to NE cells at worst
        ard = build_ard(derive(checked, config), checked.subjects, config)
        assert set(ard.columns) >= {"analysis", "measure", "stat", "value"}
        not_estimable(ard)


@PROPERTY
@given(records=mutated_table(RECORDS))
def test_any_mutation_of_the_records(records):
    with tempfile.TemporaryDirectory() as tmp:
        check_study(_study(Path(tmp), records=records))


@PROPERTY
@given(subjects=mutated_table(SUBJECTS))
def test_any_mutation_of_the_subjects(subjects):
    with tempfile.TemporaryDirectory() as tmp:
        check_study(_study(Path(tmp), subjects=subjects))


@PROPERTY
@given(config=mutated_config())
def test_any_mutation_of_study_yaml(config):
    with tempfile.TemporaryDirectory() as tmp:
        check_study(_study(Path(tmp), config=config))


@settings(PROPERTY, max_examples=15)
@given(records=mutated_table(RECORDS), subjects=mutated_table(SUBJECTS))
def test_any_mutation_runs_the_command_to_exit_0_or_2(records, subjects):
    """The whole command, report included: exit 0 or 2, never a traceback; nothing written when it stops."""
    from trialkit.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        folder = _study(Path(tmp), records=records, subjects=subjects)
        out = Path(tmp) / "out"
        try:
            main(["run", str(folder), "--out", str(out), "--quiet"])
            code = 0
        except SystemExit as exc:
            code = exc.code
        assert code in (0, 2), f"exit status {code}"
        assert (out / "report.pdf").is_file() if code == 0 else not out.exists() or not any(out.iterdir())


EXCEL_CELL = st.one_of(CELL, st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                       st.none(), st.just("=1/0"))


@settings(PROPERTY, max_examples=25)
@given(operations=st.lists(_operation(EXCEL_CELL), min_size=1, max_size=4))
def test_any_mutation_of_an_excel_records_file(operations):
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    rows = [[int(c) if c.isdigit() else c for c in r] for r in _rows(RECORDS)]
    with tempfile.TemporaryDirectory() as tmp:
        config = copy.deepcopy(BASE_CONFIG)
        config["data"]["records"] = "records.xlsx"
        folder = _study(Path(tmp), config=yaml.safe_dump(config))
        book = Workbook()
        try:
            for r in _apply(rows, operations):
                book.active.append([] if r is None else r)
        except IllegalCharacterError:  # control characters no .xlsx file can hold
            return
        book.save(folder / "records.xlsx")
        check_study(folder)


@settings(PROPERTY, max_examples=200)
@given(values=st.lists(st.one_of(st.floats(), st.integers(-2**60, 2**60).map(float)), max_size=20))
def test_cells_as_text_whole_columns_equal_one_by_one(values):
    column = pd.Series(values, dtype=float)
    assert cell_texts(column).tolist() == [cell_text(v) for v in values]
    text = pd.Series([f" {cell_text(v)} " for v in values], dtype="str")
    assert cell_texts(text).tolist() == [cell_text(v) for v in text]


# ---- the regression corpus: minimal failing examples, replayed ------------------------------------------------

def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


@pytest.mark.parametrize("case", _corpus(), ids=lambda p: p.stem)
def test_the_regression_corpus(case, tmp_path, capsys, monkeypatch):
    """Each file holds a study (its study.yaml, records and subjects text, where they differ from the base study
    of tests/conftest.py; other ``files`` and symbolic ``links`` in its folder, such as its own templates), how
    it was found, what went wrong before, and what happens now: an error whose message holds ``now.error``, or
    findings of the checks ``now.findings`` (at the rows ``now.rows``); and, for what only a whole run shows
    (its templates), ``now.run``: the exit status and what the run prints on stderr."""
    from tests.helpers import run_hostile

    example = json.loads(case.read_text())
    folder = _study(tmp_path / "study", config=example.get("study.yaml"), records=example.get("records", RECORDS),
                    subjects=example.get("subjects", SUBJECTS))
    for name, text in example.get("files", {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    for name, target in example.get("links", {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(target)
    check_study(folder)
    expected = example["now"]
    if "run" in expected:
        outcome = run_hostile(capsys, monkeypatch, folder, tmp_path / "out")
        assert outcome.code == expected["run"]["exit"] and expected["run"]["stderr"] in outcome.err, outcome.err
    try:
        config = load_config(folder)
        checked = validate(load_study(config), config)
    except TrialkitError as exc:
        assert expected.get("error") and expected["error"] in str(exc), str(exc)
        return
    assert not expected.get("error"), f"expected an error containing {expected['error']!r}"
    found = checked.issues_frame()
    assert set(expected.get("findings", [])) <= set(found.check), set(found.check)
    for check, rows in expected.get("rows", {}).items():
        assert found[found.check == check].row.tolist() == rows


def test_the_corpus_is_not_empty():
    assert len(_corpus()) >= 5
