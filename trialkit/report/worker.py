"""The render process: draws the figures and makes the PDF in a second Python process, while the main
process writes the RTF tables, the HTML report and the datasets.

Importing WeasyPrint and matplotlib takes about as long as making the PDF. The command line therefore
starts this process before it imports pandas and reads the study, so that those imports happen on the
second core while the main process analyses; by the time the report is due, the render process waits,
warmed up, for its one job (:func:`trialkit.report.render.figures_and_pdf`).

It is a plain subprocess (``python -m trialkit.report.worker``) speaking pickle over its standard input
and output, one job in and one result out, and it imports neither pandas nor the rest of trialkit's
analysis code. ``TRIALKIT_RENDER_PROCESS=0`` renders in the calling process instead, as does a machine
with one CPU; the bytes are the same either way.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
from pathlib import Path


def _wanted() -> bool:
    return os.environ.get("TRIALKIT_RENDER_PROCESS", "1") != "0" and (os.cpu_count() or 1) > 1


class RenderProcess:
    """A started render process, waiting for its job. Use :meth:`start`, then :meth:`run` once, or
    :meth:`close` to let it go unused (a run that stopped on bad input)."""

    def __init__(self, proc: subprocess.Popen, stderr) -> None:
        self._proc = proc
        self._stderr = stderr
        self._sender: threading.Thread | None = None

    @classmethod
    def start(cls) -> RenderProcess | None:
        """Start the render process, or return None where it is not wanted or cannot start."""
        if not _wanted():
            return None
        import trialkit

        env = dict(os.environ)
        source = str(Path(trialkit.__file__).resolve().parents[1])  # the same trialkit as the caller's
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        stderr = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "trialkit.report.worker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=stderr, env=env)
        except OSError:
            stderr.close()
            return None
        return cls(proc, stderr)

    def submit(self, job: dict) -> None:
        """Hand over the job without waiting: the process may still be importing, and a job larger than
        the pipe's buffer would otherwise block the caller until it reads."""
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)

        def send() -> None:
            try:
                self._proc.stdin.write(payload)
                self._proc.stdin.close()
            except (BrokenPipeError, OSError):  # the process died; result() says why
                pass

        self._sender = threading.Thread(target=send, daemon=True)
        self._sender.start()

    def result(self) -> dict:
        """The job's result; raises RuntimeError with the process's own error output if it failed."""
        data = self._proc.stdout.read()
        self._proc.stdout.close()
        code = self._proc.wait()
        if self._sender is not None:
            self._sender.join()
        log = self._read_log()
        try:
            result = pickle.loads(data) if data else None
        except Exception:  # a truncated answer: the process died while writing
            result = None
        if code != 0 or result is None:
            raise RuntimeError(f"the render process failed (exit status {code}):\n{log}")
        if "error" in result:
            raise RuntimeError(f"rendering failed in the render process:\n{result['error']}")
        if log:  # warnings (say, from a study's own stylesheet) reach the user as they would in-process
            sys.stderr.write(log)
        return result

    def run(self, job: dict) -> dict:
        self.submit(job)
        return self.result()

    def close(self) -> None:
        """Stop the process if it is still running (it has no side effects to lose), and reap it."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._sender is not None:
            self._sender.join()
        elif not self._proc.stdin.closed:
            self._proc.stdin.close()
        for stream in (self._proc.stdout, self._stderr):
            if not stream.closed:
                stream.close()

    def _read_log(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        return text

    def __enter__(self) -> RenderProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render(job: dict, process: RenderProcess | None = None) -> dict:
    """Run a render job in ``process``, or here when there is none."""
    if process is not None:
        return process.run(job)
    from trialkit.report.render import figures_and_pdf

    return figures_and_pdf(job)


_WARM_UP_SPECS = [
    {"kind": "mean_ci", "visits": ["A", "B"], "xlabel": "x", "ylabel": "y",
     "series": [{"label": "a", "overall": True, "mean": [1.0, 2.0], "lower": [0.5, 1.5], "upper": [1.5, 2.5]}]},
    {"kind": "trajectories", "visits": ["A", "B"], "levels": ["a"], "xlabel": "x", "ylabel": "y",
     "subjects": [{"level": 0, "x": [0, 1], "y": [1.0, 2.0]}]},
    {"kind": "waterfall", "values": [1.0, -1.0], "level_of_bar": [0, 0], "levels": ["a"], "xlabel": "x", "ylabel": "y"},
    {"kind": "forest", "rows": [{"label": "x", "overall": True, "estimate": 0.0, "lower": -1.0, "upper": 1.0}],
     "xlabel": "x"},
]


def _warm_up() -> None:
    """Import and exercise WeasyPrint and matplotlib once, on a small page made like the report (its
    stylesheet, a monospaced table, a figure, page-margin counters), while the main process is still busy
    importing and analysing: fonts are found and caches filled before the real job arrives."""
    from trialkit.report.figures import draw
    from trialkit.report.render import FIGURE_URL, ConfinedFetcher, packaged_templates, render_pdf

    svgs = [draw(spec) for spec in _WARM_UP_SPECS]
    css = (packaged_templates() / "report.css").read_text(encoding="utf-8")
    html = (f"<style>{css}</style><h1>x</h1><h2 id='a'>x</h2><h3>x</h3><p class='footnote'>x <b>x</b> <i>x</i></p>"
            "<table class='contents'><tr><td><a href='#a'>x</a></td><td class='page'><a class='page' href='#a'></a>"
            "</td></tr></table><table class='mono'><thead><tr><td>x</td></tr></thead><tbody><tr class='group-row'>"
            "<td>x</td></tr><tr class='emphasis'><td>1.0</td></tr></tbody></table><table class='tlf listing'>"
            "<tr><th>x</th><td>x</td></tr></table><pre class='config'>x</pre>"
            + "".join(f"<img class='figure' src='{FIGURE_URL.format(k)}'>" for k in range(len(svgs))))
    render_pdf(html, fetcher=ConfinedFetcher(figures={FIGURE_URL.format(k): svg for k, svg in enumerate(svgs)}))


def _serve() -> int:
    import traceback

    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to the error log, not into the answer
    _warm_up()
    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:  # the run stopped before its report: nothing to do
        return 0
    from trialkit.report.render import figures_and_pdf

    try:
        result = figures_and_pdf(job)
    except BaseException:  # noqa: BLE001 - handed back to the main process, which raises it
        result = {"error": traceback.format_exc()}
    pickle.dump(result, answer, protocol=pickle.HIGHEST_PROTOCOL)
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
