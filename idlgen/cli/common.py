"""What every ``idlgen`` subcommand shares: exit codes, the input options and the
diagnostic printer (:mod:`.app` and :mod:`.generate` both import this; neither imports
the other at module level)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from idlgen.diagnostics import (
    MAX_KEPT_DIAGNOSTICS,
    Diagnostic,
    DiagnosticList,
    DiagnosticSink,
    SourceCache,
    format_diagnostic,
)

if TYPE_CHECKING:  # the front end is imported by the commands that read IDL, when they run
    from idlgen.frontend import MacroOp, Program

#: At most this many diagnostics are printed (like clang's error limit): past that, a
#: flood of follow-on messages helps nobody; the count at the end stays exact (a sink keeps
#: no more than that many of each kind and counts the rest).
MAX_PRINTED_DIAGNOSTICS = MAX_KEPT_DIAGNOSTICS

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class _MacroAction(argparse.Action):
    """Collects ``-D``/``-U`` in command-line order into ``namespace.macro_ops``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        text = values if isinstance(values, str) else ""
        ops: list[MacroOp] = list(getattr(namespace, "macro_ops", None) or [])
        if self.dest == "undefine":
            if not text.isidentifier():
                parser.error(f"-U: '{text}' is not a macro name")
            ops.append(("undef", text))
        else:
            name, sep, value = text.partition("=")
            from idlgen.frontend.preprocess import is_macro_head

            if not is_macro_head(name):
                parser.error(f"-D: '{name}' is not a macro name (NAME or NAME(PARAMS))")
            ops.append(("define", name, value if sep else "1"))
        namespace.macro_ops = ops


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add ``-I``/``-D``/``-U`` and friends (shared by every subcommand that reads IDL)."""
    parser.add_argument(
        "-I",
        "--include-dir",
        dest="include_dirs",
        action="append",
        default=[],
        metavar="DIR",
        help="add DIR to the import/include search path (searched in order)",
    )
    parser.add_argument(
        "-D",
        "--define",
        dest="define",
        action=_MacroAction,
        metavar="NAME[=VALUE]",
        help="define a preprocessor macro (VALUE defaults to 1)",
    )
    parser.add_argument(
        "-U",
        "--undefine",
        dest="undefine",
        action=_MacroAction,
        metavar="NAME",
        help="undefine a macro",
    )
    parser.add_argument(
        "--no-builtin-include",
        dest="builtin_include",
        action="store_false",
        help="do not search idlgen's built-in system IDL directory",
    )
    parser.add_argument(
        "--source-encoding",
        dest="source_encoding",
        type=_encoding,
        metavar="ENCODING",
        help="code page of IDL files that are neither UTF-8 nor marked by a BOM "
        "(default cp1252; utf-8 makes invalid UTF-8 an error)",
    )
    parser.set_defaults(macro_ops=[])


def _encoding(text: str) -> str:
    """``--source-encoding``: a text encoding Python knows (argparse reports a bad one)."""
    try:
        from idlgen.frontend.sourcefiles import check_encoding

        return check_encoding(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load_program(args: argparse.Namespace, paths: Sequence[str]) -> tuple[Program, bool]:
    """Load *paths* with the input options in *args*; print diagnostics to stderr.

    Returns the program and True when there were errors.
    """
    program, diagnostics = load_program_quietly(args, paths)
    print_diagnostics(diagnostics, source_encoding=args.source_encoding)
    return program, any(d.is_error for d in diagnostics)


def load_program_quietly(
    args: argparse.Namespace, paths: Sequence[str]
) -> tuple[Program, DiagnosticList]:
    """Load *paths* with the input options in *args*; return the program and its diagnostics."""
    from idlgen.frontend import Loader

    sink = DiagnosticSink()
    loader = Loader(
        include_dirs=args.include_dirs,
        macro_ops=args.macro_ops,
        sink=sink,
        builtin_include=args.builtin_include,
        source_encoding=args.source_encoding,
    )
    loader.load_all(paths)
    diagnostics = DiagnosticList()
    diagnostics.extend(sink.diagnostics)  # with the counts of what the sink did not keep
    return loader.program, diagnostics


def print_diagnostics(
    diagnostics: Sequence[Diagnostic],
    stream: TextIO | None = None,
    *,
    omitted: tuple[int, int] | None = None,
    source_encoding: str | None = None,
) -> None:
    """Print *diagnostics* compiler-style (source line and caret), then a count; source
    lines are decoded as the front end decoded them (*source_encoding*: its code page).

    *omitted* is (errors, warnings) reported but not kept; by default the counts a
    :class:`~idlgen.diagnostics.DiagnosticList` or :class:`CompileError` carries.
    """
    out = stream if stream is not None else sys.stderr
    if omitted is None:
        omitted = (
            getattr(diagnostics, "omitted_errors", 0),
            getattr(diagnostics, "omitted_warnings", 0),
        )
    if not diagnostics and not any(omitted):
        return
    from idlgen.frontend.sourcefiles import source_reader

    sources = SourceCache(source_reader(source_encoding))
    for d in diagnostics[:MAX_PRINTED_DIAGNOSTICS]:
        out.write(format_diagnostic(d, sources) + "\n")
    hidden = len(diagnostics) - min(len(diagnostics), MAX_PRINTED_DIAGNOSTICS) + sum(omitted)
    if hidden > 0:
        out.write(f"idlgen: {hidden} more diagnostic{'s' if hidden != 1 else ''} not shown\n")
    kept_errors = sum(1 for d in diagnostics if d.is_error)
    errors = kept_errors + omitted[0]
    warnings = len(diagnostics) - kept_errors + omitted[1]
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    out.write(" and ".join(parts) + " generated.\n")
    out.flush()
