"""Progress of a run on stderr: each stage with its elapsed time, stdout left to the results.

The pipeline reports stages by calling ``progress(stage)`` as each begins (:data:`trialkit.pipeline.Progress`);
:class:`StageProgress` is such a callable. Two ways of showing them:

``lines``
    (stderr is not a terminal: a CI log, a file) one line per stage as it ends, ``trialkit: loading data:
    0.4 s``; a stage that fails says so (``...: stopped after 3.1 s``) before the error message.
``bar``
    (stderr is a terminal) the running stage on one line, redrawn in place; once a stage has run for half a
    second, a moving bar and its elapsed time show that it is working. Each stage ends as the same line as
    in ``lines``.

``--quiet`` on the command line shows nothing (``mode="off"``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal, TextIO

from trialkit.errors import shown

Mode = Literal["auto", "bar", "lines", "off"]

#: a stage shorter than this gets no bar
BAR_AFTER = 0.5
#: seconds between two drawings of the bar
BAR_INTERVAL = 0.1
BAR_WIDTH = 20


class StageProgress:
    """``progress(stage)`` for :func:`trialkit.pipeline.run_study` and :func:`~trialkit.pipeline.check_study`.

    Use it as a context manager so that the last stage is closed (and the bar's thread stopped) before
    anything else is printed::

        with StageProgress(sys.stderr) as progress:
            run_study(study, out, progress=progress)

    Parameters
    ----------
    stream : text stream
        Where to write (stderr).
    mode : {"auto", "bar", "lines", "off"}
        ``auto``: ``bar`` when ``stream`` is a terminal, else ``lines``.
    clock : callable
        Seconds as a float (``time.monotonic``); tests pass their own.
    """

    def __init__(self, stream: TextIO, *, mode: Mode = "auto", clock: Callable[[], float] = time.monotonic) -> None:
        if mode == "auto":
            isatty = getattr(stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "lines"
        self.stream = stream
        self.mode = mode
        self.clock = clock
        self._stage: str | None = None
        self._started = 0.0
        self._drawn = 0  # characters of the line the bar drew last
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- the pipeline's callback -------------------------------------------------------------------------------

    def __call__(self, stage: str) -> None:
        if self.mode == "off":
            return
        with self._lock:
            self._end_stage("")
            self._stage, self._started = stage, self.clock()
            if self.mode == "bar":
                self._draw(f"trialkit: {shown(stage)} ...")
                self._start_ticker()

    def close(self, *, failed: bool = False) -> None:
        """End the last stage (as stopped, when ``failed``) and stop the bar."""
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._end_stage("stopped after " if failed else "")

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(failed=exc_type is not None)

    # -- drawing -----------------------------------------------------------------------------------------------

    def _end_stage(self, prefix: str) -> None:
        if self._stage is None:
            return
        elapsed = self.clock() - self._started
        self._draw(f"trialkit: {shown(self._stage)}: {prefix}{elapsed:.1f} s", end=True)
        self._stage = None

    def _draw(self, text: str, *, end: bool = False) -> None:
        if self.mode == "bar":
            pad = " " * max(0, self._drawn - len(text))
            self.stream.write(f"\r{text}{pad}" + ("\n" if end else ""))
            self._drawn = 0 if end else len(text)
        elif end:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _start_ticker(self) -> None:
        if self._ticker is not None:
            return
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="trialkit-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        frame = 0
        while not self._stop.wait(BAR_INTERVAL):
            with self._lock:
                if self._stage is None:
                    continue
                elapsed = self.clock() - self._started
                if elapsed < BAR_AFTER:
                    continue
                self._draw(f"trialkit: {shown(self._stage)} {bar(frame)} {elapsed:.1f} s")
                frame += 1


def bar(frame: int, width: int = BAR_WIDTH) -> str:
    """A bar for work of unknown length: a block moving to and fro, one step per frame (here 8 wide: the block
    of 3 goes from 0 to 5 spaces in, then back).

    >>> bar(0, 8), bar(3, 8), bar(5, 8), bar(6, 8)
    ('[===     ]', '[   ===  ]', '[     ===]', '[    === ]')
    """
    span = width - 3
    at = frame % (2 * span) if span > 0 else 0
    at = at if at <= span else 2 * span - at
    return "[" + " " * at + "===" + " " * (width - 3 - at) + "]"
