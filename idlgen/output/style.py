"""The black style of the project an output directory belongs to.

Generated files must pass the user's own ``black --check``, so they are formatted with the
settings black itself would use there.  :func:`black_style_for` finds them the way black does
(``black.files.find_project_root``): from the output directory upwards, the first folder that
holds ``.git``, ``.hg`` or a ``pyproject.toml`` with a ``[tool.black]`` table is the project
root, and the ``pyproject.toml`` there (if any) is read.  Without one, black's defaults apply.
black's user-level configuration (``~/.config/black``) is not read: generated code must not
depend on who runs the generator.

Read from ``[tool.black]``: ``line-length``, ``target-version`` (else inferred from
``[project] requires-python``, as black does), ``skip-string-normalization``,
``skip-magic-trailing-comma``, ``preview``, ``unstable``, ``enable-unstable-feature`` and
``pyi``; the other keys (file selection, ``required-version``, ...) do not change how a file
is formatted.  A line length given to idlgen (``--line-length``, ``[tool.idlgen]
line-length``) overrides black's.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from idlgen.diagnostics import CompileError, Diagnostic, Severity, Span
from idlgen.output.format import DEFAULT_STYLE, BlackStyle

#: The largest line length accepted (black has no limit; this keeps layouts sane).
MAX_LINE_LENGTH = 1000

#: The Python versions black knows as targets (``py33`` ... ``py315``).
_TARGET_RE = re.compile(r"py3(?:[3-9]|1[0-9])\Z")

#: A pyproject.toml larger than this is not read (it is not a project file).
_MAX_PYPROJECT_BYTES = 1 << 20


class StyleError(CompileError):
    """The ``[tool.black]`` table (or a line length given to idlgen) is invalid."""


def find_black_project(output_dir: str | os.PathLike[str]) -> Path | None:
    """The ``pyproject.toml`` black would read for files in *output_dir* (which need not
    exist yet), or None when black would use its defaults."""
    here = Path(os.path.abspath(output_dir))
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if (folder / ".git").exists() or (folder / ".hg").is_dir():
            return candidate if candidate.is_file() else None
        if candidate.is_file() and "black" in _tool_table(candidate):
            return candidate
    return None


def black_style_for(
    output_dir: str | os.PathLike[str], *, line_length: int | None = None
) -> BlackStyle:
    """The :class:`BlackStyle` for files written into *output_dir*; *line_length* overrides.

    Raises :class:`StyleError` (located in the ``pyproject.toml``) for invalid settings and
    ``ValueError`` for an invalid *line_length*.
    """
    path = find_black_project(output_dir)
    style = DEFAULT_STYLE if path is None else read_black_style(path)
    if line_length is not None:
        check_line_length(line_length, "line length")
        style = replace(style, line_length=line_length)
    return style


def check_line_length(value: object, what: str) -> int:
    """*value* if it is a usable line length; else ``ValueError`` naming *what*."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LINE_LENGTH:
        raise ValueError(f"{what}: must be an integer from 1 to {MAX_LINE_LENGTH}, not {value!r}")
    return value


def read_black_style(path: str | os.PathLike[str]) -> BlackStyle:
    """The :class:`BlackStyle` of the ``[tool.black]`` table of *path* (a ``pyproject.toml``)."""
    spath = os.fspath(path)
    text = _read_text(spath)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(spath, text, None, f"invalid TOML: {exc}") from None
    tool = data.get("tool")
    table = tool.get("black", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise _error(spath, text, None, "[tool.black] must be a table")
    settings = {key.lstrip("-").replace("_", "-"): value for key, value in table.items()}

    def get(key: str, kind: type, default: Any) -> Any:
        value = settings.get(key, default)
        if kind is bool and not isinstance(value, bool):
            raise _error(spath, text, key, f"[tool.black] {key}: must be true or false")
        if kind is list and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise _error(spath, text, key, f"[tool.black] {key}: must be an array of strings")
        return value

    line_length = settings.get("line-length", DEFAULT_STYLE.line_length)
    if isinstance(line_length, bool) or not isinstance(line_length, int):
        raise _error(spath, text, "line-length", "[tool.black] line-length: must be an integer")
    if not 1 <= line_length <= MAX_LINE_LENGTH:
        raise _error(
            spath,
            text,
            "line-length",
            f"[tool.black] line-length: must be from 1 to {MAX_LINE_LENGTH}",
        )
    targets = [v.lower() for v in get("target-version", list, [])]
    for target in targets:
        if not _TARGET_RE.match(target):
            raise _error(
                spath, text, "target-version", f"[tool.black] target-version: unknown '{target}'"
            )
    if "target-version" not in settings:
        targets = _inferred_targets(data)
    features = get("enable-unstable-feature", list, [])
    _check_features(features, spath, text)
    return BlackStyle(
        line_length=line_length,
        target_versions=tuple(sorted(set(targets))),
        string_normalization=not get("skip-string-normalization", bool, False),
        magic_trailing_comma=not get("skip-magic-trailing-comma", bool, False),
        preview=get("preview", bool, False),
        unstable=get("unstable", bool, False),
        enabled_features=tuple(sorted(set(features))),
        is_pyi=get("pyi", bool, False),
        origin=spath,
    )


def _inferred_targets(data: dict[str, Any]) -> list[str]:
    """black's target versions from ``[project] requires-python`` (black's own rule)."""
    project = data.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(requires, str):
        return []
    from black.files import infer_target_version  # only when a project says requires-python

    inferred = infer_target_version({"project": {"requires-python": requires}})
    return [v.name.lower() for v in inferred or []]


def _check_features(features: list[str], path: str, text: str) -> None:
    if not features:
        return
    from black.mode import Preview

    for name in features:
        if name not in Preview.__members__:
            raise _error(
                path,
                text,
                "enable-unstable-feature",
                f"[tool.black] enable-unstable-feature: unknown feature '{name}'",
            )


def _tool_table(path: Path) -> dict[str, Any]:
    """The ``[tool]`` table of *path*, empty when unreadable (black skips such files too)."""
    try:
        if path.stat().st_size > _MAX_PYPROJECT_BYTES:
            return {}
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    tool = data.get("tool")
    return tool if isinstance(tool, dict) else {}


def _read_text(path: str) -> str:
    try:
        if os.stat(path).st_size > _MAX_PYPROJECT_BYTES:
            raise _error(path, "", None, "configuration file too large")
        with open(path, "rb") as f:
            return f.read(_MAX_PYPROJECT_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        raise _error(path, "", None, f"cannot read: {exc.strerror or exc}") from None


def _error(path: str, text: str, key: str | None, message: str) -> StyleError:
    """A :class:`StyleError` at the line of *key* in ``[tool.black]`` of *text* (if found)."""
    line = column = 0
    if key is not None:
        inside = False
        assign = re.compile(rf"^(\s*)[\"']?-*{re.escape(key)}[\"']?\s*=")
        for number, row in enumerate(text.splitlines(), 1):
            if row.lstrip().startswith("["):
                inside = re.match(r"\s*\[\s*tool\s*\.\s*black\s*\]", row) is not None
            elif inside and (m := assign.match(row.replace("_", "-"))):
                line, column = number, len(m.group(1)) + 1
                break
    return StyleError([Diagnostic(Severity.ERROR, message, Span(path, line, column))])
