"""Files a study names for its report, kept inside the study folder: its own ``templates/`` folder and the logo.

A study folder is something someone sent. What it names is read only when it lies inside that folder once
every symbolic link is followed: ``logo: /``, ``logo: ../../etc/passwd`` or a ``templates/`` that is a link
to another folder is refused with a message, never read, embedded or served to the PDF's renderer.
(The data files may lie anywhere: they are what the user points trialkit at, and they are only ever read as
data.) The report's template loader and the PDF's URL fetcher apply :func:`inside` again to every file they
open, so a link made after these checks leads nowhere either.
"""

from __future__ import annotations

import errno
from pathlib import Path

from trialkit.errors import ConfigError, shown

#: the image files a logo may be, by their first bytes (WeasyPrint reads each of them)
IMAGE_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
                    ".gif": (b"GIF87a", b"GIF89a"), ".svg": (), ".webp": ()}


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, is ``folder`` or lies in it (``folder`` resolved
    already). A path that cannot be resolved (a link loop) is not inside."""
    try:
        return path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):
        return False


def study_templates(root: Path, *, config_path: Path | None = None) -> Path | None:
    """The study's own ``templates/`` folder, resolved, or None when it has none.

    Raises
    ------
    ConfigError
        ``templates`` is not a folder, or leads (as a symbolic link) outside the study folder.
    """
    templates = root / "templates"
    if not (templates.exists() or templates.is_symlink()):
        return None
    where = f"{shown(config_path)}: " if config_path is not None else ""
    real_root = root.resolve()
    if not inside(templates, real_root):
        raise ConfigError(f"{where}the study's templates folder {shown(templates)} leads outside the study folder "
                          f"{shown(real_root)}; its templates are not read: keep them in a folder inside the study")
    if templates.resolve() == real_root:
        raise ConfigError(f"{where}the study's templates folder {shown(templates)} is a link to the study folder "
                          "itself; keep the templates in a folder of their own")
    if not templates.is_dir():
        raise ConfigError(f"{where}{shown(templates)} is not a folder; the study's own templates go into a folder "
                          "named templates")
    return templates.resolve()


def study_logo(root: Path, logo: Path, *, config_path: Path | None = None) -> Path:
    """``study.logo``, resolved: an image file inside the study folder.

    Raises
    ------
    ConfigError
        Naming ``study.logo`` and the path: the logo lies outside the study folder (also through a symbolic
        link), does not exist, is a folder, or is not a PNG, JPEG, GIF, SVG or WebP image.
    """
    key = f"{shown(config_path)}: study.logo" if config_path is not None else "study.logo"
    if "\x00" in str(logo):
        raise ConfigError(f"{key}: the path {shown(logo, quote=True)} holds a NUL byte; write the file's name")
    path = root / logo
    real_root = root.resolve()
    real = None
    try:
        real = path.resolve()
        path.lstat()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a name too long, a link loop, an I/O error
        if exc.errno != errno.ELOOP:
            raise ConfigError(f"{key}: {shown(path)} cannot be read: {shown(exc.strerror or exc)}") from None
        real = None
    except RuntimeError:  # a link loop (resolve)
        real = None
    if real is None or (path.is_symlink() and not path.exists()):
        problem = ("is a symbolic link that leads nowhere or back to itself" if path.is_symlink() or real is None
                   else "cannot be resolved")
        raise ConfigError(f"{key}: {shown(path)} {problem}; name an image file inside the study folder")
    if not real.is_relative_to(real_root):
        led = f" (it leads to {shown(real)})" if real != Path(str(path)) else ""
        raise ConfigError(f"{key}: {shown(path)} lies outside the study folder {shown(real_root)}{led}; copy the "
                          "logo into the study folder and name it there")
    if not real.exists():
        raise ConfigError(f"{key}: file not found: {shown(path)}")
    if not real.is_file():
        raise ConfigError(f"{key}: {shown(path)} is a folder, not an image file")
    suffix = real.suffix.lower()
    if suffix not in IMAGE_SIGNATURES:
        raise ConfigError(f"{key}: {shown(path)} is not an image the report can show (a .png, .jpg, .jpeg, .gif, "
                          ".svg or .webp file)")
    try:
        with real.open("rb") as file:
            head = file.read(512)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise ConfigError(f"{key}: {shown(path)} cannot be read (permission denied)") from None
        raise ConfigError(f"{key}: {shown(path)} cannot be read: {shown(exc.strerror or exc)}") from None
    signatures = IMAGE_SIGNATURES[suffix]
    readable = (head.startswith(signatures) if signatures
                else b"<svg" in head or b"<?xml" in head if suffix == ".svg"
                else head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    if not readable:
        raise ConfigError(f"{key}: {shown(path)} is not a {suffix[1:].upper()} image (its first bytes are not "
                          "those of one)")
    return real
