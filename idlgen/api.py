"""The typed Python API of the front end.

>>> from idlgen.api import parse
>>> program = parse(["examples/Msgrpriv.idl"])          # doctest: +SKIP
>>> [d.name for d in program.files[0].walk()]            # doctest: +SKIP

:func:`parse` raises :class:`~idlgen.diagnostics.CompileError` when a file has
errors; :func:`check` returns the diagnostics instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from idlgen.diagnostics import CompileError, Diagnostic, DiagnosticSink
from idlgen.frontend import MacroOp, Program, load

Defines = Mapping[str, "str | None"] | Iterable[str]


def macro_ops(defines: Defines = (), undefines: Iterable[str] = ()) -> list[MacroOp]:
    """Turn ``-D``/``-U`` style settings into the preprocessor's macro operations.

    *defines* is a mapping ``{"NAME": "VALUE"}`` (None for "1") or strings
    ``"NAME"`` / ``"NAME=VALUE"``; *undefines* names to undefine afterwards.
    """
    ops: list[MacroOp] = []
    if isinstance(defines, Mapping):
        for name, value in defines.items():
            ops.append(define_op(name, value))
    else:
        for text in defines:
            name, sep, value = text.partition("=")
            ops.append(define_op(name, value if sep else None))
    ops.extend(undefine_op(name) for name in undefines)
    return ops


def define_op(name: str, value: str | None = None) -> MacroOp:
    """The macro operation for ``-D name[=value]`` (``-D name`` defines it as 1)."""
    return ("define", name, "1" if value is None else value)


def undefine_op(name: str) -> MacroOp:
    """The macro operation for ``-U name``."""
    return ("undef", name)


def check(
    paths: Iterable[str | os.PathLike[str]],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
) -> tuple[Program, list[Diagnostic]]:
    """Load *paths* and return the program with every diagnostic (never raises on bad input)."""
    sink = DiagnosticSink()
    program = load(
        paths,
        include_dirs=include_dirs,
        macro_ops=macro_ops(defines, undefines),
        sink=sink,
        builtin_include=builtin_include,
    )
    return program, list(sink.diagnostics)


def parse(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
) -> Program:
    """Load and resolve IDL files; raise :class:`CompileError` if any error was reported.

    Imported files are searched in the importing file's directory, then
    *include_dirs*, then idlgen's built-in include directory (unless
    *builtin_include* is False).  Warnings are kept in ``program.diagnostics``.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    program, diagnostics = check(
        paths,
        include_dirs=include_dirs,
        defines=defines,
        undefines=undefines,
        builtin_include=builtin_include,
    )
    if any(d.is_error for d in diagnostics):
        raise CompileError(diagnostics)
    return program
