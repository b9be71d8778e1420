"""Line layout as black does it, for the few statement shapes generated code has.

The backends emit text laid out the way black would, so that black (which still decides the
final text) accepts it in one pass.  These helpers say how black breaks a line that is too
long for its line length *width*.
"""

from __future__ import annotations

from collections.abc import Sequence


def fits(indent: int, text: str, width: int) -> bool:
    """Whether *text* at *indent* fits in lines of *width* characters (black's line length)."""
    return indent + len(text) <= width


def assignment(indent: int, target: str, value: str, width: int, *, sep: str = " = ") -> str:
    """``target = value`` (or, with *sep* ``": "``, an annotation) without the indent, as black
    lays it out: on one line, else the value alone in parentheses on the next one."""
    line = f"{target}{sep}{value}"
    if fits(indent, line, width):
        return line
    pad = " " * indent
    return f"{target}{sep}(\n{pad}    {value}\n{pad})"


def bracketed(
    indent: int,
    head: str,
    items: Sequence[str],
    tail: str,
    width: int,
    *,
    is_def: bool = False,
    collection: bool = False,
    comment: str = "",
    brackets: str = "()",
) -> str:
    """``head(item, ...)tail`` (without the indent) as black lays it out: on one line; else
    the items on one line of their own ("hugged"); else one item a line with a trailing comma.
    A ``def`` with a single parameter is never hugged (black adds the trailing comma), nor is
    a *collection* (a tuple display: ``head`` ends with ``= ``).  A *comment* goes at the end
    of the line, or after the opening bracket when the statement is split.  *brackets*: the
    pair to use (``"[]"`` for a subscript, split like a collection)."""
    opening, closing = brackets[0], brackets[1]
    body = ", ".join(items)
    if collection and len(items) == 1:
        body += ","
    line = f"{head}{opening}{body}{closing}{tail}" + (f"  {comment}" if comment else "")
    if fits(indent, line, width):
        return line
    pad = " " * indent
    head += opening + (f"  {comment}" if comment else "")
    if collection:
        hug = False
    elif len(items) == 1:
        hug = not is_def
    else:
        hug = fits(indent + 4, body, width)
    if hug:
        return f"{head}\n{pad}    {body}\n{pad}{closing}{tail}"
    lines = "".join(f"{pad}    {item},\n" for item in items)
    return f"{head}\n{lines}{pad}{closing}{tail}"


def top_level_items(text: str) -> list[str]:
    """*text* split at the commas outside brackets (``"a, b[c, d]"`` -> ``["a", "b[c, d]"]``)."""
    items: list[str] = []
    depth = start = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return items
