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


def _imports() -> dict[str, set[str]]:
    """trialkit's modules and the trialkit modules each imports (at any level, lazily too; not those imported for
    type checking only): ``from trialkit.stats import mixed`` counts as importing the module trialkit.stats.mixed."""
    import ast

    files = {}
    for path in (ROOT / "trialkit").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text())
        typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                       for statement in block.body for node in ast.walk(statement)}
        found = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("trialkit"):
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in files}
        graph[name] = found - {name}
    return graph


def test_no_import_circles():
    """No module imports, directly or through others, a module that imports it (issue 13: results.py and
    results_mixed.py imported each other). A package importing its own modules is no circle unless one of them
    imports the package's own names back."""
    graph = _imports()
    circles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        path.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                circles.append(path[path.index(other):] + [other])
            elif other not in state:
                visit(other, path)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert circles == []


def test_the_report_reads_only_the_results_never_the_stages_before():
    """Data flow one way: the report package imports nothing of loading, validation, derivations, the statistics
    or the pipeline (it reads the ARD, the findings, the configuration and the manifest)."""
    upstream = ("loaders", "validation", "derivations", "stats", "pipeline", "cli")
    graph = _imports()
    reached = {(module, imported) for module, imports in graph.items() if module.startswith("trialkit.report")
               for imported in imports if imported.split(".")[1:2] and imported.split(".")[1] in upstream}
    assert reached == set()
