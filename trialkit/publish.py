"""Output folders: trialkit writes only folders it owns, and replaces one as a whole, under a lock.

Ownership
    A folder trialkit wrote holds the marker file ``.trialkit-output``. A run writes into a new folder, an
    empty one, or one holding the marker; it refuses (exit status 2, before any analysis) any other folder
    with files in it, a folder holding an input of the study (study.yaml, the records or subjects file, the
    study's ``templates/``, the logo) or inside its ``templates/``, the study folder itself, an empty
    ``--out`` and a path under a file.
Lock
    From its start to its end a run holds ``.trialkit-lock`` in the folder (``flock``); a second run into the
    same folder stops at once with exit status 2 ("another trialkit run is writing ..."). Systems without
    ``fcntl`` (Windows) have no lock.
One unit
    :func:`publish` writes every output into a staging folder beside the output folder
    (``.NAME.trialkit-staging-XXXX``, same file system), flushes it to disk, and swaps the two folders in one
    step (Linux ``renameat2(RENAME_EXCHANGE)``). Where the system cannot exchange, two renames: the old folder
    aside (``.NAME.trialkit-old-XXXX``), the new one into place. The old folder is then deleted: the files of
    an earlier run that this run did not make go with it. Readers see the old outputs or the new ones, never a
    mix.
Leftovers
    A run killed part way leaves a staging or old folder beside the output folder. The next run into the same
    folder removes each one that is trialkit's (named so, holding the marker or nothing, and not locked by a
    live run). A run killed between the two renames leaves no output folder but an old one: the next run puts
    the old one back first (the outputs of the last run that finished).
Full disk, read-only folder
    Exit status 2: "no space left on <folder>; previous outputs untouched" (or the read-only equivalent).
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from trialkit.config import StudyConfig
from trialkit.errors import ConfigError, TrialkitError, shown

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

MARKER = ".trialkit-output"
LOCK = ".trialkit-lock"
MARKER_TEXT = b"This folder is written by trialkit. Each run replaces all of its contents; keep nothing else here.\n"
#: files of an output folder that are trialkit's bookkeeping, not outputs of a run
OWN_FILES = frozenset({MARKER, LOCK})


class PublishError(TrialkitError):
    """Writing the outputs failed (a full disk, a read-only folder); the message says what was kept."""


@dataclass
class _Claim:
    real: Path
    lock: int | None
    #: the topmost folder the claim made (the output folder or an ancestor), None when it existed
    created: Path | None
    had_outputs: bool


_claims: dict[Path, _Claim] = {}


def _step(name: str) -> None:
    """Called between the steps of :func:`publish`; tests replace it to stop a run at a chosen step."""


# ---- where a run may write ---------------------------------------------------------------------------------

def _real(path: Path) -> Path:
    try:
        return Path(os.path.abspath(path)).resolve()
    except RuntimeError:  # a symlink loop
        raise ConfigError(f"--out {shown(path)}: a symbolic link that leads back to itself") from None


def _inputs(config: StudyConfig) -> list[tuple[str, Path]]:
    inputs = [("study.yaml", config.source), ("data.records", config.records_path),
              ("data.subjects", config.subjects_path)]
    templates = config.root / "templates"
    if templates.exists():
        inputs.append(("the study's templates/", templates))
    if config.study.logo is not None:
        inputs.append(("study.logo", config.root / config.study.logo))
    return [(key, _real(path)) for key, path in inputs if path is not None]


def _check_target(out: Path, real: Path, config: StudyConfig | None) -> None:
    """Refuse an output folder a run must not replace; nothing is written when it is refused."""
    for ancestor in [real, *real.parents]:
        if ancestor.exists() or ancestor.is_symlink():
            if not ancestor.is_dir():
                where = "is a file" if ancestor == real else f"is under {shown(ancestor)}, a file"
                raise ConfigError(f"--out {shown(out)} {where}, not a folder; name a folder for the outputs")
            break
    if real.parent == real:
        raise ConfigError(f"--out {shown(out)} is the root of the file system; name a folder of its own for the outputs")
    if config is not None:
        root = _real(config.root)
        if real == root:
            raise ConfigError(f"--out {shown(out)} is the study folder; a run replaces its output folder as a whole, "
                              f"so give the outputs a folder of their own, such as {shown(config.root / 'output')}")
        for key, path in _inputs(config):
            if path == real or real in path.parents:
                raise ConfigError(f"--out {shown(out)} holds an input of the study ({key}: {shown(path)}); a run "
                                  "replaces its output folder as a whole, so give the outputs a folder of their own")
            if key.startswith("the study's templates") and path in real.parents:
                raise ConfigError(f"--out {shown(out)} is inside the study's templates folder; give the outputs a "
                                  "folder of their own")
    if real.is_dir():
        entries = sorted(os.listdir(real))
        if entries and MARKER not in entries and not set(entries) <= OWN_FILES:
            named = ", ".join(shown(e) for e in entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            raise ConfigError(f"--out {shown(out)} holds files trialkit did not write ({named}); a run replaces its "
                              "output folder as a whole, so choose a new or empty folder, or one an earlier run wrote "
                              f"(it holds {MARKER})")


# ---- the lock ----------------------------------------------------------------------------------------------

def _busy(out: Path) -> ConfigError:
    return ConfigError(f"another trialkit run is writing {shown(out)}; wait for it to finish or choose another --out")


def _try_lock(folder: Path) -> int | None:
    """Hold ``folder/.trialkit-lock``; None when a live run holds it. The file may be swapped away between
    opening and locking it: then try the one in its place."""
    if fcntl is None:
        return -1
    for _ in range(10):
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        held = os.fstat(fd)
        try:
            now = os.stat(folder / LOCK, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev):
            return fd
        os.close(fd)
    return None


def _unlock(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        os.close(fd)  # closing the last descriptor releases the flock


def _locked_by_a_live_run(folder: Path) -> bool:
    if not (folder / LOCK).exists():
        return False
    fd = _try_lock(folder)
    if fd is None:
        return True
    _unlock(fd)
    return False


# ---- leftovers of killed runs ------------------------------------------------------------------------------

def _leftovers(real: Path, kind: str) -> list[Path]:
    """trialkit's own staging or old folders of ``real``, left by runs that are not running any more."""
    found = []
    prefix = f".{real.name}.trialkit-{kind}-"
    for name in os.listdir(real.parent):
        entry = real.parent / name
        if not name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        names = set(os.listdir(entry))
        if (MARKER in names or not names - OWN_FILES) and not _locked_by_a_live_run(entry):
            found.append(entry)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _recover(real: Path) -> None:
    """A run killed between the two renames of a swap left no output folder but the old one: put it back."""
    if real.exists() or real.is_symlink() or not real.parent.is_dir():
        return
    old = _leftovers(real, "old")
    if old:
        os.rename(old[-1], real)


def _remove_leftovers(real: Path) -> None:
    for kind in ("staging", "old"):
        for leftover in _leftovers(real, kind):
            shutil.rmtree(leftover, ignore_errors=True)


# ---- claiming a folder for a run ---------------------------------------------------------------------------

def _disk_error(exc: OSError, out: Path, had_outputs: bool) -> PublishError:
    kept = "previous outputs untouched" if had_outputs else "nothing was written"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return PublishError(f"no space left on {shown(out)}; {kept}")
    if exc.errno == errno.ENAMETOOLONG:
        return PublishError(f"--out {shown(out)}: the path or a name in it is too long for the file system; {kept}")
    if exc.errno == errno.EROFS:
        return PublishError(f"cannot write to {shown(out)}: the file system is read-only; {kept}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PublishError(f"no permission to write {shown(out)} (a run writes a new folder beside it, in "
                            f"{shown(out.parent)}, and swaps the two); {kept}")
    return PublishError(f"cannot write the outputs to {shown(out)}: {exc.strerror or exc}; {kept}")


def _has_outputs(real: Path, *, when_unreadable: bool | None = None) -> bool:
    """Whether ``real`` holds outputs; ``when_unreadable``: the answer when the system cannot tell (a name too
    long, an I/O error), instead of raising."""
    try:
        return real.is_dir() and bool(set(os.listdir(real)) - OWN_FILES)
    except OSError:
        if when_unreadable is None:
            raise
        return when_unreadable


@contextmanager
def output_folder(out_dir: str | Path | None, config: StudyConfig | None = None) -> Iterator[Path]:
    """Claim the output folder of a run: check that trialkit may write it, put back or remove what killed runs
    left, and lock it until the run ends. Yields the folder's path (as given); :func:`publish` writes it.

    Parameters
    ----------
    out_dir : str, Path or None
        The output folder; None: ``<study folder>/output``.
    config : StudyConfig, optional
        The study, whose inputs the folder must not hold.

    Raises
    ------
    ConfigError
        A folder trialkit must not write (see the module's description), or one another run is writing.
    PublishError
        The folder cannot be made or locked (read-only, no permission, full disk).

    A :class:`TrialkitError` raised inside the block gets a last line saying whether the outputs already in
    the folder were left untouched or nothing was written; a folder the claim made is removed again.
    """
    if out_dir is None:
        if config is None:
            raise ValueError("output_folder needs out_dir or config")
        out_dir = config.root / "output"
    if str(out_dir) == "":
        raise ConfigError("--out is empty; name the output folder (by default a run writes <study>/output)")
    if "\x00" in str(out_dir):
        raise ConfigError(f"--out {shown(out_dir, quote=True)} holds a NUL byte; name the output folder")
    out = Path(out_dir)
    real = _real(out)
    if real in _claims:
        raise _busy(out)
    missing: list[Path] = []
    try:
        _recover(real)
        _check_target(out, real, config)
        had_outputs = _has_outputs(real)
        missing = [folder for folder in [real, *real.parents] if not folder.exists()]
        created = missing[-1] if missing else None
        real.mkdir(parents=True, exist_ok=True)
        lock = _try_lock(real)
    except OSError as exc:
        had_outputs = _has_outputs(real, when_unreadable=False)
        if real in missing:
            with suppress(OSError):
                (real / LOCK).unlink(missing_ok=True)
        _remove_empty(missing)  # the folders made before the failure (mkdir may make the first few of them)
        raise _disk_error(exc, out, had_outputs=had_outputs) from None
    if lock is None:  # the run holding the lock owns the folder now, even one this call made
        raise _busy(out)
    claim = _Claim(real=real, lock=lock, created=created, had_outputs=had_outputs)
    _claims[real] = claim
    try:
        _remove_leftovers(real)
        yield out
    except PublishError:
        _undo(claim)
        raise
    except TrialkitError as exc:
        _undo(claim)
        raise type(exc)(f"{exc}{_kept(claim, out)}") from None
    except BaseException as exc:
        _undo(claim)
        exc.add_note(f"trialkit: the run failed{_kept(claim, out)}")
        raise
    finally:
        _claims.pop(real, None)
        _unlock(claim.lock)


def _kept(claim: _Claim, out: Path) -> str:
    if claim.had_outputs and _has_outputs(claim.real):
        return f"\n(the outputs already in {shown(out)} were left untouched)"
    return "\n(nothing was written)"


def _undo(claim: _Claim) -> None:
    """A run that failed leaves the file system as it found it: the folders it made are removed, the lock file
    it added to an empty folder too."""
    if _has_outputs(claim.real) or not claim.real.is_dir() or claim.had_outputs:
        return
    for name in OWN_FILES:
        (claim.real / name).unlink(missing_ok=True)
    if claim.created is None:
        return
    folders = [claim.real, *claim.real.parents]
    _remove_empty(folders[:folders.index(claim.created) + 1])


def _remove_empty(folders: list[Path]) -> None:
    """Remove each of ``folders`` (deepest first) that is an empty folder: one someone else put something into
    stays, and one the system cannot remove (never made, a name too long) is passed over."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            continue


# ---- publishing ------------------------------------------------------------------------------------------

def _checked_name(name: str) -> Path:
    path = Path(name)
    if path.is_absolute() or not path.parts or ".." in path.parts or name in OWN_FILES:
        raise ValueError(f"not an output file name: {name!r}")
    return path


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 with RENAME_EXCHANGE); False where the system or the file
    system cannot, and the caller swaps with two renames."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28, or none to load
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def publish(out: str | Path, contents: dict[str, bytes]) -> dict[str, Path]:
    """Replace everything in the output folder by ``contents`` (name -> bytes, names such as
    ``tables/t_14_2_1.rtf``), in one step. Within :func:`output_folder` the folder is already claimed;
    otherwise this claims it for the time it takes.

    Returns
    -------
    dict
        Each name and the path it was written to.

    Raises
    ------
    PublishError
        A full disk, a read-only folder or another system error; the previous outputs are untouched.
    """
    out = Path(out)
    claim = _claims.get(_real(out))
    if claim is None:
        with output_folder(out) as claimed:
            return publish(claimed, contents)
    names = {name: _checked_name(name) for name in contents}
    real = claim.real
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(real.stat().st_mode) if claim.created is None else 0o777 & ~umask
    staging = old = None
    staged_lock = None
    swapped = False
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.trialkit-staging-", dir=real.parent))
        staged_lock = _try_lock(staging)  # a later run's leftover check sees this staging folder as alive
        _write_file(staging / MARKER, MARKER_TEXT)
        folders = {staging}
        for name, path in names.items():
            target = staging / path
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            _write_file(target, contents[name])
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            _fsync_dir(folder)
        os.chmod(staging, mode)
        _step("staged")
        if _exchange(staging, real):
            swapped, trash = True, staging
        else:
            old = real.parent / f".{real.name}.trialkit-old-{secrets.token_hex(4)}"
            os.rename(real, old)
            _step("moved aside")
            os.rename(staging, real)
            swapped, trash = True, old
        _step("swapped")
    except BaseException as exc:
        if not swapped:
            if old is not None and old.exists() and not real.exists():
                os.rename(old, real)  # the first of the two renames is undone
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            _unlock(staged_lock)
        if isinstance(exc, OSError):
            raise _disk_error(exc, out, claim.had_outputs) from None
        raise
    try:
        _fsync_dir(real.parent)  # the swap is done; this makes it last through a power cut
    except OSError:
        pass
    shutil.rmtree(trash, ignore_errors=True)  # with the old folder's lock, held until it is gone
    _unlock(claim.lock)
    claim.lock, claim.had_outputs = staged_lock, True  # the new folder's lock, held to the end of the run
    return {name: out / path for name, path in names.items()}
