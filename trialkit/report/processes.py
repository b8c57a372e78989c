"""The two-process executor: the figures and the PDF are made in a second Python process, while this one
makes the RTF tables and the HTML report.

Importing WeasyPrint and matplotlib takes about as long as the analysis. The command line therefore starts
the render process (:func:`start_executor`) before it imports pandas: the render process imports them on the
other core while this one reads and analyses the study, then waits for the job. It draws the figures, sends
them back (the HTML report shows them inline), and makes the PDF. The bytes are those of
:class:`~trialkit.report.render.InProcessExecutor` (tested). ``TRIALKIT_RENDER_PROCESS=0``, or a machine with
one CPU, renders in this process instead.

The render process is ``python -m trialkit.report.processes``, speaking pickle over its standard input and
output; it imports neither pandas nor trialkit's analysis code.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from trialkit.report import render
from trialkit.report.render import InProcessExecutor, RenderJob, ReportOutputs


def start_executor() -> TwoProcessExecutor | InProcessExecutor:
    """A started :class:`TwoProcessExecutor`, or an in-process one where a second process is not wanted
    (``TRIALKIT_RENDER_PROCESS=0``, one CPU) or cannot start."""
    if os.environ.get("TRIALKIT_RENDER_PROCESS", "1") == "0" or (os.cpu_count() or 1) < 2 or not sys.executable:
        return InProcessExecutor()
    import trialkit

    # run from the folder that holds this trialkit: `python -m` puts its working folder first on the path, so
    # the process imports the caller's own trialkit, never one that happens to lie in the user's current folder
    home = Path(trialkit.__file__).resolve().parents[1]
    log = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen([sys.executable, "-m", "trialkit.report.processes"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log, cwd=home)
    except OSError:
        log.close()
        return InProcessExecutor()
    return TwoProcessExecutor(process, log)


class TwoProcessExecutor:
    """A started render process, for one job. :meth:`close` stops it (also when it was never used: a run
    that stopped on bad input)."""

    def __init__(self, process: subprocess.Popen, log) -> None:
        self._process = process
        self._log = log
        self._answered = False

    def render(self, job: RenderJob) -> ReportOutputs:
        try:
            pickle.dump(job, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the process died: _receive says why
        rtf = render.make_rtf(job)
        svgs = self._receive()
        html = render.make_html(job, svgs)
        pdf = self._receive()
        self._answered = True
        return render.outputs(pdf, html, rtf)

    def _receive(self):
        try:
            answer = pickle.load(self._process.stdout)
        except (EOFError, pickle.UnpicklingError):
            code = self._process.wait()
            raise RuntimeError(f"the render process failed (exit status {code}):\n{self._read_log()}") from None
        if isinstance(answer, dict) and "user_error" in answer:
            raise answer["user_error"]  # a TrialkitError (a study's template): exit status 2, its message
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError(f"rendering failed in the render process:\n{answer['error']}")
        return answer

    def close(self) -> None:
        """Stop the process if it still runs (it has answered and is tearing down, or its answer is no longer
        wanted), and pass on what it wrote to its error output after a good answer (say, WeasyPrint's warnings
        about a study's own stylesheet)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            stream.close()
        log = self._read_log()
        if log and self._answered:
            from trialkit.errors import shown_message

            sys.stderr.write(shown_message(log))  # it may quote a study's stylesheet or a label: escaped

    def _read_log(self) -> str:
        if self._log.closed:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        self._log.close()
        return text


def _serve() -> int:
    """The render process: import the render libraries, wait for the job, answer the figures, then the PDF."""
    import gc
    import traceback

    from trialkit.errors import TrialkitError

    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to the error log, not into the answer
    import matplotlib.figure  # noqa: F401 - imported while the main process analyses
    import weasyprint  # noqa: F401

    # the libraries' objects live as long as the process: the collector need not walk them again while the job
    # allocates (measured in the README, Performance)
    gc.freeze()
    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:  # the run stopped before its report: nothing to do
        return 0

    def reply(message) -> None:
        pickle.dump(message, answer, protocol=pickle.HIGHEST_PROTOCOL)
        answer.flush()

    try:
        svgs = render.draw_figures(job)
        reply(svgs)
        reply(render.make_pdf(job, svgs))
    except TrialkitError as exc:  # the user's to fix (a study's template): handed back as it is
        reply({"user_error": exc})
    except BaseException:  # noqa: BLE001 - handed back to the main process, which raises it
        reply({"error": traceback.format_exc()})
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
