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

from idlgen.inputfiles import MAX_SOURCE_BYTES, UnreadableFile, read_input_file

#: A sink keeps at most this many errors, and as many warnings (like clang's error limit: past
#: that, a flood of follow-on messages helps nobody); the ones past it are only counted.
MAX_KEPT_DIAGNOSTICS = 200


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


class DiagnosticList(list[Diagnostic]):
    """Diagnostics in the order reported, and how many more were reported but not kept."""

    omitted_errors = 0
    omitted_warnings = 0

    def extend(self, items: Iterable[Diagnostic]) -> None:
        """Append *items*; the counts of what another list omitted are added too."""
        super().extend(items)
        self.add_omitted(items)

    def add_omitted(self, source: object) -> None:
        """Add the omitted counts of *source* (a :class:`DiagnosticList` or
        :class:`CompileError`; anything else omitted nothing)."""
        self.omitted_errors += getattr(source, "omitted_errors", 0)
        self.omitted_warnings += getattr(source, "omitted_warnings", 0)

    @property
    def error_count(self) -> int:
        """The number of errors reported, the omitted ones included."""
        return sum(1 for d in self if d.is_error) + self.omitted_errors

    @property
    def warning_count(self) -> int:
        """The number of warnings reported, the omitted ones included."""
        return sum(1 for d in self if not d.is_error) + self.omitted_warnings


class CompileError(Exception):
    """Raised by the API when a run produced errors; carries the diagnostics (and the
    counts of those a :class:`DiagnosticSink` did not keep)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        self.omitted_errors: int = getattr(diagnostics, "omitted_errors", 0)
        self.omitted_warnings: int = getattr(diagnostics, "omitted_warnings", 0)
        first = next((d for d in self.diagnostics if d.is_error), None)
        super().__init__(
            f"{first.span}: {first.message}" if first is not None else "compilation failed"
        )


@dataclass
class DiagnosticSink:
    """Collects diagnostics in the order they are reported (duplicates dropped).

    It keeps at most *limit* errors and *limit* warnings; later ones are only counted (in
    ``diagnostics.omitted_errors`` / ``omitted_warnings``), so a flood of diagnostics costs
    no memory.
    """

    diagnostics: DiagnosticList = field(default_factory=DiagnosticList)
    limit: int = MAX_KEPT_DIAGNOSTICS
    _seen: set[tuple[str, str, int, int, str]] = field(default_factory=set, repr=False)
    _kept: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0}, repr=False)

    def report(self, diagnostic: Diagnostic) -> None:
        """Record *diagnostic* unless an identical one was already recorded."""
        d = diagnostic
        key = (d.severity.value, d.span.file, d.span.line, d.span.column, d.message)
        if key in self._seen:
            return
        error = d.is_error
        if self._kept[error] >= self.limit:
            if error:
                self.diagnostics.omitted_errors += 1
            else:
                self.diagnostics.omitted_warnings += 1
            return
        self._kept[error] += 1
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
        """Number of errors reported so far (those not kept included)."""
        return self.diagnostics.error_count

    @property
    def has_errors(self) -> bool:
        """True when at least one error was reported."""
        return self.diagnostics.omitted_errors > 0 or any(d.is_error for d in self.diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)


SourceReader = Callable[[str], "str | None"]

#: The widest excerpt of a source line a diagnostic quotes (in characters, around the caret).
EXCERPT_WIDTH = 160


def _read_source_file(path: str) -> str | None:
    """The text of *path* for quoting, or None: unreadable, or not text (NUL bytes)."""
    try:
        data = read_input_file(path, MAX_SOURCE_BYTES)
    except UnreadableFile:
        return None
    if b"\0" in data:
        return None  # a binary file (or /proc/self/environ): never quote it
    return data.decode("utf-8", errors="replace")


def _split_lines(text: str) -> list[str]:
    """Lines as the preprocessor counts them (only ``\\n`` ends a line)."""
    return text.replace("\r\n", "\n").split("\n")


def escape_char(ch: str) -> str:
    """The Python escape of one character: ``\\x1b``, ``\\u202e``, ``\\U0001f600``."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """*text* with every character that is not printable (but a tab) shown as an escape
    (``\\x1b``, ``\\u202e``): a diagnostic never sends control sequences from its input to
    the terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\t" else escape_char(ch) for ch in text)


class SourceCache:
    """Reads source files once so diagnostics can quote their lines."""

    def __init__(self, reader: SourceReader = _read_source_file) -> None:
        self._reader = reader
        self._lines: dict[str, list[str] | None] = {}

    def add(self, path: str, text: str) -> None:
        """Register text already in memory for *path*."""
        self._lines[path] = _split_lines(text)

    def line(self, path: str, line: int) -> str | None:
        """Return line *line* (1-based) of *path*, or None when unavailable."""
        if path not in self._lines:
            text = self._reader(path)
            self._lines[path] = _split_lines(text) if text is not None else None
        lines = self._lines[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]


def format_diagnostic(diagnostic: Diagnostic, sources: SourceCache | None = None) -> str:
    """Render *diagnostic* (and its notes) as compiler-style text, without a final newline.

    File names, messages and quoted source are shown through :func:`printable`; a long
    source line is cut to :data:`EXCERPT_WIDTH` characters around the caret.
    """
    out: list[str] = []
    _format_one(diagnostic, sources, out)
    for note in diagnostic.notes:
        _format_one(note, sources, out)
    return "\n".join(out)


def _format_one(d: Diagnostic, sources: SourceCache | None, out: list[str]) -> None:
    span = d.span
    where = printable(span.file)
    if span.line > 0:
        out.append(f"{where}:{span.line}:{span.column}: {d.severity.value}: {printable(d.message)}")
    else:
        out.append(f"{where}: {d.severity.value}: {printable(d.message)}")
    if sources is None or span.line <= 0:
        return
    text = sources.line(span.file, span.line)
    if text is None:
        return
    start = max(span.column, 1) - 1
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = min(span.end_column - span.column, EXCERPT_WIDTH)
    low, high = 0, len(text)
    if high > EXCERPT_WIDTH:
        low = max(0, min(start - EXCERPT_WIDTH // 3, high - EXCERPT_WIDTH))
        high = low + EXCERPT_WIDTH
    head = ("..." if low else "") + printable(text[low:start])
    marked = printable(text[start : start + width])
    tail = printable(text[start + width : high]) + ("..." if high < len(text) else "")
    indent = len(head.expandtabs(8))
    mark = len((head + marked).expandtabs(8)) - indent
    out.append("    " + (head + marked + tail).expandtabs(8).rstrip())
    out.append("    " + " " * indent + "^" + "~" * max(0, mark - 1))
