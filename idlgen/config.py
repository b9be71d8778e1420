"""``[tool.idlgen]`` in ``pyproject.toml``.

The keys are spelled like the long options of ``idlgen generate`` (see
docs/cli.md); file names are relative to the folder holding the
``pyproject.toml``::

    [tool.idlgen]
    sources = ["idl/*.idl"]            # FILE...; glob patterns allowed
    include-dir = ["idl/include"]      # -I / --include-dir
    define = ["WINVER=0x0601", "X"]    # -D / --define (or a table {WINVER = "0x0601"})
    undefine = ["_WIN64"]              # -U / --undefine
    builtin-include = true             # false = --no-builtin-include
    source-encoding = "cp1252"         # --source-encoding
    with-imports = false               # true = --with-imports
    output = "src/generated"           # -o / --output
    package = "msgr"                   # --package
    emit = ["stubs", "events"]         # --emit (a list or "stubs,events")
    line-length = 100                  # --line-length (default: [tool.black]'s, else 88)

:func:`find_config` looks for ``pyproject.toml`` from a directory upwards and
stops at the first one (a project without ``[tool.idlgen]`` has no
configuration).  :func:`load_config` reads and validates it; an unknown key,
a wrong type or a bad value raises :class:`ConfigError` naming the file, the
line of the key (found by scanning the text, as :mod:`tomllib` keeps no
positions) and the key.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idlgen.diagnostics import CompileError, Diagnostic, Severity, Span
from idlgen.inputfiles import UnreadableFile, read_input_file
from idlgen.output.style import MAX_LINE_LENGTH

#: Name of the file searched for.
PYPROJECT = "pyproject.toml"

#: The largest configuration file read (a pyproject.toml is a few KB).
MAX_CONFIG_BYTES = 4 * 1024 * 1024

#: The table holding idlgen's settings.
TABLE = ("tool", "idlgen")

#: Every key ``[tool.idlgen]`` accepts.
KEYS = (
    "sources",
    "include-dir",
    "define",
    "undefine",
    "builtin-include",
    "source-encoding",
    "with-imports",
    "output",
    "package",
    "emit",
    "line-length",
)


class ConfigError(CompileError):
    """The configuration file is unreadable or invalid; carries one diagnostic."""


@dataclass
class Config:
    """Validated settings; ``None`` means "not set".  Paths are absolute."""

    path: Path
    root: Path
    sources: list[str] | None = None
    include_dir: list[str] | None = None
    define: list[str] | None = None
    undefine: list[str] | None = None
    builtin_include: bool | None = None
    source_encoding: str | None = None
    with_imports: bool | None = None
    output: str | None = None
    package: str | None = None
    emit: list[str] | None = None
    line_length: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The first ``pyproject.toml`` in *start* (default: the cwd) or a parent folder."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def read_toml(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """Parse the TOML file *path*; returns the data and its text (ConfigError if bad)."""
    spath = os.fspath(path)
    try:
        raw = read_input_file(spath, MAX_CONFIG_BYTES, what="configuration")
    except UnreadableFile as exc:
        raise _config_error(spath, 0, f"cannot read configuration: {exc.reason}") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise _config_error(spath, line, f"invalid TOML: {message}", col) from exc
    return data, text


def load_config(path: str | os.PathLike[str], *, required: bool = False) -> Config | None:
    """Read ``[tool.idlgen]`` from *path*.

    Returns None when the file has no such table, unless *required* (an
    explicit ``--config``), which makes that an error too.
    """
    data, text = read_toml(path)
    table: Any = data.get("tool", {})
    table = table.get("idlgen") if isinstance(table, dict) else None
    spath = os.fspath(path)
    if table is None:
        if required:
            raise _config_error(spath, 0, "no [tool.idlgen] table in this file")
        return None
    return parse_table(table, spath, text, "tool.idlgen")


def parse_table(
    table: Any,
    path: str,
    text: str | None,
    table_name: str,
    *,
    extra_keys: Mapping[str, type] | None = None,
) -> Config:
    """Validate *table* (the contents of ``[table_name]`` in *path*) into a :class:`Config`.

    *extra_keys* are further keys allowed (name -> expected Python type); their
    values end up in ``Config.extra``.
    """
    root = Path(path).resolve().parent
    cfg = Config(path=Path(path), root=root)
    finder = _KeyFinder(text, table_name)
    extra = dict(extra_keys or {})

    def fail(key: str, message: str) -> ConfigError:
        line, col = finder.locate(key)
        return _config_error(path, line, f"[{table_name}] {key}: {message}", col)

    if not isinstance(table, dict):
        raise _config_error(path, 0, f"[{table_name}] must be a table")
    for key, value in table.items():
        if key not in KEYS and key not in extra:
            known = [*KEYS, *extra]
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
            raise fail(key, f"unknown key{hint}")
        if key in extra:
            if not isinstance(value, extra[key]):
                raise fail(key, f"must be {_type_name(extra[key])}, not {_toml_type(value)}")
            cfg.extra[key] = value
        elif key == "sources":
            cfg.sources = _expand_sources(_str_list(value, key, fail), root, key, fail)
        elif key == "include-dir":
            cfg.include_dir = [str(root / p) for p in _str_list(value, key, fail)]
        elif key == "define":
            cfg.define = _defines(value, key, fail)
        elif key == "undefine":
            names = _str_list(value, key, fail)
            for name in names:
                if not name.isidentifier():
                    raise fail(key, f"'{name}' is not a macro name")
            cfg.undefine = names
        elif key == "builtin-include":
            if not isinstance(value, bool):
                raise fail(key, f"must be true or false, not {_toml_type(value)}")
            cfg.builtin_include = value
        elif key == "source-encoding":
            try:
                from idlgen.frontend.sourcefiles import check_encoding

                cfg.source_encoding = check_encoding(_string(value, key, fail))
            except ValueError as exc:
                raise fail(key, str(exc)) from None
        elif key == "with-imports":
            if not isinstance(value, bool):
                raise fail(key, f"must be true or false, not {_toml_type(value)}")
            cfg.with_imports = value
        elif key == "output":
            cfg.output = str(root / _string(value, key, fail))
        elif key == "package":
            name = _string(value, key, fail)
            if not valid_package_name(name):
                raise fail(key, f"'{name}' is not a valid Python package name")
            cfg.package = name
        elif key == "line-length":
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail(key, f"must be an integer, not {_toml_type(value)}")
            if not 1 <= value <= MAX_LINE_LENGTH:
                raise fail(key, f"must be from 1 to {MAX_LINE_LENGTH}, not {value}")
            cfg.line_length = value
        elif key == "emit":
            cfg.emit = parse_emit(value if isinstance(value, str) else _str_list(value, key, fail))
            if not cfg.emit:
                raise fail(key, "must name at least one output kind")
    return cfg


def valid_package_name(name: str) -> bool:
    """True for a dotted Python package name whose parts are ASCII identifiers, not keywords,
    that shadows no module generated code imports (see
    :func:`idlgen.backends.common.naming.package_name_problem`)."""
    from idlgen.backends.common.naming import package_name_problem  # only when a name is given

    return package_name_problem(name) is None


def parse_emit(value: str | list[str]) -> list[str]:
    """``"stubs,events"`` or ``["stubs", "events"]`` -> ``["stubs", "events"]`` (no duplicates)."""
    items = value.split(",") if isinstance(value, str) else value
    result: list[str] = []
    for item in items:
        name = item.strip()
        if name and name not in result:
            result.append(name)
    return result


# --------------------------------------------------------------------------- helpers


class _KeyFinder:
    """Finds the line of a key inside a table of a TOML text (best effort)."""

    def __init__(self, text: str | None, table_name: str) -> None:
        self.lines = text.splitlines() if text else []
        self.table_name = table_name

    def locate(self, key: str) -> tuple[int, int]:
        header = re.compile(
            r"^\s*\[\s*"
            + r"\s*\.\s*".join(
                rf'(?:{re.escape(p)}|"{re.escape(p)}")' for p in self.table_name.split(".")
            )
            + r"\s*\]\s*(#.*)?$"
        )
        assign = re.compile(
            rf'^(\s*)(?:{re.escape(key)}|"{re.escape(key)}"|\'{re.escape(key)}\')\s*='
        )
        inside = False
        for number, line in enumerate(self.lines, 1):
            if re.match(r"^\s*\[", line):
                inside = bool(header.match(line))
                continue
            if inside:
                m = assign.match(line)
                if m:
                    return number, len(m.group(1)) + 1
        return 0, 0


def key_error(path: str, text: str | None, table_name: str, key: str, message: str) -> ConfigError:
    """A :class:`ConfigError` about *key* of ``[table_name]`` in *path* (located in *text*)."""
    line, col = _KeyFinder(text, table_name).locate(key)
    return _config_error(path, line, f"[{table_name}] {key}: {message}", col)


def setting_error(
    cfg: Config, key: str, message: str, table_name: str = "tool.idlgen"
) -> ConfigError:
    """A :class:`ConfigError` about *key* of ``[table_name]`` in the file *cfg* was read from
    (a check made after loading, e.g. of the ``emit`` kinds), located like any other."""
    try:
        _, text = read_toml(cfg.path)
    except ConfigError:
        text = None
    return key_error(str(cfg.path), text, table_name, key, message)


def _config_error(path: str, line: int, message: str, column: int = 1) -> ConfigError:
    span = Span(path, line, max(column, 1) if line else 0)
    return ConfigError([Diagnostic(Severity.ERROR, message, span)])


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _type_name(t: type) -> str:
    return {str: "a string", bool: "true or false", list: "an array", dict: "a table"}.get(
        t, t.__name__
    )


def _string(value: Any, key: str, fail: Any) -> str:
    if not isinstance(value, str):
        raise fail(key, f"must be a string, not {_toml_type(value)}")
    if not value:
        raise fail(key, "must not be empty")
    return value


def _str_list(value: Any, key: str, fail: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise fail(key, f"must be an array of strings, not {_toml_type(value)}")
    for item in value:
        if not isinstance(item, str):
            raise fail(key, f"must be an array of strings, but has {_toml_type(item)}")
        if not item:
            raise fail(key, "has an empty string")
    return list(value)


def _defines(value: Any, key: str, fail: Any) -> list[str]:
    if isinstance(value, dict):
        items: list[str] = []
        for name, val in value.items():
            if isinstance(val, bool) or not isinstance(val, str | int):
                raise fail(key, f"value of '{name}' must be a string or an integer")
            items.append(f"{name}={val}")
    else:
        items = _str_list(value, key, fail)
    for item in items:
        name = item.partition("=")[0]
        from idlgen.frontend.preprocess import is_macro_head

        if not is_macro_head(name):
            raise fail(key, f"'{name}' is not a macro name (NAME or NAME(PARAMS))")
    return items


def _expand_sources(patterns: list[str], root: Path, key: str, fail: Any) -> list[str]:
    result: list[str] = []
    for pattern in patterns:
        full = str(root / pattern)
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(full, recursive=True))
            if not matches:
                raise fail(key, f"'{pattern}' matches no file")
            result.extend(m for m in matches if m not in result)
        elif full not in result:
            result.append(full)
    return result
