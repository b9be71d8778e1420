"""``idlgen generate``: write Python packages from IDL files (see docs/cli.md).

Settings come from the command line, then ``[tool.idlgen]`` in the nearest
``pyproject.toml`` (or ``--config PATH``); an option given on the command line
replaces the configured value.  Exit status: 0 success, 1 errors in the input or
output problems (or, with ``--check``, stale output), 2 misuse (including an
invalid configuration file).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from idlgen.cli.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, add_input_options, print_diagnostics
from idlgen.config import (
    Config,
    ConfigError,
    find_config,
    load_config,
    parse_emit,
    setting_error,
    valid_package_name,
)
from idlgen.diagnostics import CompileError, Diagnostic, Severity, Span, printable
from idlgen.diagnostics import format_diagnostic as _format
from idlgen.output.style import MAX_LINE_LENGTH

HELP = "generate Python packages from IDL files"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``idlgen generate`` to *parser*."""
    parser.description = (
        "Generate typed Python packages (stubs, event sinks, tests) from IDL files. "
        "Options not given are read from [tool.idlgen] in the nearest pyproject.toml."
    )
    parser.epilog = (
        "exit status: 0 success, 1 errors in the input or output (with --check: stale, "
        "missing or obsolete files), 2 misuse or an invalid configuration. "
        "Reference: docs/cli.md."
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="IDL files (default: 'sources' of the config)"
    )
    add_input_options(parser)
    parser.set_defaults(builtin_include=None)
    parser.add_argument("-o", "--output", metavar="DIR", help="directory to write into")
    parser.add_argument(
        "--emit",
        metavar="KINDS",
        help="comma-separated output kinds: stubs, events, tests, abi (default: stubs,events)",
    )
    parser.add_argument(
        "--package", metavar="NAME", help="name of the generated package (one FILE only)"
    )
    parser.add_argument(
        "--with-imports",
        action="store_true",
        default=None,
        help="also generate a package for every imported IDL file (types from imports "
        "become real classes)",
    )
    parser.add_argument(
        "--line-length",
        type=_line_length,
        metavar="N",
        help="black's line length for the generated code (default: [tool.black] of the "
        "output's project, else 88)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list stale or missing files and exit 1 if there are any",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite files that idlgen did not generate"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every file and the config used"
    )
    parser.add_argument(
        "--config", metavar="PATH", help="read [tool.idlgen] from PATH (a pyproject.toml)"
    )
    parser.add_argument("--no-config", action="store_true", help="do not read any pyproject.toml")


def _line_length(text: str) -> int:
    """``--line-length``'s value: an integer from 1 to 1000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if not 1 <= value <= MAX_LINE_LENGTH:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LINE_LENGTH}, not {value}")
    return value


def _display(path: str) -> str:
    """*path* relative to the cwd when it lies below it, else unchanged."""
    if not os.path.isabs(path):
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class _Progress:
    """A one-line ``[3/239] file.idl`` display on a terminal (stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, source: str) -> None:
        now = time.monotonic()
        if done >= total:
            self.clear()
            return
        if total < 2 or now - self.last < 0.1:
            return
        self.last = now
        text = f"[{done + 1}/{total}] {printable(_display(source))}"[:78]
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _usage(message: str) -> int:
    sys.stderr.write(f"idlgen generate: error: {printable(message)}\n")
    return EXIT_USAGE


def _print(
    diagnostics: Sequence[Diagnostic],
    quiet: bool,
    counts: object = None,
    source_encoding: str | None = None,
) -> None:
    """Print *diagnostics* like ``idlgen check`` does; with *quiet*, errors only.

    *counts* (default: *diagnostics*) carries the numbers of diagnostics not kept; source
    lines are decoded in *source_encoding* like the front end does.
    """
    source = diagnostics if counts is None else counts
    omitted = (
        getattr(source, "omitted_errors", 0),
        0 if quiet else getattr(source, "omitted_warnings", 0),
    )
    print_diagnostics(
        [d for d in diagnostics if d.is_error or not quiet],
        omitted=omitted,
        source_encoding=source_encoding,
    )


def _load_config(args: argparse.Namespace) -> Config | None:
    if args.no_config:
        return None
    if args.config:
        return load_config(args.config, required=True)
    found = find_config()
    return load_config(_display(str(found))) if found is not None else None


def run(args: argparse.Namespace) -> int:
    """Run ``idlgen generate`` with parsed *args*; return the exit status."""
    started = time.perf_counter()
    quiet: bool = args.quiet
    if args.quiet and args.verbose:
        return _usage("-q/--quiet and -v/--verbose exclude each other")
    if args.config and args.no_config:
        return _usage("--config and --no-config exclude each other")
    try:
        config = _load_config(args)
    except ConfigError as exc:
        _print(exc.diagnostics, False, exc)
        return EXIT_USAGE
    if config is not None and args.verbose:
        print(f"idlgen: using configuration {_display(str(config.path))}")

    sources = list(args.files) or [_display(s) for s in (config.sources if config else None) or []]
    if not sources:
        return _usage("no input files (give FILE... or set 'sources' in [tool.idlgen])")
    output = args.output or (_display(config.output) if config and config.output else None)
    if not output:
        return _usage("no output directory (give -o DIR or set 'output' in [tool.idlgen])")
    package = args.package or (config.package if config else None)
    if package is not None:
        where = "--package" if args.package else "[tool.idlgen] package"
        if not valid_package_name(package):
            from idlgen.backends.common.naming import package_name_problem

            reason = package_name_problem(package) or "is not a valid Python package name"
            return _usage(f"{where}: '{package}' {reason}")
        if len(sources) > 1:
            return _usage(f"{where} needs exactly one input file")
    if args.emit is not None:
        emit = parse_emit(args.emit)
        if not emit:
            return _usage("--emit: name at least one output kind")
    else:
        emit = (config.emit if config else None) or ["stubs", "events"]
    include_dirs = list(args.include_dirs) or list((config.include_dir if config else None) or [])
    if args.macro_ops:
        defines: list[str] = []
        undefines: list[str] = []
        macro_ops = list(args.macro_ops)
    else:
        defines = list((config.define if config else None) or [])
        undefines = list((config.undefine if config else None) or [])
        macro_ops = []
    builtin_include = args.builtin_include
    if builtin_include is None:
        builtin_include = (
            config.builtin_include if config and config.builtin_include is not None else True
        )

    with_imports = args.with_imports
    if with_imports is None:
        with_imports = bool(config and config.with_imports)
    source_encoding = args.source_encoding or (config.source_encoding if config else None)

    from idlgen import api

    emit_problem = api.emit_problem(emit)
    if emit_problem is not None:
        if args.emit is not None or config is None:
            return _usage(f"--emit: {emit_problem}")
        _print(setting_error(config, "emit", emit_problem).diagnostics, quiet=False)
        return EXIT_USAGE
    progress = _Progress(sys.stderr) if (not quiet and sys.stderr.isatty()) else None
    try:
        result = api.generate(
            sources,
            output,
            include_dirs=include_dirs,
            defines=defines,
            undefines=undefines,
            builtin_include=builtin_include,
            package=package,
            emit=emit,
            check=args.check,
            force=args.force,
            progress=progress,
            macro_ops=macro_ops,
            with_imports=with_imports,
            line_length=args.line_length or (config.line_length if config else None),
            source_encoding=source_encoding,
        )
    except CompileError as exc:
        if progress is not None:
            progress.clear()
        _print(exc.diagnostics, quiet, exc, source_encoding)
        return EXIT_ERRORS
    _print(result.render.diagnostics, quiet, source_encoding=source_encoding)

    report = result.report
    seconds = time.perf_counter() - started
    out_dir = output

    def shown(rel: str) -> str:
        return os.path.join(out_dir, *rel.split("/"))

    read = len(result.render.sources)
    imported = result.render.files_read - read
    read_text = f"read {read} IDL file{'s' if read != 1 else ''}"
    if imported > 0:
        read_text += f" (+{imported} imported)"
    where = _display(out_dir).rstrip("/\\") + "/"
    if args.check:
        problems = [
            Diagnostic(
                Severity.ERROR,
                "out of date (differs from the generated text)",
                Span(shown(r), 0, 0),
            )
            for r in report.stale
        ]
        problems += [
            Diagnostic(Severity.ERROR, "missing (would be generated)", Span(shown(r), 0, 0))
            for r in report.missing
        ]
        problems += [
            Diagnostic(
                Severity.ERROR,
                "obsolete generated file (no longer generated)",
                Span(shown(r), 0, 0),
            )
            for r in report.obsolete
        ]
        for d in problems:
            sys.stderr.write(_format(d) + "\n")
        if not quiet:
            if args.verbose:
                for rel in report.unchanged:
                    print(f"up to date: {shown(rel)}")
            state = (
                f"{len(report.stale)} stale, {len(report.missing)} missing, "
                f"{len(report.obsolete)} obsolete, {len(report.unchanged)} up to date"
            )
            print(f"idlgen: check: {read_text}; {where}: {state}; {seconds:.2f} s")
        return EXIT_ERRORS if problems else EXIT_OK

    if not quiet:
        if args.verbose:
            for rel in report.written:
                print(f"wrote {shown(rel)}")
            for rel in report.unchanged:
                print(f"unchanged {shown(rel)}")
            for rel in report.removed:
                print(f"removed {shown(rel)}")
        removed = f", {len(report.removed)} removed" if report.removed else ""
        print(
            f"idlgen: {read_text}; {where}: {len(report.written)} written, "
            f"{len(report.unchanged)} unchanged{removed}; {seconds:.2f} s"
        )
    return EXIT_OK
