"""Render processes: the PDF is made in one other Python process, the figures and the RTF tables in a
second, while the main process writes the HTML report and the datasets.

Importing WeasyPrint, matplotlib and rtflite takes about as long as making the PDF. The command line
therefore starts both processes before it imports pandas and reads the study, so that those imports
happen on the other core while the main process analyses; when the report is due, each waits, warmed
up, for its job. The PDF process renders the report's HTML from the context and lays it out while the
figure process draws the figures (their sizes are known from their specs); each figure is passed on to
the PDF process as soon as it is drawn and is needed only when its page is written.

Each is a plain subprocess (``python -m trialkit.report.worker ROLE``) speaking pickle over its
standard input and output, and imports neither pandas nor trialkit's analysis code.
``TRIALKIT_RENDER_PROCESS=0`` renders in the calling process instead, as does a machine with one CPU;
the bytes are the same either way (tested).
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROLES = ("figures", "pdf")


def _wanted() -> bool:
    return os.environ.get("TRIALKIT_RENDER_PROCESS", "1") != "0" and (os.cpu_count() or 1) > 1


class RenderProcess:
    """One started render process (role ``figures`` or ``pdf``): :meth:`send` messages, :meth:`receive`
    its answer, :meth:`close` it (also when it was never used: a run that stopped on bad input)."""

    def __init__(self, role: str, proc: subprocess.Popen, stderr) -> None:
        self.role = role
        self._proc = proc
        self._stderr = stderr
        self._answered = False
        self._outbox: queue.Queue = queue.Queue()
        # messages go out from a thread: the process may still be importing, and a message larger than the
        # pipe's buffer would otherwise block the caller until it reads
        self._sender = threading.Thread(target=self._send_all, daemon=True)
        self._sender.start()

    @classmethod
    def start(cls, role: str) -> RenderProcess | None:
        """Start a render process, or return None where it is not wanted or cannot start."""
        if role not in ROLES:
            raise ValueError(f"unknown render process role {role!r}")
        if not _wanted() or not sys.executable:  # an embedded Python may not know its own executable
            return None
        import trialkit

        # run from the folder that holds this trialkit: `python -m` puts its working folder first on the
        # path, so the process imports the caller's own trialkit (a source tree or an installed one), never
        # one that happens to lie in the user's current folder
        home = Path(trialkit.__file__).resolve().parents[1]
        stderr = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "trialkit.report.worker", role], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=stderr, cwd=home)
        except OSError:
            stderr.close()
            return None
        return cls(role, proc, stderr)

    def _send_all(self) -> None:
        while (payload := self._outbox.get()) is not None:
            try:
                self._proc.stdin.write(payload)
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):  # the process died or was closed; receive() says why
                break
        try:
            self._proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def send(self, message) -> None:
        """Queue one message for the process, without waiting."""
        self._outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def close_input(self) -> None:
        """No more messages: the process's input closes after those queued."""
        self._outbox.put(None)

    def receive(self) -> dict:
        """The process's answer; raises RuntimeError with the process's own error output if it failed."""
        try:
            answer = pickle.load(self._proc.stdout)
        except Exception:  # noqa: BLE001 - no answer, or a truncated one: the process died
            answer = None
        if answer is None:
            code = self._proc.wait()
            raise RuntimeError(f"the {self.role} render process failed (exit status {code}):\n{self._log()}")
        if "error" in answer:
            raise RuntimeError(f"rendering failed in the {self.role} render process:\n{answer['error']}")
        self._answered = True
        return answer

    def close(self) -> None:
        """Stop the process if it is still running (it has no side effects to lose: either it has answered
        and is only tearing down, or its answer is no longer wanted), reap it, and pass on what it wrote to
        its error output after a good answer (say, WeasyPrint's warnings about a study's own stylesheet)."""
        self.close_input()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._sender.join()
        self._proc.stdout.close()
        log = self._log()
        if log and self._answered:
            sys.stderr.write(log)

    def _log(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        return text


class Renderers:
    """The figure (and RTF) and PDF render processes of one run (either may be None: that part is made in
    this process). :meth:`render` runs the job; the run closes them when it ends, used or not."""

    def __init__(self, figures: RenderProcess | None, pdf: RenderProcess | None) -> None:
        self.figures, self.pdf = figures, pdf

    @classmethod
    def start(cls) -> Renderers:
        return cls(RenderProcess.start("figures"), RenderProcess.start("pdf"))

    @classmethod
    def none(cls) -> Renderers:
        return cls(None, None)

    def render(self, job: dict, specs: list[dict | None], tables: list[dict], meanwhile):
        """Draw ``specs``, write ``tables`` as RTF (:func:`trialkit.report.rtf.tables_to_rtf`) and make the PDF
        of ``job`` (see :func:`trialkit.report.render.make_pdf`); call ``meanwhile(svgs)`` with the drawn
        figures while the PDF is being made. Returns ``(pdf result, RTF files, meanwhile's result)``."""
        from trialkit.report import render, rtf

        if self.pdf is not None:
            self.pdf.send(job)  # lays the report out while the figures are drawn
        if self.figures is not None:
            self.figures.send({"specs": specs, "tables": tables})
            self.figures.close_input()
            drawn = (self.figures.receive()["svg"] for _ in specs)
        else:
            drawn = (render.draw_figures([spec])[0] for spec in specs)
        svgs = []
        for svg in drawn:  # each figure on to the PDF process as soon as it is drawn
            svgs.append(svg)
            if self.pdf is not None:
                self.pdf.send(svg)
        if self.pdf is not None:
            self.pdf.close_input()
        done = meanwhile(svgs)
        rtf_files = self.figures.receive()["rtf"] if self.figures is not None else rtf.tables_to_rtf(tables)
        pdf = self.pdf.receive() if self.pdf is not None else render.make_pdf(job, svgs)
        return pdf, rtf_files, done

    def close(self) -> None:
        for process in (self.figures, self.pdf):
            if process is not None:
                process.close()

    def __enter__(self) -> Renderers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: small figures of each kind, drawn once to warm matplotlib up
WARM_UP_SPECS = [
    {"kind": "mean_ci", "visits": ["A", "B"], "xlabel": "x", "ylabel": "y",
     "series": [{"label": "a", "overall": True, "mean": [1.0, 2.0], "lower": [0.5, 1.5], "upper": [1.5, 2.5]}]},
    {"kind": "trajectories", "visits": ["A", "B"], "levels": ["a"], "xlabel": "x", "ylabel": "y",
     "subjects": [{"level": 0, "x": [0, 1], "y": [1.0, 2.0]}]},
    {"kind": "waterfall", "values": [1.0, -1.0], "level_of_bar": [0, 0], "levels": ["a"], "xlabel": "x", "ylabel": "y"},
    {"kind": "forest", "rows": [{"label": "x", "overall": True, "estimate": 0.0, "lower": -1.0, "upper": 1.0}],
     "xlabel": "x"},
]

#: a small table, written once as RTF to warm rtflite (and polars, pydantic) up
WARM_UP_TABLE = {"number": "Table 0", "title": "x", "population": "x", "columns": ["", "A (N=1)"], "footnote": "x",
                 "interactions": [], "blocks": [{"label": "x", "rows": [{"cells": [{"kind": "text", "value": "n"},
                                                                       {"kind": "num", "value": 1.0, "decimals": 1}]}]}]}

_WARM_UP_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100pt" '
                'height="50pt" viewBox="0 0 100 50"><defs><path id="m" d="M 0 0 L 0 3"/></defs>'
                '<g clip-path="url(#c)"><path d="M 0 0 L 10 10" style="stroke: #000"/></g><use xlink:href="#m" x="5" '
                'y="5"/><text style="font: 8px \'DejaVu Sans\'; text-anchor: middle" x="50" y="40">x</text>'
                '<clipPath id="c"><rect x="0" y="0" width="100" height="50"/></clipPath></svg>')


def _warm_up(role: str) -> None:
    """Import and exercise matplotlib or WeasyPrint once, on work made like the report's (for the PDF: its
    stylesheet, a monospaced table, a figure, page-margin counters), while the main process is still busy
    importing and analysing: fonts are found and caches filled before the real job arrives."""
    from trialkit.report import render

    if role == "figures":
        from trialkit.report import rtf

        render.draw_figures(WARM_UP_SPECS)
        rtf.tables_to_rtf([WARM_UP_TABLE])
        return
    render.environment().get_template("report.html.j2")  # compiled once, for the job's HTML
    css = (render.packaged_templates() / "report.css").read_text(encoding="utf-8")
    html = (f"<style>{css}</style><h1>x</h1><h2 id='a'>x</h2><h3>x</h3><p class='footnote'>x <b>x</b> <i>x</i></p>"
            "<table class='contents'><tr><td><a href='#a'>x</a></td><td class='page'><a class='page' href='#a'></a>"
            "</td></tr></table><table class='mono'><thead><tr><td>x</td></tr></thead><tbody><tr class='group-row'>"
            "<td>x</td></tr><tr class='emphasis'><td>1.0</td></tr></tbody></table><table class='tlf listing'>"
            f"<tr><th>x</th><td>x</td></tr></table><pre class='config'>x</pre><img class='figure' "
            f"src='{render.FIGURE_URL.format(0)}'>")
    render.make_pdf({"html": html, "folders": [], "figure_sizes": [(100 / 72, 50 / 72)]}, [_WARM_UP_SVG])


def _serve(role: str) -> int:
    import traceback

    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to the error log, not into the answer
    if hasattr(os, "nice"):
        # three processes share the machine while the main one imports and analyses: that one comes first,
        # then the PDF's warm-up, then the figures'. Afterwards the main process mostly waits for the PDF, and
        # the PDF process still comes before the figure process's RTF tables.
        os.nice(5 if role == "pdf" else 10)
    _warm_up(role)
    # what is imported and warmed up lives as long as the process: keep the collector from walking it again
    # and again while the job allocates (about 5% of the job)
    gc.freeze()
    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:  # the run stopped before its report: nothing to do
        return 0
    from trialkit.report import render

    def reply(message: dict) -> None:
        pickle.dump(message, answer, protocol=pickle.HIGHEST_PROTOCOL)
        answer.flush()

    try:
        if role == "figures":  # a reply per figure, as it is drawn, then the RTF tables
            from trialkit.report import rtf

            for spec in job["specs"]:
                reply({"svg": render.draw_figures([spec])[0]})
            reply({"rtf": rtf.tables_to_rtf(job["tables"])})
        else:
            received: list[str] = []

            def figure(k: int) -> str:  # figures arrive in report order, as they are drawn
                while len(received) <= k:
                    received.append(pickle.load(sys.stdin.buffer))
                return received[k]

            reply(render.make_pdf(job, figure))
    except BaseException:  # noqa: BLE001 - handed back to the main process, which raises it
        reply({"error": traceback.format_exc()})
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
