"""Run the command line in-process and capture what a user would see."""

from __future__ import annotations

from dataclasses import dataclass

from trialkit.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys, *args: str) -> Outcome:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


#: set to 1 to (re)write the approved snapshots under tests/snapshots/ from what the code makes now; review
#: the diff (git diff tests/snapshots) before committing it
APPROVE = "TRIALKIT_APPROVE"


def fixed_manifest(config) -> dict:
    """A manifest for the report snapshots: the example's inputs and configuration, and fixed software, platform
    and run id, so that a snapshot changes only when the report does (not with a library's version)."""
    from trialkit import manifest

    normalised = manifest.normalised_config(config)
    return {"run_id": "0123456789ab", "report_date": config.study.data_cutoff, "inputs": manifest.inputs_of(config),
            "software": {"python": "3.x", "trialkit": "x.y.z"}, "platform": {"system": "Linux", "machine": "x86_64"},
            "config": normalised,
            "config_sha256": manifest.sha256_bytes(manifest.canonical_json(normalised).encode())}


def check_snapshot(name: str, actual: str) -> None:
    """Compare ``actual`` with the approved text tests/snapshots/NAME, or write it there when approving."""
    import difflib
    import os
    from pathlib import Path

    path = Path(__file__).parent / "snapshots" / name
    if os.environ.get(APPROVE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"no approved snapshot {path}: run with {APPROVE}=1, review and commit it"
    approved = path.read_text(encoding="utf-8")
    if actual != approved:
        diff = "".join(list(difflib.unified_diff(approved.splitlines(True), actual.splitlines(True), f"approved/{name}",
                                                 f"now/{name}"))[:80])
        raise AssertionError(f"{name} differs from the approved snapshot (if the change is meant, rerun with "
                             f"{APPROVE}=1 and review git diff tests/snapshots):\n{diff}")


class Canary:
    """A TCP server on 127.0.0.1 that counts the connections made to it: a hostile value names its URL
    (:attr:`url`), and the test checks that no process of the run, the render process included, came."""

    def __init__(self) -> None:
        import socket
        import threading

        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/canary"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()


def no_network(monkeypatch) -> list:
    """Make this process's every attempt to open an internet connection fail, and record it (the list
    returned): what must not fetch anything is checked to try nothing. Local (Unix) sockets still work."""
    import socket

    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(real):
        def connect(self, address):
            if self.family in (socket.AF_INET, socket.AF_INET6):
                attempts.append(address)
                raise OSError(f"no network in this test (tried {address!r})")
            return real(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    return attempts


def run_hostile(capsys, monkeypatch, study, out, *, render_process: bool = False, canary: Canary | None = None) -> Outcome:
    """``trialkit run STUDY --out OUT`` on a hostile study, with what every such run must show: no traceback, no
    control character on the terminal, no network connection (none tried in this process; none reaching the
    canary from any), and nothing written when it stops (exit status 2)."""
    import re

    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "1" if render_process else "0")
    attempts = no_network(monkeypatch)
    outcome = run_cli(capsys, "run", str(study), "--out", str(out))
    assert outcome.code in (0, 2), outcome.err
    assert "Traceback" not in outcome.err and "internal error" not in outcome.err, outcome.err
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", outcome.out + outcome.err), outcome.err
    assert attempts == [], attempts
    if canary is not None:
        assert canary.connections == 0
    if outcome.code == 2:
        assert "trialkit: error: " in outcome.err
        assert not out.exists(), sorted(p.name for p in out.iterdir())
    return outcome


def numbers_not_in_ard(report, ard) -> tuple[int, list]:
    """Walk every number the report prints from its typed values (table cells, column Ns, the test lines below
    tables, the figures' plotted and printed values): each must be a value of the ARD (a percentage: 100 x a
    proportion). Returns how many numbers were checked and those that are not ARD values, with where they are."""
    import bisect
    import dataclasses
    import math

    from trialkit.report import spec

    known = sorted({float(v) for v in ard["value"] if not math.isnan(v)} | {100 * float(v) for v in ard["value"]
                                                                           if not math.isnan(v)})
    checked, missing = 0, []

    def check(where, x) -> None:
        nonlocal checked
        if x is None or isinstance(x, str) or (isinstance(x, float) and math.isnan(x)):
            return
        k = bisect.bisect_left(known, x - 1e-12)
        if not (k < len(known) and abs(known[k] - x) <= 1e-12):
            missing.append((where, x))
        checked += 1

    def check_fields(where, value, skip=("decimals", "label", "text")) -> None:
        for field in dataclasses.fields(value):
            if field.name not in skip:
                check((*where, field.name), getattr(value, field.name))

    for table in report.tables:
        for column in table.columns:
            check((table.number, column.label, "N"), column.n)
        for block in table.blocks:
            for row in block.rows:
                for cell in row.cells:
                    check_fields((table.number, block.label, row.cells[0]), cell)
        for test in table.tests:
            check_fields((table.number, test.label), test)
    for figure in report.figures:
        plot = figure.plot
        if isinstance(plot, spec.ForestPlot):
            for row in plot.rows:
                check_fields((figure.number, row.label), row, skip=("label", "overall"))
        elif isinstance(plot, spec.MeanPlot):
            for series in plot.series:
                for name in ("mean", "lower", "upper"):
                    for x in getattr(series, name):
                        check((figure.number, series.label, name), x)
        elif isinstance(plot, spec.StackedBarPlot):
            for panel in plot.panels:
                for x in (*panel.n, *(share for shares in panel.shares for share in shares)):
                    check((figure.number, panel.title), x)
        elif isinstance(plot, spec.WaterfallPlot):
            for x in plot.values:
                check((figure.number, "change"), x)
    return checked, missing
