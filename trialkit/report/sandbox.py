"""The report's Jinja environment: a study's own templates are files someone sent, not code to trust.

- **No code.** :class:`ReportSandbox` is Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment`: no attribute
  that starts with an underscore (``__class__``, ``__globals__``, ``__mro__``, ``__init__``), neither in an
  expression nor in a format string (``"{0.__class__}".format(x)``), so no way to ``os``, ``subprocess`` or
  any module; no extension that adds statements. A template sees the report's values and the filters only.
- **No file but templates.** :class:`ConfinedLoader` reads ``{% include %}``, ``{% extends %}``, ``{% import %}``
  and ``{% from %}`` names inside one folder (the study's ``templates/``, then the packaged one): ``..`` names
  nothing, and a file that is a symbolic link leading out of its folder (to ``/etc/passwd``) is refused with
  exit status 2, not read.
- **No runaway sizes.** Ranges hold at most 100,000 items (Jinja's own limit); an integer power, a repeated
  or joined text or list, a padded or formatted value and every filter's and method's result are checked
  against :data:`MAX_ITEMS` / :data:`MAX_WIDTH` before or as they are made; the whole output stops at
  :data:`MAX_OUTPUT` characters. (Time is not limited: nested loops of 100,000 items run long, as they would
  in the user's own program; the guard is against one expression that asks for gigabytes.)
- **Errors a user can act on.** :func:`render` turns a syntax error, an undefined name, a refused attribute,
  a missing include or any other failure inside a study's template into a :class:`~trialkit.errors.TemplateError`
  (exit status 2) naming the template file and line; a failure in trialkit's own templates stays a bug.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from trialkit.confined import inside
from trialkit.errors import TemplateError, TrialkitError, shown

#: the most characters (of a text) or items (of a list) one operation in a template may make
MAX_ITEMS = 1_000_000
#: the widest padding or precision a format or filter may ask for
MAX_WIDTH = 1_000
#: the largest integer a power may make, in bits (about 1,200 digits)
MAX_POWER_BITS = 4_096
#: the most characters a template may write (the example study's HTML report is about 0.17 million)
MAX_OUTPUT = 200_000_000

_SIZED = (str, list, tuple)


def _refuse(what: str) -> None:
    raise SecurityError(f"{what}; the report's templates may not make values that large")


def _check_result(value: object) -> object:
    if isinstance(value, _SIZED) and len(value) > MAX_ITEMS:
        _refuse(f"a value of {len(value):,} {'characters' if isinstance(value, str) else 'items'}")
    return value


def _check_ints(args: Iterable[object]) -> None:
    """A count, width or size argument beyond :data:`MAX_ITEMS` (``"x".center(10**9)``, ``batch(10**9)``)."""
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
            _refuse(f"an argument of {value:,}")


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_printf(fmt: object) -> None:
    """``"%999999999d" % x`` or ``"%*d"``: a width or precision beyond :data:`MAX_WIDTH`, or taken from the values."""
    if not isinstance(fmt, str):
        return
    for width, precision in _PRINTF.findall(fmt.replace("%%", "")):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                _refuse(f"the format {shown(fmt, quote=True, limit=60)} pads to {number}")


def _check_format(fmt: str) -> None:
    """``"{:>999999999}".format(x)``, or a width taken from the values (``"{:{}}"``)."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format says what is wrong with it
    for _literal, _name, spec, _conversion in fields:
        if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
            _refuse(f"the format {shown(fmt, quote=True, limit=60)} pads to {shown(spec, quote=True)}")


def _replaced_length(text: str, old: str, new: str, count: int = -1) -> int:
    times = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        times = min(times, count)
    return len(text) + times * (len(new) - len(old))


def _check_join(items: object, separator: str = "") -> None:
    if isinstance(items, Sequence) and not isinstance(items, str):
        total = sum(len(x) for x in items if isinstance(x, str)) + len(separator) * max(len(items) - 1, 0)
        if total > MAX_ITEMS:
            _refuse(f"a joined text of {total:,} characters")


def _check_binop(symbol: str, left: object, right: object) -> None:
    if symbol == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if abs(left).bit_length() * right > MAX_POWER_BITS:
            _refuse(f"a power of about {abs(left).bit_length() * right:,} bits")
    elif symbol == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, _SIZED) and isinstance(times, int) and len(seq) * times > MAX_ITEMS:
                _refuse(f"a repetition of {len(seq) * times:,} items")
    elif symbol == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED) and len(left) + len(right) > MAX_ITEMS:
        _refuse(f"a value of {len(left) + len(right):,} items")
    elif symbol == "%":
        _check_printf(left)


def _check_method(method: object, args: tuple, kwargs: dict) -> None:
    """A text's or list's own method, before it runs: the size of what it would make."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, (str, list, tuple, dict)):
        return
    _check_ints([*args, *kwargs.values()])
    name = getattr(method, "__name__", "")
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        if isinstance(args[0], str) and isinstance(args[1], str):
            size = _replaced_length(owner, args[0], args[1], *args[2:3])
            if size > MAX_ITEMS:
                _refuse(f"a replaced text of {size:,} characters")
    elif isinstance(owner, str) and name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tab, int) and owner.count("\t") * tab > MAX_ITEMS:
            _refuse(f"a text of about {owner.count(chr(9)) * tab:,} characters")
    elif isinstance(owner, str) and name == "join" and args:
        _check_join(args[0], owner)


def _check_filter(name: str, value: object, args: tuple, kwargs: dict) -> None:
    """A filter's arguments, before it runs."""
    _check_ints([*args, *kwargs.values()])
    if name == "format":
        _check_printf(value)
    elif name in ("center", "indent"):
        width = args[0] if args else kwargs.get("width", 80 if name == "center" else 4)
        lines = str(value).count("\n") + 1 if name == "indent" else 1
        size = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        if size > MAX_WIDTH or lines * size > MAX_ITEMS:
            _refuse(f"a {name} of width {size:,}")
    elif name == "replace" and len(args) >= 2 and isinstance(value, str):
        old, new = str(args[0]), str(args[1])
        if _replaced_length(value, old, new, *args[2:3]) > MAX_ITEMS:
            _refuse("a replaced text beyond the limit")
    elif name == "join":
        _check_join(value, str(args[0]) if args else kwargs.get("d", ""))


def _guarded_filter(name: str, function: Callable) -> Callable:
    passes = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        first = 1 if passes is not None else 0  # the context or environment Jinja passes first
        _check_filter(name, args[first] if len(args) > first else None, args[first + 1:], kwargs)
        return _check_result(function(*args, **kwargs))

    return guarded


class ReportSandbox(SandboxedEnvironment):
    """The sandboxed environment, with the size guards described above. Add filters with :meth:`add_filters`
    (each is guarded)."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}

    def add_filters(self, filters: dict[str, Callable]) -> None:
        self.filters.update({name: _guarded_filter(name, f) for name, f in filters.items()})

    def call_binop(self, context, operator_symbol, left, right):
        _check_binop(operator_symbol, left, right)
        return _check_result(super().call_binop(context, operator_symbol, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        _check_method(__obj, args, kwargs)
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped


class ConfinedLoader(jinja2.BaseLoader):
    """Templates from one folder (resolved), never from outside it: a name with ``..`` names nothing, and a
    file that is a symbolic link leading out of the folder is refused (:class:`TemplateError`), not read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_source(self, environment, template):
        path = self.folder.joinpath(*split_template_path(template))  # TemplateNotFound for a ".." piece
        if not (path.is_file() or path.is_symlink()):
            raise jinja2.TemplateNotFound(template)
        if not inside(path, self.folder):
            raise TemplateError(f"{shown(path)} is a symbolic link that leads outside its templates folder "
                                f"{shown(self.folder)}; it is not read")
        real = path.resolve()
        if not real.is_file():
            raise jinja2.TemplateNotFound(template)
        try:
            source = real.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateError(f"{shown(path)}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
                                f"{exc.start}); save the template as UTF-8") from None
        except OSError as exc:
            raise TemplateError(f"{shown(path)}: cannot read the template: {shown(exc.strerror or exc)}") from None
        mtime = real.stat().st_mtime_ns
        return source, str(path), lambda: real.is_file() and real.stat().st_mtime_ns == mtime

    def list_templates(self) -> list[str]:
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*")
                      if p.is_file() and inside(p, self.folder))


def report_sandbox(folders: Sequence[Path]) -> ReportSandbox:
    """The environment: templates from ``folders`` in order (each resolved), escaping every value, failing on
    an undefined name."""
    return ReportSandbox(
        loader=jinja2.ChoiceLoader([ConfinedLoader(f) for f in folders]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(env: jinja2.Environment, name: str, study_folder: Path | None, **context) -> str:
    """Template ``name`` rendered with ``context``.

    Raises
    ------
    TemplateError
        Something in the study's own templates (``study_folder``) failed: the message names the template
        file and line. Failures in trialkit's packaged templates propagate as they are (a bug).
    """
    try:
        template = env.get_template(name)
        out, size = [], 0
        for piece in template.generate(**context):
            size += len(piece)
            if size > MAX_OUTPUT:
                break
            out.append(piece)
        else:
            return "".join(out)
    except jinja2.TemplateSyntaxError as exc:
        if not _in_study(exc.filename, study_folder):
            raise
        raise TemplateError(f"{shown(exc.filename)}, line {exc.lineno}: template syntax error: "
                            f"{shown(exc.message or '', limit=300)}") from None
    except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - each is named, or re-raised
        where = _study_frame(exc, study_folder)
        if where is None:  # trialkit's own templates (a bug), or already a message (a template file refused)
            raise
        filename, line = where
        raise TemplateError(f"{shown(filename)}, line {line}: {_described(exc)}") from None
    raise TemplateError(f"{shown(template.filename)}: writes more than {MAX_OUTPUT:,} characters; the report's "
                        "templates may not make an output that large")


def _in_study(filename: str | None, study_folder: Path | None) -> bool:
    return bool(filename) and study_folder is not None and Path(filename).is_relative_to(study_folder)


def _study_frame(exc: BaseException, study_folder: Path | None) -> tuple[str, int] | None:
    """The innermost frame of the traceback that runs one of the study's templates: its file and line."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _in_study(filename, study_folder):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _described(exc: BaseException) -> str:
    if isinstance(exc, TrialkitError):
        return str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        return (f"template {shown(exc.name, quote=True)} not found: a template names a file inside the study's "
                "templates/ folder or trialkit's packaged templates (no '..', no absolute path)")
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined: {shown(exc.message or '', limit=300)}"
    if isinstance(exc, SecurityError):
        return f"refused by the template sandbox: {shown(str(exc), limit=300)}"
    if isinstance(exc, RecursionError):
        return "templates nested too deeply (a macro, include or block that calls itself without end)"
    if isinstance(exc, MemoryError):
        return "out of memory while rendering the template"
    if isinstance(exc, OverflowError):
        return f"too large: {shown(str(exc), limit=300)}"
    return f"{type(exc).__name__}: {shown(str(exc), limit=300)}"


__all__ = ["MAX_ITEMS", "MAX_OUTPUT", "MAX_WIDTH", "ConfinedLoader", "ReportSandbox", "render", "report_sandbox"]
