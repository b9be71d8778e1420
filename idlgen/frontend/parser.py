"""Parse preprocessed MIDL text into an :class:`~idlgen.model.IdlFile`.

The grammar (``grammars/midl.lark``, shipped inside the package as
``idlgen/grammars``) is compiled once per process into a Lark LALR(1) parser
with the contextual lexer; :class:`~idlgen.frontend.transform.ModelBuilder` runs inline,
so no parse tree is built.  Syntax errors become diagnostics at the original
file position (through the preprocessor's ``locate`` map) — never exceptions.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift

from idlgen.diagnostics import DiagnosticSink, Span
from idlgen.frontend.sourcefiles import DEFAULT_CODE_PAGE
from idlgen.frontend.transform import Locate, ModelBuilder, PackState, TransformError, _Declarator
from idlgen.model import Declaration, IdlFile, Pragma

_PACKAGE_DIR = Path(__file__).resolve().parents[1]

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
    """The compiled grammar, its inline transformer and a fast LALR driver.

    Lark builds the LALR(1) tables and wraps the transformer's callbacks; the
    scanning and the shift/reduce loop are done here (:meth:`run`): one master
    regular expression finds the lexemes, and the parser state decides which
    terminal a lexeme is, as Lark's contextual lexer does (a keyword is a keyword
    only where the grammar accepts it; ``>>`` closes two type-argument lists where
    a shift operator cannot stand).  This is several times faster than Lark's own
    lexer and parser loop, which matters for the corpus-sized inputs.
    """

    def __init__(self) -> None:
        self.builder = ModelBuilder("", None)
        self.lark = Lark(
            grammar_path().read_text(encoding="utf-8"),
            parser="lalr",
            lexer="contextual",
            transformer=self.builder,
            maybe_placeholders=False,
            cache=True,  # the LALR analysis is cached in the temp dir, keyed by the grammar
        )
        self.lock = threading.Lock()
        inner = self.lark.parser.parser.parser
        table = inner.parse_table
        callbacks = inner.callbacks
        self.start_state: int = table.start_states["start"]
        self.end_state: int = table.end_states["start"]
        self.actions: dict[int, dict[str, Any]] = {}
        for state, row in table.states.items():
            acts: dict[str, Any] = {}
            for symbol, (action, arg) in row.items():
                # plain str keys: Lark's names are Token objects with a slow __eq__
                if action is Shift:
                    acts[str(symbol)] = arg
                else:
                    acts[str(symbol)] = (len(arg.expansion), callbacks[arg], str(arg.origin.name))
            self.actions[state] = acts
        self.word_terminals: dict[str, list[str]] = {}
        self._punct_choice: dict[tuple[int, str], tuple[str, str]] = {}
        self.punct_terminals: dict[str, list[str]] = {}
        # Lark's lexer order; a string terminal beats a pattern matching the same text
        order = sorted(
            self.lark.terminals,
            key=lambda t: (
                t.pattern.type != "str",
                -t.priority,
                -t.pattern.max_width,
                -len(t.pattern.value),
                t.name,
            ),
        )
        self._terminal_order = order
        for t in order:
            if t.pattern.type == "str" and _WORD.fullmatch(t.pattern.value):
                self.word_terminals.setdefault(t.pattern.value, []).append(str(t.name))

    def punct(self, lexeme: str) -> list[str]:
        """The terminals a punctuation lexeme may be, in Lark's priority order."""
        names = self.punct_terminals.get(lexeme)
        if names is None:
            names = [
                str(t.name)
                for t in self._terminal_order
                if t.name not in _LEXEME_KINDS and re.fullmatch(t.pattern.to_regexp(), lexeme)
            ]
            self.punct_terminals[lexeme] = names
        return names

    def _choose_punct(self, row: dict[str, Any], lexeme: str) -> tuple[str, str]:
        """The terminal a punctuation lexeme is in a parser state with actions *row*,
        and the lexeme actually taken (``>>`` may be a single ``>``)."""
        cands = self.punct(lexeme)
        for c in cands:
            if c in row:
                return c, lexeme
        if len(lexeme) > 1:
            # `>>` closing two type-argument lists, and the like
            for c in self.punct(lexeme[0]):
                if c in row:
                    return c, lexeme[0]
        return (cands[0] if cands else "UNKNOWN"), lexeme

    def run(
        self, text: str, pragmas: Sequence[tuple[int, str]] = ()
    ) -> tuple[list[Declaration] | None, list[_SyntaxError]]:
        """Scan and parse *text*; returns the declarations (None after a syntax error)
        and the syntax errors, recovering at ``;`` and ``}`` to find later ones.

        *pragmas* are the preprocessor's ``#pragma`` lines as ``(output lines before it,
        text)``, in order: each is given to the builder's :class:`PackState` when the
        parse passes its place: before a reduction, those before the last token shifted (a
        struct's closing brace, a ``cpp_quote``'s parenthesis) are applied, so a struct gets
        the packing in effect where it ends, in order with ``cpp_quote`` directives."""
        actions = self.actions
        packing = self.builder.packing
        waiting = list(pragmas)
        waiting.reverse()
        next_pragma = waiting[-1][0] if waiting else _NEVER
        shifted_line = 0
        states: list[int] = [self.start_state]
        values: list[Any] = []
        errors: list[_SyntaxError] = []
        recovering = False
        resumed_at = -1  # where the last inserted `;` let the scan resume
        pos = 0
        line = 1
        line_start = 0
        n = len(text)
        match = _LEXEME.match
        word_terminals = self.word_terminals
        punct_choice = self._punct_choice
        new_str = str.__new__
        while True:
            if pos >= n:
                tok = Token("$END", "", pos, line, pos - line_start + 1, line, pos - line_start + 1)
            else:
                m = match(text, pos)
                if m is None:
                    col = pos - line_start + 1
                    errors.append(
                        _SyntaxError(line, col, 1, f"unexpected character {text[pos]!r}", pos)
                    )
                    if len(errors) >= _MAX_ERRORS:
                        return None, errors
                    pos += 1
                    continue
                kind = m.lastgroup
                lexeme = m.group()
                end = m.end()
                if kind == "ws":
                    pos = end
                    continue
                if kind == "nl" or kind == "comment":
                    newlines = lexeme.count("\n")
                    if newlines:
                        line += newlines
                        line_start = pos + lexeme.rindex("\n") + 1
                    pos = end
                    continue
                row = actions[states[-1]]
                if kind == "IDENT":
                    ttype = "IDENT"
                    for cand in word_terminals.get(lexeme, ()):
                        if cand in row or "IDENT" not in row:
                            ttype = cand
                            break
                elif kind == "punct":
                    key = (states[-1], lexeme)
                    choice = punct_choice.get(key)
                    if choice is None:
                        choice = punct_choice[key] = self._choose_punct(row, lexeme)
                    ttype, lexeme = choice
                    end = pos + len(lexeme)
                else:
                    ttype = kind or ""
                col = pos - line_start + 1
                # Token(...) without its constructor's argument juggling (a third faster)
                tok = new_str(Token, lexeme)
                tok.type = ttype
                tok.value = lexeme
                tok.start_pos = pos
                tok.line = tok.end_line = line
                tok.column = col
                tok.end_column = col + len(lexeme)
                tok.end_pos = end
                if (ttype == "STRING" or ttype == "WSTRING") and "\n" in lexeme:
                    # a string across a line break (the preprocessor escaped the newline)
                    line += lexeme.count("\n")
                    line_start = pos + lexeme.rindex("\n") + 1
                    tok.end_line = line
                    tok.end_column = end - line_start + 1
                pos = end
            # ---- feed the token (panic-mode recovery: after an error, skip to `;`/`}`)
            if recovering:
                if tok.type == "$END":
                    return None, errors
                if tok.type not in _SYNC or not self._resync(states, values, tok.type):
                    continue
                recovering = False
            while True:
                act = actions[states[-1]].get(tok.type)
                if act is None:
                    if errors and errors[-1].offset == tok.start_pos:
                        break  # already reported here: skip the token
                    repair = self._missing_semicolon(text, tok, states, values, resumed_at)
                    if repair is not None:
                        # report it at the method's end, insert the `;`, rescan from there
                        errors.append(repair.error)
                        if len(errors) >= _MAX_ERRORS:
                            return None, errors
                        del states[repair.depth :]
                        del values[repair.depth - 1 :]
                        tok = repair.semicolon
                        pos = resumed_at = repair.resume
                        line, line_start = repair.resume_line, repair.resume_line_start
                        continue
                    errors.append(self._unexpected(tok, states))
                    if tok.type == "$END" or len(errors) >= _MAX_ERRORS:
                        return None, errors
                    if tok.type in _SYNC and self._resync(states, values, tok.type):
                        continue  # e.g. a missing `;` before `}`: resume at the `}`
                    recovering = True
                    break
                if act.__class__ is int:
                    states.append(act)
                    values.append(tok)
                    shifted_line = tok.line or line
                    break
                if next_pragma < shifted_line:
                    while waiting and waiting[-1][0] < shifted_line:
                        packing.pragma(waiting.pop()[1])
                    next_pragma = waiting[-1][0] if waiting else _NEVER
                size, callback, origin = act
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    children = []
                value = callback(children)
                states.append(actions[states[-1]][origin])
                values.append(value)
                if tok.type == "$END" and states[-1] == self.end_state:
                    return (None if errors else values[-1]), errors

    def _missing_semicolon(
        self, text: str, tok: Token, states: list[int], values: list[Any], resumed_at: int
    ) -> _Repair | None:
        """The repair of a method declaration whose ``;`` is missing, or None.

        Applies when the innermost declarator on the stack is ``name(...)`` and what
        follows its ``)`` is an attribute list ``[`` (taken for an array suffix, so the
        error shows up inside or after it) or, on a later line, anything the declaration
        cannot continue with.  The error is placed right after the ``)``; the parser
        gets a ``;`` there and rescans from the token after the ``)``.
        """
        depth = len(values)
        while depth > 0 and not isinstance(values[depth - 1], _Declarator):
            depth -= 1
        if depth == 0:
            return None
        name = values[depth - 1].name
        at = tok.start_pos if tok.start_pos is not None else len(text)
        if name is None or name.start_pos is None or name.start_pos >= at:
            return None
        end = _method_end(text, name, at)
        if end is None:
            return None
        close_line, close_column, close_end, after, after_line, after_line_start = end
        if after <= resumed_at:
            return None
        if after < at:
            if text[after] != "[":
                return None
        elif after_line == close_line:
            return None  # `F() }`: the usual "expected ';'" at the token says it
        stack = states[: depth + 1]
        if not self._shifts(stack, "SEMICOLON"):
            return None
        semicolon = Token("SEMICOLON", ";", close_end, close_line, close_column)
        error = _SyntaxError(
            close_line,
            close_column,
            1,
            "expected ';' after the method declaration",
            close_end,
        )
        return _Repair(error, depth + 1, semicolon, after, after_line, after_line_start)

    def _resync(self, states: list[int], values: list[Any], ttype: str) -> bool:
        """Pop states until one can shift *ttype* (``;`` or ``}``); False if none can."""
        for depth in range(len(states), 0, -1):
            if ttype in self.actions[states[depth - 1]] and self._shifts(states[:depth], ttype):
                del states[depth:]
                del values[depth - 1 :]
                return True
        return False

    def _shifts(self, states: list[int], ttype: str) -> bool:
        """Whether *ttype* is shifted (after reductions) from the state stack *states*."""
        stack = list(states)
        while True:
            act = self.actions[stack[-1]].get(ttype)
            if act is None:
                return False
            if act.__class__ is int:
                return True
            size, _callback, origin = act
            if size:
                del stack[-size:]
            if not stack:
                return False
            goto = self.actions[stack[-1]].get(origin)
            if goto is None:
                return False
            stack.append(goto)

    def _unexpected(self, tok: Token, states: list[int]) -> _SyntaxError:
        what = "end of file" if tok.type == "$END" else f"'{tok.value}'"
        message = f"unexpected {what}"
        expectation = self._expectation(states)
        if expectation:
            message += f", {expectation}"
        return _SyntaxError(
            tok.line or 1, tok.column or 1, max(1, len(tok.value)), message, tok.start_pos or 0
        )

    def _expectation(self, states: list[int]) -> str:
        """What the parser wanted with the stack *states*, in words (empty when too
        varied to say).  Only terminals that would really be shifted count (LALR tables
        also list look-aheads that a later reduction rejects)."""
        row = self.actions[states[-1]]
        viable = {t for t in row if t.isupper() and t != "$END" and self._shifts(states, t)}
        if {"NUMBER", "IDENT", "LPAR"} <= viable and "SEMICOLON" not in viable:
            return "expected an expression"
        names = sorted({_name_of(t) for t in viable})
        if 0 < len(names) <= 3:
            return "expected " + " or ".join(names)
        if "RBRACE" in viable and "SEMICOLON" in viable:
            viable.discard("SEMICOLON")  # a statement list: the block's end is the news
        for terminal, words in _EXPECTATIONS:
            if terminal in viable:
                return words
        return ""


#: When many tokens could follow, the one worth naming (in this order).
_EXPECTATIONS = (
    ("RPAR", "expected ')'"),
    ("RSQB", "expected ']'"),
    ("SEMICOLON", "expected ';' after the declaration"),
    ("RBRACE", "expected '}'"),
    ("IDENT", "expected a name"),
)


@dataclass
class _SyntaxError:
    line: int
    column: int
    length: int
    message: str
    offset: int = -1


@dataclass
class _Repair:
    """A missing ``;`` to insert: the error, the stack depth to go back to, the token,
    and where (offset, line, offset of that line's start) the scan resumes."""

    error: _SyntaxError
    depth: int
    semicolon: Token
    resume: int
    resume_line: int
    resume_line_start: int


def _method_end(text: str, name: Token, limit: int) -> tuple[int, int, int, int, int, int] | None:
    """Rescan from the declarator *name* up to offset *limit*: when it reads
    ``name ( ... )`` and a further token starts at or before *limit*, return the
    ``)``'s line, the column and offset just after it, and the offset, line and
    line-start offset of the token that follows; otherwise None."""
    pos = name.start_pos or 0
    line = name.line or 1
    line_start = pos - ((name.column or 1) - 1)
    depth = 0
    seen = 0  # tokens read
    close: tuple[int, int, int] | None = None
    while pos <= limit:
        m = _LEXEME.match(text, pos)
        if m is None:
            return None
        kind, lexeme = m.lastgroup, m.group()
        if kind in ("ws", "nl", "comment"):
            newlines = lexeme.count("\n")
            if newlines:
                line += newlines
                line_start = pos + lexeme.rindex("\n") + 1
            pos = m.end()
            continue
        if close is not None:
            return (*close, pos, line, line_start)
        seen += 1
        if (seen == 1 and lexeme != name.value) or (seen == 2 and lexeme != "("):
            return None
        if lexeme == "(":
            depth += 1
        elif lexeme == ")":
            depth -= 1
            if depth == 0:
                close = (line, pos - line_start + 2, pos + 1)
        pos = m.end()
    return None


_MAX_ERRORS = 20
_NEVER = sys.maxsize
#: Tokens that end a statement or a block: where the parser resumes after an error.
_SYNC = frozenset({"SEMICOLON", "RBRACE"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LEXEME_KINDS = frozenset(
    {"UUID", "NUMBER", "WSTRING", "STRING", "CHAR_LITERAL", "IDENT", "COMMENT"}
)
_LEXEME = re.compile(
    r"""
    (?P<ws>[ \t\f\r\v]+)
  | (?P<nl>\n+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<UUID>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}
             (?![0-9A-Za-z_]))
  | (?P<NUMBER>0[xX][0-9a-fA-F]+[uUlL]*
             | (?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFlL]?
             | [0-9]+[eE][+-]?[0-9]+[fFlL]?
             | [0-9]+[uUlL]*)
  | (?P<WSTRING>L"(?:[^"\\\n]|\\.)*")
  | (?P<CHAR_LITERAL>L?'(?:[^'\\\n]|\\.)+')
  | (?P<STRING>"(?:[^"\\\n]|\\.)*")
  | (?P<IDENT>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\.\.\.|->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%~!&|^<>=;:,.(){}\[\]?])
    """,
    re.VERBOSE | re.DOTALL,
)


@cache
def _parser() -> _Parser:
    return _Parser()


def parse_text(
    text: str,
    path: str,
    sink: DiagnosticSink,
    *,
    locate: Locate | None = None,
    pragmas: Sequence[tuple[int, str]] = (),
    code_page: str | None = None,
) -> IdlFile:
    """Parse preprocessed *text* of the file *path*; errors go to *sink*.

    *locate* maps a (line, column) of *text* to ``(file, line, column)`` in the
    original sources; *pragmas* are the preprocessor's ``#pragma`` lines (see
    :meth:`_Parser.run`: ``#pragma pack`` sets the packing of structs and unions);
    *code_page* is the Windows code page of the bytes that ``\\x`` escapes in narrow string
    literals stand for (default cp1252).  Every syntax error the parser can recover from (at
    the next ``;`` or ``}``) is reported; a file with syntax errors has no declarations.
    """
    p = _parser()
    with p.lock:
        p.builder.path = path
        p.builder.locate = locate
        p.builder.packing = PackState()
        p.builder.code_page = code_page or DEFAULT_CODE_PAGE
        try:
            decls, errors = p.run(text, pragmas)
        except TransformError as exc:
            if exc.span is not None and exc.span.line:
                span = exc.span
            elif exc.token is not None:
                span = p.builder.span(exc.token)
            else:
                span = Span(path, 1, 1)
            sink.error(span, exc.message)
            return IdlFile(path)
        finally:
            p.builder.locate = None
    for err in errors:
        line, column = err.line, err.column
        if locate is not None:
            file, line, column = locate(line, column)
        else:
            file = path
        sink.error(
            Span(file, line, column, line, column + err.length), "syntax error: " + err.message
        )
    if decls is None:
        return IdlFile(path)
    f = IdlFile(path, decls)
    f.pragmas = [d for d in f.walk() if isinstance(d, Pragma)]
    return f


def _name_of(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    try:
        pattern = _parser().lark.get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    value = pattern.value
    return f"'{value}'" if pattern.type == "str" else terminal.lower()
