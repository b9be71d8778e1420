"""Parse preprocessed MIDL text into an :class:`~idlgen.model.IdlFile`.

The grammar (``grammars/midl.lark``, shipped inside the package as
``idlgen/grammars``) is compiled once per process into a Lark LALR(1) parser
with the contextual lexer; :class:`~idlgen.transform.ModelBuilder` runs inline,
so no parse tree is built.  Syntax errors become diagnostics at the original
file position (through the preprocessor's ``locate`` map) — never exceptions.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from idlgen.diagnostics import DiagnosticSink, Span
from idlgen.model import Declaration, IdlFile, Pragma
from idlgen.transform import Locate, ModelBuilder, TransformError

_PACKAGE_DIR = Path(__file__).resolve().parent

#: How terminals are named in "expected ..." messages.
_TERMINAL_NAMES = {
    "IDENT": "identifier",
    "NUMBER": "number",
    "STRING": "string",
    "WSTRING": "string",
    "CHAR_LITERAL": "character literal",
    "UUID": "uuid",
    "$END": "end of file",
}


def grammar_path() -> Path:
    """Where ``midl.lark`` is: inside the installed package, or in the source tree."""
    for candidate in (_PACKAGE_DIR / "grammars", _PACKAGE_DIR.parent / "grammars"):
        path = candidate / "midl.lark"
        if path.is_file():
            return path
    raise FileNotFoundError("idlgen's grammar midl.lark is missing from the installation")


class _Parser:
    """The compiled grammar and its (re-targetable) inline transformer."""

    def __init__(self) -> None:
        self.builder = ModelBuilder("", None)
        self.lark = Lark(
            grammar_path().read_text(encoding="utf-8"),
            parser="lalr",
            lexer="contextual",
            transformer=self.builder,
            maybe_placeholders=False,
        )
        self.lock = threading.Lock()


@cache
def _parser() -> _Parser:
    return _Parser()


def parse_text(
    text: str, path: str, sink: DiagnosticSink, *, locate: Locate | None = None
) -> IdlFile:
    """Parse preprocessed *text* of the file *path*; errors go to *sink*.

    *locate* maps a (line, column) of *text* to ``(file, line, column)`` in the
    original sources.  On a syntax error the file has no declarations.
    """
    p = _parser()
    with p.lock:
        p.builder.path = path
        p.builder.locate = locate
        try:
            decls: list[Declaration] = p.lark.parse(text)  # type: ignore[assignment]
        except UnexpectedInput as exc:
            sink.error(_error_span(exc, path, locate, text), _describe(exc))
            return IdlFile(path)
        except TransformError as exc:
            span = p.builder.span(exc.token) if exc.token is not None else Span(path, 0, 0)
            sink.error(span, exc.message)
            return IdlFile(path)
        finally:
            p.builder.locate = None
    f = IdlFile(path, decls)
    f.pragmas = [d for d in f.walk() if isinstance(d, Pragma)]
    return f


def _error_span(exc: UnexpectedInput, path: str, locate: Locate | None, text: str) -> Span:
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    length = 1
    if isinstance(exc, UnexpectedToken) and isinstance(exc.token, Token):
        tok = exc.token
        if tok.type == "$END" or tok.line is None:
            line, column = _end_of(text)
        else:
            line, column = tok.line, tok.column
            length = max(1, len(tok.value))
    elif isinstance(exc, UnexpectedEOF) or line is None or line < 1:
        line, column = _end_of(text)
    line = line or 1
    column = column or 1
    if locate is not None:
        file, line, column = locate(line, column)
    else:
        file = path
    return Span(file, line, column, line, column + length)


def _end_of(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"syntax error: unexpected character {exc.char!r}"
    if isinstance(exc, UnexpectedEOF):
        return "syntax error: unexpected end of file"
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        what = "end of file" if tok.type == "$END" else f"'{tok.value}'"
        message = f"syntax error: unexpected {what}"
        expected = sorted({_name_of(t) for t in exc.expected})
        if 0 < len(expected) <= 6:
            message += f", expected {', '.join(expected)}"
        return message
    return "syntax error"


def _name_of(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    try:
        pattern = _parser().lark.get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    value = pattern.value
    return f"'{value}'" if pattern.type == "str" else terminal.lower()
