"""The typed Python API (mirrors the ``idlgen`` command line).

>>> from idlgen.api import parse, generate
>>> program = parse(["examples/Msgrpriv.idl"])          # doctest: +SKIP
>>> [d.name for d in program.files[0].walk()]            # doctest: +SKIP
>>> result = generate(["examples/Msgrpriv.idl"], "generated")   # doctest: +SKIP
>>> result.report.written                                # doctest: +SKIP

:func:`parse` raises :class:`~idlgen.diagnostics.CompileError` when a file has
errors; :func:`check` returns the diagnostics instead.  :func:`render` turns
IDL files into ``{relative path: text}`` in memory; :func:`generate` also
writes them (see :mod:`idlgen.output` for the safety rules) or, with
``check=True``, compares them with what is on disk.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from idlgen.diagnostics import (
    CompileError,
    Diagnostic,
    DiagnosticList,
    DiagnosticSink,
    Severity,
    Span,
)
from idlgen.frontend import MacroOp, Program, load
from idlgen.output import OutputReport, write_output
from idlgen.output.format import DEFAULT_STYLE, BlackStyle, Formatter
from idlgen.output.style import black_style_for

#: What ``generate``/``render`` emit unless told otherwise.
DEFAULT_EMIT: tuple[str, ...] = ("stubs", "events")

#: ``progress(done, total, source)``: called before each input file is processed.
Progress = Callable[[int, int, str], None]

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


_macro_ops = macro_ops


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
    source_encoding: str | None = None,
) -> tuple[Program, DiagnosticList]:
    """Load *paths* and return the program with every diagnostic (never raises on bad input).

    *source_encoding* is the code page of files that are neither UTF-8 nor marked by a BOM
    (``--source-encoding``; default cp1252).
    """
    sink = DiagnosticSink()
    program = load(
        paths,
        include_dirs=include_dirs,
        macro_ops=macro_ops(defines, undefines),
        sink=sink,
        builtin_include=builtin_include,
        source_encoding=source_encoding,
    )
    diagnostics = DiagnosticList()
    diagnostics.extend(sink.diagnostics)  # with the counts of those not kept
    return program, diagnostics


def parse(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
    source_encoding: str | None = None,
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
        source_encoding=source_encoding,
    )
    if any(d.is_error for d in diagnostics) or diagnostics.omitted_errors:
        raise CompileError(diagnostics)
    return program


# --------------------------------------------------------------------------- generate


@dataclass
class RenderResult:
    """The generated files of some IDL inputs, with what was read on the way."""

    files: dict[str, str]
    sources: list[str]
    files_read: int
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class GenerateResult:
    """What :func:`generate` did: the rendering and the :class:`OutputReport`."""

    render: RenderResult
    report: OutputReport
    seconds: float

    @property
    def files(self) -> dict[str, str]:
        """The generated files, ``{relative posix path: text}``."""
        return self.render.files


#: Extra emit kinds idlgen provides itself, with the module that registers each.
OWN_EMITTERS: dict[str, str] = {
    "tests": "idlgen.backends.conformance",
    "abi": "idlgen.backends.abi.emit",
}

#: Why one of :data:`OWN_EMITTERS` could not be registered (e.g. pytest missing).
EMITTER_PROBLEMS: dict[str, str] = {}


def emit_targets(wanted: Collection[str] | None = None) -> list[str]:
    """The output kinds ``emit`` accepts: the generator's own and the registered ones.

    idlgen's own extra targets (:data:`OWN_EMITTERS`: ``"tests"``, the
    conformance suite) are registered first when *wanted* asks for them (or is
    None); a target that cannot be registered is left out and the reason kept
    in :data:`EMITTER_PROBLEMS`.
    """
    codegen = importlib.import_module("idlgen.backends.python")
    builtin: tuple[str, ...] = getattr(codegen, "BUILTIN_TARGETS", DEFAULT_EMIT)
    extra: dict[str, object] = getattr(codegen, "EMITTERS", {})
    for name, module in OWN_EMITTERS.items():
        if name in builtin or name in extra or (wanted is not None and name not in wanted):
            continue
        try:
            importlib.import_module(module).register()
        except ImportError as exc:
            EMITTER_PROBLEMS[name] = f"{exc} (install it, e.g. pip install 'idlgen[test]')"
        else:
            EMITTER_PROBLEMS.pop(name, None)
    own = [name for name in OWN_EMITTERS if name in extra and name not in builtin]
    return [*builtin, *own, *(name for name in extra if name not in builtin and name not in own)]


def unknown_emit_message(unknown: Sequence[str], known: Sequence[str]) -> str:
    """Explain why the emit kinds *unknown* cannot be used (with a "did you mean")."""
    import difflib  # only on this error path: kept out of start-up

    parts = []
    for name in unknown:
        problem = EMITTER_PROBLEMS.get(name)
        if problem:
            parts.append(f"output kind '{name}' is not available: {problem}")
            continue
        close = difflib.get_close_matches(name, [*known, *OWN_EMITTERS], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        parts.append(f"unknown output kind '{name}'{hint}")
    return "; ".join(parts) + f" (known: {', '.join(known)})"


def emit_problem(emit: Collection[str]) -> str | None:
    """Why the output kinds *emit* cannot all be generated, or None when they can.

    The message lists every kind this installation knows, not only those asked for.
    """
    known = emit_targets(emit)
    unknown = [e for e in emit if e not in known]
    if not unknown:
        return None
    return unknown_emit_message(unknown, emit_targets())


def _source_list(
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
) -> list[str]:
    """The sources as strings, in order, a file named twice kept once."""
    if isinstance(sources, str | os.PathLike):
        return [os.fspath(sources)]
    result: list[str] = []
    seen: set[str] = set()
    for s in sources:
        path = os.fspath(s)
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def render_details(
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
    package: str | None = None,
    emit: Collection[str] = DEFAULT_EMIT,
    progress: Progress | None = None,
    macro_ops: Sequence[MacroOp] = (),
    with_imports: bool = False,
    style: BlackStyle = DEFAULT_STYLE,
    jobs: int | None = None,
    source_encoding: str | None = None,
) -> RenderResult:
    """Like :func:`render`, also returning the warnings and the number of files read.

    Each source is loaded as its own program (imports are parsed once and
    shared) and rendered by :func:`idlgen.backends.python.render_package`; the
    ``.py`` files are formatted by black in *style* (served from the format cache
    when it can), in up to *jobs* worker processes (default: one per CPU) while
    the next sources are loaded.  Every source is processed before an error is
    raised, so the :class:`CompileError` carries all problems at once.  A
    *package* with more than one source or an unknown *emit* kind raise
    ValueError.
    """
    paths = _source_list(sources)
    if package is not None and len(paths) > 1:
        raise ValueError("package can only be given with a single source file")
    problem = emit_problem(emit)
    if problem is not None:
        raise ValueError(problem)
    ops = [*_macro_ops(defines, undefines), *macro_ops]
    diagnostics = DiagnosticList()
    files: dict[str, str] = {}
    owner: dict[str, str] = {}
    seen_files: set[str] = set()
    failed = False
    with Formatter(style, jobs=jobs) as formatter:
        for index, path in enumerate(paths):
            if progress is not None:
                progress(index, len(paths), path)
            rendered = _render_one(
                path,
                include_dirs=include_dirs,
                ops=ops,
                builtin_include=builtin_include,
                source_encoding=source_encoding,
                package=package,
                emit=emit,
                with_imports=with_imports,
                style=style,
                seen_files=seen_files,
                diagnostics=diagnostics,
            )
            if rendered is None:
                failed = True
                continue
            for rel, text in rendered.items():
                if rel in owner and files[rel] != text:
                    diagnostics.append(
                        Diagnostic(
                            Severity.ERROR,
                            f"generates '{rel}', which '{owner[rel]}' also generates "
                            "(give the files different names or generate them separately "
                            "with --package)",
                            Span(path, 0, 0),
                        )
                    )
                    failed = True
                    continue
                if rel not in owner:
                    formatter.submit(rel, text)
                owner[rel] = path
                files[rel] = text
        if progress is not None:
            progress(len(paths), len(paths), "")
        if failed:
            raise CompileError(diagnostics)
        formatted = formatter.results()
    return RenderResult(formatted, paths, len(seen_files), diagnostics)


def _render_one(
    path: str,
    *,
    include_dirs: Sequence[str | os.PathLike[str]],
    ops: Sequence[MacroOp],
    builtin_include: bool,
    source_encoding: str | None,
    package: str | None,
    emit: Collection[str],
    with_imports: bool,
    style: BlackStyle,
    seen_files: set[str],
    diagnostics: DiagnosticList,
) -> dict[str, str] | None:
    """Load one source and render it unformatted; None (diagnostics added) on errors."""
    from idlgen.backends.python import render_package

    sink = DiagnosticSink()
    program = load(
        [path],
        include_dirs=include_dirs,
        macro_ops=ops,
        sink=sink,
        builtin_include=builtin_include,
        source_encoding=source_encoding,
    )
    seen_files.update(f.path for f in (*program.files, *program.imports))
    diagnostics.extend(sink.diagnostics)
    if sink.has_errors:
        return None
    try:
        return render_package(
            program,
            package=package,
            emit=tuple(emit),
            with_imports=with_imports,
            style=style,
            formatted=False,
        )
    except CompileError as exc:
        diagnostics.extend(exc.diagnostics)
        diagnostics.add_omitted(exc)
        return None


def render(
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
    package: str | None = None,
    emit: Collection[str] = DEFAULT_EMIT,
    with_imports: bool = False,
    style: BlackStyle = DEFAULT_STYLE,
    source_encoding: str | None = None,
) -> dict[str, str]:
    """Generate Python from IDL *sources* in memory: ``{relative posix path: text}``.

    Options as for :func:`generate`; the code is formatted in the black *style* given
    (default: black's defaults; :func:`idlgen.output.style.black_style_for` finds the style
    of a project).  Raises :class:`CompileError` when an input has errors or cannot be
    generated (e.g. the WinRT dialect).
    """
    return render_details(
        sources,
        include_dirs=include_dirs,
        defines=defines,
        undefines=undefines,
        builtin_include=builtin_include,
        package=package,
        emit=emit,
        with_imports=with_imports,
        style=style,
        source_encoding=source_encoding,
    ).files


def generate(
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    defines: Defines = (),
    undefines: Iterable[str] = (),
    builtin_include: bool = True,
    package: str | None = None,
    emit: Collection[str] = DEFAULT_EMIT,
    check: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    macro_ops: Sequence[MacroOp] = (),
    with_imports: bool = False,
    line_length: int | None = None,
    jobs: int | None = None,
    style_dir: str | os.PathLike[str] | None = None,
    source_encoding: str | None = None,
) -> GenerateResult:
    """Generate Python packages from IDL *sources* into the directory *output*.

    The same as ``idlgen generate``: *include_dirs* (``-I``), *defines*
    (``-D``: ``{"NAME": "VALUE"}`` or ``["NAME", "NAME=VALUE"]``), *undefines*
    (``-U``), *builtin_include* (False = ``--no-builtin-include``), *package*
    (``--package``, one source only), *emit* (``--emit``: "stubs", "events",
    "tests"), *check* (``--check``: compare only; see
    ``result.report.stale``/``missing``/``obsolete``), *force* (``--force``:
    overwrite files idlgen did not generate).  *progress* is called as
    ``progress(done, total, source)`` before each source and once at the end;
    *macro_ops* are preprocessor operations applied after *defines* and
    *undefines*, in order (``("define", NAME, VALUE)`` / ``("undef", NAME)``,
    what the command line's ``-D``/``-U`` produce).  *with_imports*
    (``--with-imports``) also generates a package for every imported file, so
    types and coclass members from imports are real classes, not the runtime's
    ``IUnknown``/``IDispatch`` stand-ins.  *source_encoding* (``--source-encoding``) is the
    code page of sources that are neither UTF-8 nor marked by a BOM (default cp1252).

    The code is formatted by black as the project *output* lies in configures it
    (``[tool.black]``, found as black finds it: :mod:`idlgen.output.style`), so the
    user's ``black --check`` accepts it (*style_dir*: look from that folder instead,
    e.g. the project of a build that writes into a temporary folder); *line_length*
    (``--line-length``) overrides black's line length (``ValueError`` unless 1 to 1000).
    black runs in up to *jobs* processes (default: one per CPU).

    Nothing is written when any input has errors (:class:`CompileError`) or an
    output problem is found (:class:`idlgen.output.OutputError`, a
    CompileError too).  Unchanged files are not rewritten.
    """
    started = time.perf_counter()
    style = black_style_for(style_dir if style_dir is not None else output, line_length=line_length)
    rendered = render_details(
        sources,
        include_dirs=include_dirs,
        defines=defines,
        undefines=undefines,
        builtin_include=builtin_include,
        package=package,
        emit=emit,
        progress=progress,
        macro_ops=macro_ops,
        with_imports=with_imports,
        style=style,
        jobs=jobs,
        source_encoding=source_encoding,
    )
    report = write_output(
        rendered.files, Path(output), check=check, force=force, sources=rendered.sources
    )
    return GenerateResult(rendered, report, time.perf_counter() - started)
