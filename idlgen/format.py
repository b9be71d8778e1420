"""Formatting of generated Python with black's API, in one fixed mode.

The mode is pinned so output does not depend on any ``pyproject.toml`` around
the output directory: line length 100 (the project's own), Python 3.11 target,
string normalisation on, magic trailing comma respected.
"""

from __future__ import annotations

import black
from black.mode import TargetVersion
from black.parsing import InvalidInput

#: Line length of generated code.
LINE_LENGTH = 100

#: The one black mode generated code is formatted with.
BLACK_MODE = black.Mode(
    target_versions={TargetVersion.PY311},
    line_length=LINE_LENGTH,
    string_normalization=True,
    is_pyi=False,
    magic_trailing_comma=True,
)


def format_python(source: str) -> str:
    """Return *source* formatted by black in :data:`BLACK_MODE`.

    Raises ``ValueError`` (with black's message) when *source* is not valid
    Python, which would be a generator bug.
    """
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except InvalidInput as exc:  # pragma: no cover - a bug in a template
        raise ValueError(f"generated code is not valid Python: {exc}") from exc
