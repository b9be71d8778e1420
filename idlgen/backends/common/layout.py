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
    indent: int, head: str, items: Sequence[str], tail: str, width: int, *, is_def: bool = False
) -> str:
    """``head(item, ...)tail`` (without the indent) as black lays it out: on one line; else
    the items on one line of their own ("hugged"); else one item a line with a trailing comma.
    A ``def`` with a single parameter is never hugged (black adds the trailing comma)."""
    body = ", ".join(items)
    line = f"{head}({body}){tail}"
    if fits(indent, line, width):
        return line
    pad = " " * indent
    if (len(items) == 1 and not is_def) or (len(items) > 1 and fits(indent + 4, body, width)):
        return f"{head}(\n{pad}    {body}\n{pad}){tail}"
    lines = "".join(f"{pad}    {item},\n" for item in items)
    return f"{head}(\n{lines}{pad}){tail}"
