"""Command line: parse arguments, call the library, map errors to exit codes.

Exit status: 0 success, 2 bad input or configuration (a message, no
traceback), 3 ``verify`` found a difference, 1 internal error (a bug in
trialkit: please report it).

Results go to stdout; progress (each stage with its elapsed time, see
:mod:`trialkit.progress`) and errors to stderr. Everything printed passes
through :func:`trialkit.errors.shown_message` (also a library's warning and
the traceback of an internal error): a control character from a data file,
study.yaml or a template reaches the terminal as an escape such as ``\x1b``.
"""

from __future__ import annotations

import sys
import traceback

import click

from trialkit import __version__
from trialkit.errors import TrialkitError, shown_message


def _progress(quiet: bool):
    from trialkit.progress import StageProgress

    return StageProgress(sys.stderr, mode="off" if quiet else "auto")  # not click.get_text_stream: deprecated in click 8.5


def _echo(text: str, *, err: bool = False) -> None:
    click.echo(shown_message(text), err=err)


quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="Print no progress on stderr (by default each stage with its elapsed time; "
                                 "a moving bar on long stages when stderr is a terminal).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trialkit")
def cli() -> None:
    """trialkit: clinical-trial outcome records -> validated analyses -> PDF report.

    A study is a folder holding study.yaml (or the yaml file itself); see the
    README for its keys.
    """


@cli.command()
@click.argument("study", type=click.Path(path_type=str))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Output folder (default: STUDY/output). trialkit owns it: a new or empty folder, or one an "
                   "earlier run wrote; each run replaces all of it at once.")
@quiet_option
def run(study: str, out_dir: str | None, quiet: bool) -> None:
    """Analyse STUDY and write report.pdf, report.html, ard.csv and data_issues.csv.

    Bad input stops the run with exit status 2 and a message naming the file,
    row, column and value; nothing is written then.
    """
    from trialkit.report.processes import start_executor

    executor = start_executor()  # a render process: imports WeasyPrint and matplotlib while this one imports pandas
    from trialkit.pipeline import run_study

    with _progress(quiet) as progress:
        result = run_study(study, out_dir, progress=progress, executor=executor)  # closes it
    n_warn = len(result.issues)
    tables = [name for name in result.files if name.startswith("tables/")]
    named = [name for name in result.files if not name.startswith("tables/")]
    _echo(f"wrote {', '.join(named)} and {len(tables)} RTF tables to {result.out_dir}"
          + (f" ({n_warn} data finding(s) listed in data_issues.csv)" if n_warn else ""))


@cli.command()
@click.argument("study", type=click.Path(path_type=str))
@quiet_option
def validate(study: str, quiet: bool) -> None:
    """Load and validate STUDY only, and print every finding, each with its file, row, column, value and subject.

    Exit status 2 when a finding is fatal (severity error), else 0.
    """
    from trialkit.pipeline import check_study

    with _progress(quiet) as progress:
        _config, checked = check_study(study, progress=progress)
    click.echo("".join(f"{issue.severity}: {issue.check}: {issue.describe()}\n" for issue in checked.issues), nl=False)
    n_err = len(checked.errors)
    _echo(f"{n_err} error(s), {len(checked.issues) - n_err} warning(s)")
    if n_err:
        sys.exit(2)


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=str))
@quiet_option
def verify(out_dir: str, quiet: bool) -> None:
    """Rerun the study recorded in OUT_DIR/manifest.json and compare every output byte for byte.

    Exit status 0 when all are identical; 3 when anything differs, with the likely cause (an input
    file, configuration key or software version that changed, or an output edited after the run).
    """
    from trialkit.verify import verify as run_verify

    with _progress(quiet) as progress:  # the rerun takes as long as the run did
        result = run_verify(out_dir, progress=progress)
    _echo(result.report())
    if not result.ok:
        sys.exit(3)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning (matplotlib's, WeasyPrint's), which may quote a label or a stylesheet: escaped."""
    import warnings

    click.echo(shown_message(warnings.formatwarning(message, category, filename, lineno, line)), err=True, nl=False)


def main(argv: list[str] | None = None) -> None:
    """The command line, as a function: exits with the command's status (SystemExit)."""
    import warnings

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        _main(argv)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="trialkit", standalone_mode=False)
    except TrialkitError as exc:
        _echo(f"trialkit: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("trialkit: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except SystemExit:
        raise
    except Exception:
        click.echo("trialkit: internal error (a bug in trialkit; please report it with this output):", err=True)
        click.echo(shown_message(traceback.format_exc()), err=True, nl=False)  # it may quote a data value
        sys.exit(1)


def entry() -> None:
    """Console entry point (``trialkit``, ``python -m trialkit``): :func:`main`, then leave at once.

    A finished command has written and closed its outputs and stopped its render process; what is left is
    the interpreter's teardown of pandas, scipy and statsmodels, time spent on nothing (measured in the
    README, Performance). Flush what was printed and exit without it.
    """
    import os

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (trialkit ... | head): nothing more to say
            pass
    os._exit(code)
