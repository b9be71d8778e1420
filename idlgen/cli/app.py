"""The ``idlgen`` command line.

Subcommands are plain functions registered in :data:`COMMANDS`: each entry
names the subcommand, its one-line help, a function that adds its arguments
to an :mod:`argparse` sub-parser and the function that runs it (returning the
exit status).  To add one, write those two functions (in your own module if you
like) and append a :class:`Command` to the table.  Options and file names may be
intermixed (``idlgen check a.idl -I inc b.idl``): sub-parsers are parsed with
``parse_intermixed_args``, so a subcommand must not use argparse features that
this does not support (mutually exclusive groups mixing options and positionals).

Exit status: 0 success (warnings allowed), 1 errors in the input, 2 command-line
misuse, 3 an internal error (a bug in idlgen: reported as one line, with the
traceback only under ``--traceback``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idlgen.cli.common import (
    EXIT_ERRORS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    add_input_options,
    load_program,
    load_program_quietly,
    print_diagnostics,
)
from idlgen.diagnostics import Diagnostic
from idlgen.version import __version__

if TYPE_CHECKING:  # the front end is imported by the commands that read IDL, when they run
    from idlgen.frontend import Program


@dataclass(frozen=True)
class Command:
    """One ``idlgen`` subcommand."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- check


def _configure_check(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check IDL files and report problems, and the scenario file next to each "
        "(<stem>.scenarios.toml, as --emit tests reads it) when there is one."
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="IDL files to check")
    add_input_options(parser)


def _run_check(args: argparse.Namespace) -> int:
    program, diagnostics = load_program_quietly(args, args.files)
    if not any(d.is_error for d in diagnostics):
        diagnostics += _scenario_problems(program)
    print_diagnostics(diagnostics, source_encoding=args.source_encoding)
    return EXIT_ERRORS if any(d.is_error for d in diagnostics) else EXIT_OK


def _scenario_problems(program: Program) -> list[Diagnostic]:
    """The problems of the scenario files next to the checked IDL files.

    They are checked as ``--emit tests`` would, with the conformance backend's facts (which
    need neither Jinja2 nor pytest); it is imported only when there is a scenario file.
    """
    from idlgen.conformance.scenarios import find_scenario_file

    problems: list[Diagnostic] = []
    for f in program.files:
        if find_scenario_file(f.path) is not None:
            from idlgen.backends.conformance import check_scenarios

            problems += check_scenarios(program, f.path)
    return problems


# --------------------------------------------------------------------------- dump


def _configure_dump(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="IDL file to dump")
    add_input_options(parser)
    parser.add_argument(
        "--json", action="store_true", help="print JSON (the format in docs/dump-json.md)"
    )


def _run_dump(args: argparse.Namespace) -> int:
    from idlgen.backends.dump import dump_json_text, dump_text

    program, failed = load_program(args, [args.file])
    if failed or not program.files:
        return EXIT_ERRORS
    f = program.files[0]
    symbols = program.symbols.get(args.file)
    text = dump_json_text(f, symbols) if args.json else dump_text(f, symbols)
    sys.stdout.write(text)
    sys.stdout.flush()
    return EXIT_OK


def _configure_generate(parser: argparse.ArgumentParser) -> None:
    from idlgen.cli import generate as cli_generate

    cli_generate.configure(parser)


def _run_generate(args: argparse.Namespace) -> int:
    from idlgen.cli import generate as cli_generate

    return cli_generate.run(args)


#: The subcommands, in the order ``--help`` lists them.
COMMANDS: list[Command] = [
    Command("check", "check IDL files and report problems", _configure_check, _run_check),
    Command("dump", "print the declarations of an IDL file", _configure_dump, _run_dump),
    Command(
        "generate",
        "generate Python packages from IDL files",
        _configure_generate,
        _run_generate,
    ),
]


# --------------------------------------------------------------------------- main


def _command_listing() -> str:
    """The commands and what each does, then where to read about their options."""
    listing = "\n".join(f"  {cmd.name:<10} {cmd.help}" for cmd in COMMANDS)
    return f"commands:\n{listing}\n\nRun 'idlgen COMMAND --help' for a command's options."


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: global options, the subcommand name and its arguments."""
    parser = argparse.ArgumentParser(
        prog="idlgen",
        usage="%(prog)s [-h] [--version] [--traceback] COMMAND [ARGS...]",
        description="Read MIDL (COM IDL): check it, dump it, generate Python from it.",
        epilog=_command_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"idlgen {__version__}")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback of an internal error",
    )
    parser.add_argument(
        "command",
        metavar="COMMAND",
        nargs="?",
        choices=[cmd.name for cmd in COMMANDS],
        help="see below",
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def build_command_parser(cmd: Command) -> argparse.ArgumentParser:
    """The parser of one subcommand (options and files may be intermixed, as in cc)."""
    parser = argparse.ArgumentParser(prog=f"idlgen {cmd.name}", description=cmd.help)
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    cmd.configure(parser)
    return parser


def parse_command_line(argv: list[str]) -> tuple[Command, argparse.Namespace]:
    """Parse *argv*; raises SystemExit like argparse on --help, --version or misuse."""
    parser = build_parser()
    top = parser.parse_args(argv)
    if top.command is None:  # a bare `idlgen`: what it can do, not argparse's wording
        sys.stderr.write(f"{parser.format_usage()}\n{_command_listing()}\n")
        raise SystemExit(EXIT_USAGE)
    cmd = next(c for c in COMMANDS if c.name == top.command)
    args = build_command_parser(cmd).parse_intermixed_args(top.args)
    args.traceback = args.traceback or top.traceback
    return cmd, args


def main(argv: list[str] | None = None) -> int:
    """Run ``idlgen`` with *argv* (default ``sys.argv[1:]``); return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in args_list
    try:
        try:
            cmd, args = parse_command_line(args_list)
        except SystemExit as exc:  # argparse: --help/--version (0) or misuse (2)
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return cmd.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("idlgen: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (``idlgen dump ... | head``): not an error of ours
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except Exception as exc:  # an idlgen bug: one line, not a traceback
        if show_traceback:
            traceback.print_exc()
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        detail = " ".join(detail.split())[:500]
        sys.stderr.write(
            f"idlgen: internal error: {detail} "
            "(please report this; run with --traceback for details)\n"
        )
        return EXIT_INTERNAL


def console_main() -> None:
    """Entry point of the ``idlgen`` command and ``python -m idlgen``.

    Runs :func:`main`, flushes the standard streams and ends the process with
    ``os._exit``: tearing down the millions of model objects of a large run (and
    the final garbage collection) would take longer than the work itself on a big
    corpus, and nothing is left to clean up — output files are already written and
    closed.
    """
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    console_main()
