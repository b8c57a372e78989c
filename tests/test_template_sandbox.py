"""A study's own templates run sandboxed (issue 11.2): no code, no file outside the template folders, no
runaway sizes, and every failure in them is exit status 2 naming the template file and line (11.5).

The whole runs of the issue's examples are in tests/corpus/ (template_*.json, replayed by
tests/test_properties.py::test_the_regression_corpus); here each guard is tested on its own."""

from __future__ import annotations

import jinja2
import pytest

from tests.helpers import run_hostile
from trialkit.errors import TemplateError, TrialkitError
from trialkit.report import sandbox
from trialkit.report.sandbox import render
from trialkit.report.templates import _environment, packaged_templates


@pytest.fixture
def study_templates(tmp_path):
    folder = tmp_path / "study" / "templates"
    folder.mkdir(parents=True)
    return folder.resolve()


def _render(folder, source: str, name: str = "page.html.j2", **context) -> str:
    (folder / name).write_text(source)
    _environment.cache_clear()  # a fresh environment: each test's folder is new
    return render(_environment(folder), name, folder, **context)


class _Value:
    title = "T"


# ---- no code: the attributes and format fields that lead to Python's internals are refused ---------------

@pytest.mark.parametrize("expression, refused", [
    ("cycler.__init__.__globals__.os.popen('id').read()", "'__init__'"),
    ("joiner.__init__.__globals__['os'].system('id')", "'__init__'"),
    ("lipsum.__globals__['os'].popen('id').read()", "'__globals__'"),
    ("''.__class__.__mro__[1].__subclasses__()", "'__class__'"),
    ("value.__class__.__base__.__subclasses__()", "'__class__'"),
    ("(value|attr('__class__')).__mro__", "'__class__'"),
    ("self._TemplateReference__context", "'_TemplateReference__context'"),
    ("range.__globals__", "'__globals__'"),
    ("namespace.__init__.__globals__", "'__init__'"),
    ("'{0.__class__.__init__.__globals__}'.format(value)", "'__init__'"),
    ("'{0.__class__}'.format(value)", "'__class__'"),
    ("'{x.__class__}'.format_map({'x': value})", "'__class__'"),
])
def test_an_expression_cannot_reach_pythons_internals(study_templates, expression, refused):
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "<p>\n{{ " + expression + " }}</p>\n", value=_Value())
    message = str(error.value)
    assert message.startswith(f"{study_templates / 'page.html.j2'}, line 2: ")
    assert refused in message and "unsafe" in message


def test_the_sandbox_is_jinjas_and_has_no_extensions():
    from jinja2.sandbox import SandboxedEnvironment

    env = _environment(None)
    assert isinstance(env, SandboxedEnvironment) and env.extensions == {}
    assert env.undefined is jinja2.StrictUndefined and env.autoescape("report.html.j2")


# ---- no runaway sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, says", [
    ("range(10**9)|length", "Range too big"),
    ("10**100000", "a power of about"),
    ("('x' * 10**9)|length", "a repetition of 1,000,000,000 items"),
    ("([0] * 10**9)|length", "a repetition of 1,000,000,000 items"),
    ("'{:>999999999}'.format(1)", "pads to '>999999999'"),
    ("'{:{}}'.format(1, 999999999)", "pads to '{}'"),
    ("'%999999999d' % 1", "pads to 999999999"),
    ("'%999999999d'|format(1)", "pads to 999999999"),
    ("'%*d'|format(999999999, 1)", "an argument of 999,999,999"),
    ("'x'.center(10**9)", "an argument of 1,000,000,000"),
    ("'x'|center(10**9)", "an argument of 1,000,000,000"),
    ("'x'|indent(10**9)", "an argument of 1,000,000,000"),
    ("[1]|batch(10**9, 0)|list", "an argument of 1,000,000,000"),
    ("('x' * 10**6).replace('x', 'yy')|length", "a replaced text of 2,000,000 characters"),
    ("(('x' * 10**6)|replace('x', 'yy'))|length", "a replaced text beyond the limit"),
    ("([('x' * 10**6)] * 100)|join|length", "a joined text of 100,000,000 characters"),
    ("''.join([('x' * 10**6)] * 100)|length", "a joined text of 100,000,000 characters"),
    ("(('x' * 10**6) + ('x' * 10**6))|length", "a value of 2,000,000 items"),
])
def test_one_expression_cannot_ask_for_gigabytes(study_templates, expression, says):
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "{{ " + expression + " }}")
    assert says in str(error.value) and ", line 1: " in str(error.value)


def test_ordinary_expressions_still_work(study_templates):
    source = ("{{ 'ab' * 3 }}|{{ 2**10 }}|{{ '%5.2f'|format(1.5) }}|{{ '{:>4}'.format('a') }}|{{ range(3)|list }}|"
              "{{ 'x'|center(5) }}|{{ 'a-b'.replace('-', '+') }}|{{ ['a', 'b']|join(', ') }}|{{ 7 % 3 }}")
    assert _render(study_templates, source) == "ababab|1024| 1.50|   a|[0, 1, 2]|  x  |a+b|a, b|1"


def test_the_whole_output_is_limited(study_templates, monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 1_000)
    with pytest.raises(TemplateError, match="page.html.j2: writes more than 1,000 characters"):
        _render(study_templates, "{% for i in range(100000) %}x{% endfor %}")


def test_a_macro_that_calls_itself_is_exit_2(study_templates):
    with pytest.raises(TemplateError, match="line 1: templates nested too deeply"):
        _render(study_templates, "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")


# ---- errors name the template file and line ---------------------------------------------------------------

def test_a_syntax_error_names_the_file_and_line(study_templates):
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "<p>\n\n{% for x in %}</p>")
    assert str(error.value).startswith(f"{study_templates / 'page.html.j2'}, line 3: template syntax error: ")


def test_a_syntax_error_in_an_included_template_names_that_file(study_templates):
    (study_templates / "part.j2").write_text("ok\n{{ 1 + }}\n")
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "{% include 'part.j2' %}")
    assert str(error.value).startswith(f"{study_templates / 'part.j2'}, line 2: template syntax error")


def test_an_undefined_name_names_the_file_and_line(study_templates):
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "a\nb\n{{ nosuch }}")
    assert str(error.value) == f"{study_templates / 'page.html.j2'}, line 3: undefined: 'nosuch' is undefined"


def test_an_error_in_a_block_of_a_study_template_that_extends_the_packaged_page(study_templates):
    (study_templates / "base.j2").write_text("<main>{% block body %}{% endblock %}</main>")
    with pytest.raises(TemplateError, match=r"page.html.j2, line 2: undefined: 'nosuch' is undefined"):
        _render(study_templates, "{% extends 'base.j2' %}{% block body %}\n{{ nosuch }}{% endblock %}")
    assert _render(study_templates, "{% extends 'base.j2' %}{% block body %}x{% endblock %}") == "<main>x</main>"


def test_a_study_template_that_is_not_utf8_is_exit_2(study_templates):
    (study_templates / "page.html.j2").write_bytes(b"caf\xe9")
    _environment.cache_clear()
    with pytest.raises(TemplateError, match=r"page.html.j2: not UTF-8 text \(byte 0xe9 at position 3\)"):
        render(_environment(study_templates), "page.html.j2", study_templates)


def test_a_failure_in_trialkits_own_templates_stays_a_bug(tmp_path):
    """A template outside the study's folder is trialkit's: its failure is not the user's to fix."""
    folder = tmp_path.resolve()
    (folder / "page.html.j2").write_text("{{ nosuch }}")
    _environment.cache_clear()
    with pytest.raises(jinja2.UndefinedError) as error:
        render(_environment(folder), "page.html.j2", None)
    assert not isinstance(error.value, TrialkitError)


# ---- no file but the template folders' own --------------------------------------------------------------

def test_an_include_of_a_symlink_to_etc_passwd_is_refused(study_templates):
    (study_templates / "passwd.css").symlink_to("/etc/passwd")
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "<style>\n{% include 'passwd.css' %}</style>")
    message = str(error.value)
    assert message.startswith(f"{study_templates / 'page.html.j2'}, line 2: {study_templates / 'passwd.css'} is a "
                              "symbolic link that leads outside its templates folder")
    assert "root:" not in message


def test_a_study_stylesheet_that_links_out_is_refused_not_replaced_by_the_packaged_one(study_templates):
    (study_templates / "report.css").symlink_to("/etc/passwd")
    _environment.cache_clear()
    with pytest.raises(TemplateError, match="report.css is a symbolic link that leads outside its templates folder"):
        render(_environment(study_templates), "report.css", study_templates)


@pytest.mark.parametrize("name", ["../study.yaml", "../../../../etc/passwd", "/etc/passwd", "sub/../../study.yaml"])
def test_a_template_name_cannot_leave_the_folder(study_templates, name):
    (study_templates.parent / "study.yaml").write_text("secret: 1\n")
    with pytest.raises(TemplateError) as error:
        _render(study_templates, "{% include '" + name + "' %}")
    assert f"template '{name}' not found" in str(error.value)
    with pytest.raises(TemplateError, match="not found"):
        _render(study_templates, "{% import '" + name + "' as x %}")
    with pytest.raises(TemplateError, match="not found"):
        _render(study_templates, "{% extends '" + name + "' %}")


def test_a_symlink_inside_the_folder_and_the_packaged_templates_are_read(study_templates):
    (study_templates / "real.j2").write_text("inside")
    (study_templates / "alias.j2").symlink_to(study_templates / "real.j2")
    assert _render(study_templates, "{% include 'alias.j2' %}|{% include 'report.css' %}").startswith("inside|")
    assert (packaged_templates() / "report.css").read_text()[:40] in _render(study_templates, "{% include 'report.css' %}")


def test_a_run_in_the_render_process_names_the_template_and_line(make_study, tmp_path, capsys, monkeypatch):
    """The PDF is made in a second process: the template's error (here only in the PDF's page) crosses back as
    exit status 2, not a traceback."""
    study = make_study()
    (study / "templates").mkdir()
    (study / "templates" / "report.html.j2").write_text('<p>\n{% if medium == "pdf" %}{{ report.__class__ }}'
                                                        "{% endif %}</p>\n")
    outcome = run_hostile(capsys, monkeypatch, study, tmp_path / "out", render_process=True)
    assert outcome.code == 2
    assert f"{(study / 'templates' / 'report.html.j2').resolve()}, line 2: refused by the template sandbox" in outcome.err


@pytest.mark.parametrize("template", ["<p>{{ report.study.id }} only</p>\n",
                                      '<p>{{ report.study.id }}</p>{{ figures["Figure 14.2.1"] }}\n'])
def test_a_study_template_that_leaves_figures_out_makes_its_report(make_study, tmp_path, capsys, monkeypatch,
                                                                    template):
    """The PDF's check that every figure shows counted the report's figures, not the template's: a study's own
    page without (all of) them was exit 1, "internal error ... could not show the report's figures"."""
    from pypdf import PdfReader

    study = make_study()
    (study / "templates").mkdir()
    (study / "templates" / "report.html.j2").write_text(template)
    outcome = run_hostile(capsys, monkeypatch, study, tmp_path / "out")
    assert outcome.code == 0, outcome.err
    assert "T-1" in PdfReader(tmp_path / "out" / "report.pdf").pages[0].extract_text()
