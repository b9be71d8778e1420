"""What widl's C header makes of an IDL file's declarations.

The system IDL declares many types twice: for MIDL inside ``cpp_quote("#if 0")`` (a stand-in,
often simplified: ``typedef struct { char dummy; } D3DCOLOR;``) and for C code in
``cpp_quote`` text or in another C header (the real one).  widl copies both into its header,
so the C compiler never sees the stand-in.  :func:`stand_ins` finds those declarations, so
that the ``abi`` module can say which of its layouts are only the IDL's view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from idlgen.model import (
    CppQuote,
    Declaration,
    IdlFile,
    Interface,
    Library,
    Module,
    Namespace,
    Typedef,
    inline_definition,
)

_DIRECTIVE = re.compile(r"\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b\s*(.*)")


def stand_ins(f: IdlFile) -> set[int]:
    """The ``id`` of every declaration of *f* that its C header hides: inside
    ``cpp_quote("#if 0")`` (or the ``#else`` of ``cpp_quote("#if 1")``).  A typedef's inline
    struct, union or enum is hidden with it."""
    hidden: set[int] = set()
    # one entry per open #if: "0" (never compiled), "1" (always), "?" (depends on macros)
    stack: list[str] = []
    _walk(f.declarations, stack, hidden)
    return hidden


def _walk(decls: Iterable[object], stack: list[str], hidden: set[int]) -> None:
    for d in decls:
        if isinstance(d, CppQuote):
            for line in d.text.splitlines():
                _directive(line, stack)
            continue
        if not isinstance(d, Declaration):
            continue
        if "0" in stack:
            hidden.add(id(d))
            if isinstance(d, Typedef):
                inline = inline_definition(d.type)
                if inline is not None:
                    hidden.add(id(inline))
        if isinstance(d, Interface | Library | Module | Namespace):
            _walk(d.body, stack, hidden)


def _directive(line: str, stack: list[str]) -> None:
    m = _DIRECTIVE.match(line)
    if m is None:
        return
    keyword, rest = m.group(1), m.group(2).strip()
    if keyword == "if":
        stack.append(rest if rest in ("0", "1") else "?")
    elif keyword in ("ifdef", "ifndef"):
        stack.append("?")
    elif keyword == "elif" and stack:
        stack[-1] = "?" if stack[-1] != "1" else "0"
    elif keyword == "else" and stack:
        stack[-1] = {"0": "1", "1": "0"}.get(stack[-1], "?")
    elif keyword == "endif" and stack:
        stack.pop()
