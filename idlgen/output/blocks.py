"""Formatting large generated modules block by block.

black's time and memory grow with how much it formats at once: the stubs of a 15 MB IDL file
are a 70 MB module, an hour and many gigabytes in one ``format_str`` call.  Cut before
top-level ``class``/``def`` statements into blocks of about :data:`BLOCK_CHARS`, formatted one
by one (the :class:`~idlgen.output.format.Formatter` submits each block as a file), the same text
takes linear time and memory bounded by the block size, and the result is black's for the
whole module: a cut is made only where black itself puts exactly two blank lines (before a
top-level class or function that follows code, not a comment or a decorator, after two blank
lines), so the formatted blocks joined with two blank lines are what black makes of the whole.
A module smaller than a block is formatted in one piece, as before.
"""

from __future__ import annotations

import io
import tokenize

from idlgen.output.format import BLOCK_CHARS

__all__ = ["BLOCK_CHARS", "larger_than_a_block", "split_blocks"]

_STARTS = frozenset({"class", "def", "@"})


def larger_than_a_block(text: str) -> bool:
    """True when *text* is longer than :data:`BLOCK_CHARS` (black would format it in parts)."""
    return len(text) > BLOCK_CHARS


def split_blocks(source: str, block_chars: int | None = None) -> list[str]:
    """*source* cut into blocks of at least *block_chars* (default :data:`BLOCK_CHARS`)
    characters, but the last, at :func:`cut_lines`; the two blank lines at each cut are
    dropped."""
    if block_chars is None:
        block_chars = BLOCK_CHARS
    if len(source) <= block_chars:
        return [source]
    offsets = [0]
    for line in source.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    blocks: list[str] = []
    start = 0
    for cut in cut_lines(source):
        end = offsets[cut - 3]  # the start of the first of the two blank lines
        if end - start >= block_chars:
            blocks.append(source[start:end])
            start = offsets[cut - 1]
    blocks.append(source[start:])
    return blocks


def cut_lines(source: str) -> list[int]:
    """The (1-based) lines where *source* may be cut: a top-level ``class``, ``def`` or
    decorator statement, after exactly two blank lines that follow a line of code."""
    lines = source.split("\n")
    found: list[int] = []
    previous = tokenize.NEWLINE
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            row, col = tok.start
            if (
                col == 0
                and previous == tokenize.NEWLINE
                and tok.string in _STARTS
                and row > 3
                and not lines[row - 2].strip()
                and not lines[row - 3].strip()
                and lines[row - 4].strip()
                and not lines[row - 4].lstrip().startswith(("#", "@"))
            ):
                found.append(row)
            previous = tok.type
    except (tokenize.TokenError, SyntaxError):
        return []  # not Python: format_python says so
    return found
