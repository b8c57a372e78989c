"""The README's two commands are what CI runs, verbatim."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", section)


def test_readme_has_the_two_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "trialkit run example_study" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in _readme_commands():
        assert command in ci, command
    assert "export TRIALKIT_REQUIRE_SHARED=1" in ci


def test_templates_ship_inside_the_wheel():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"templates" = "trialkit/templates"' in pyproject
    assert (ROOT / "templates" / "report.html.j2").is_file()
