"""Source positions and compiler-style diagnostics.

Every stage reports problems as :class:`Diagnostic` objects collected in a
:class:`DiagnosticSink`; nothing raises at the first problem.  A diagnostic is
rendered like a C compiler does::

    examples/Msgrpriv.idl:42:35: error: unknown type 'IMsgrLok'
        HRESULT GetLock([out, retval] IMsgrLok **ppLock);
                                      ^~~~~~~~
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A region of an original source file; lines and columns are 1-based."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


#: Placeholder for nodes made by the tool itself (built-in types, tests).
NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


class Severity(enum.Enum):
    """How bad a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message about a place in the source, with optional related notes."""

    severity: Severity
    message: str
    span: Span
    notes: tuple[Diagnostic, ...] = ()

    @property
    def is_error(self) -> bool:
        """True for errors (not warnings or notes)."""
        return self.severity is Severity.ERROR


class CompileError(Exception):
    """Raised by the API when a run produced errors; carries the diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = next((d for d in self.diagnostics if d.is_error), None)
        super().__init__(
            f"{first.span}: {first.message}" if first is not None else "compilation failed"
        )


@dataclass
class DiagnosticSink:
    """Collects diagnostics in the order they are reported (duplicates dropped)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[tuple[str, str, int, int, str]] = field(default_factory=set, repr=False)

    def report(self, diagnostic: Diagnostic) -> None:
        """Record *diagnostic* unless an identical one was already recorded."""
        d = diagnostic
        key = (d.severity.value, d.span.file, d.span.line, d.span.column, d.message)
        if key not in self._seen:
            self._seen.add(key)
            self.diagnostics.append(d)

    def error(self, span: Span, message: str, *notes: Diagnostic) -> None:
        """Record an error at *span*."""
        self.report(Diagnostic(Severity.ERROR, message, span, tuple(notes)))

    def warning(self, span: Span, message: str, *notes: Diagnostic) -> None:
        """Record a warning at *span*."""
        self.report(Diagnostic(Severity.WARNING, message, span, tuple(notes)))

    @staticmethod
    def note(span: Span, message: str) -> Diagnostic:
        """Make a note to attach to an error or warning."""
        return Diagnostic(Severity.NOTE, message, span)

    @property
    def error_count(self) -> int:
        """Number of errors recorded so far."""
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def has_errors(self) -> bool:
        """True when at least one error was recorded."""
        return any(d.is_error for d in self.diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)


SourceReader = Callable[[str], "str | None"]


def _read_source_file(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


class SourceCache:
    """Reads source files once so diagnostics can quote their lines."""

    def __init__(self, reader: SourceReader = _read_source_file) -> None:
        self._reader = reader
        self._lines: dict[str, list[str] | None] = {}

    def add(self, path: str, text: str) -> None:
        """Register text already in memory for *path*."""
        self._lines[path] = text.splitlines()

    def line(self, path: str, line: int) -> str | None:
        """Return line *line* (1-based) of *path*, or None when unavailable."""
        if path not in self._lines:
            text = self._reader(path)
            self._lines[path] = text.splitlines() if text is not None else None
        lines = self._lines[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]


def format_diagnostic(diagnostic: Diagnostic, sources: SourceCache | None = None) -> str:
    """Render *diagnostic* (and its notes) as compiler-style text, without a final newline."""
    out: list[str] = []
    _format_one(diagnostic, sources, out)
    for note in diagnostic.notes:
        _format_one(note, sources, out)
    return "\n".join(out)


def _format_one(d: Diagnostic, sources: SourceCache | None, out: list[str]) -> None:
    span = d.span
    if span.line > 0:
        out.append(f"{span.file}:{span.line}:{span.column}: {d.severity.value}: {d.message}")
    else:
        out.append(f"{span.file}: {d.severity.value}: {d.message}")
    if sources is None or span.line <= 0:
        return
    text = sources.line(span.file, span.line)
    if text is None:
        return
    raw = text[:400]
    start = max(span.column, 1) - 1
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    indent = len(raw[:start].expandtabs(8))
    marked = len(raw[: start + width].expandtabs(8)) - indent
    caret = " " * indent + "^" + "~" * max(0, marked - 1)
    out.append("    " + raw.expandtabs(8).rstrip())
    out.append("    " + caret)
