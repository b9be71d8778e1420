"""The rule that keeps outside text from running: templates never put a value inside a Python
string literal or comment of their own.

Text from outside (file names, helpstrings, scenario text) reaches generated code only as a
whole literal, docstring or comment made by :mod:`idlgen.output.pysource`; a template that
wrote ``\"\"\"Suite for {{ idl_name }}.\"\"\"`` would let a file name close the docstring and
run as code (issue 17).  This test scans every Python template for ``{{ ... }}`` inside a
string or a ``#`` comment of the template text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

#: Values idlgen itself chooses (mypy error codes), never text from outside.
ALLOWED_IN_LITERALS = {"m.ignore", "p.ignore"}

_JINJA = re.compile(r"\{\{(.*?)\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def python_templates() -> list[Path]:
    """Every template that renders Python (the Markdown README is not code)."""
    return sorted(
        p for p in TEMPLATES.rglob("*") if p.suffix in (".jinja", ".j2") and ".py." in p.name
    )


def values_inside_literals(text: str) -> list[tuple[int, str]]:
    """(line, expression) of each ``{{ expression }}`` that stands inside a string or a
    comment of the template's Python text."""
    found: list[tuple[int, str]] = []
    quote = ""  # the open string's quote ('', "'", '"', "'''", '"""')
    comment = False
    i = 0
    while i < len(text):
        m = _JINJA.match(text, i)
        if m is not None:
            if m.group(1) is not None and (quote or comment):
                found.append((text.count("\n", 0, i) + 1, m.group(1).strip()))
            i = m.end()
            continue
        ch = text[i]
        if comment:
            comment = ch != "\n"
        elif quote:
            if ch == "\\":
                i += 1
            elif text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
            elif ch == "\n" and len(quote) == 1:
                quote = ""  # an unterminated one-line string: the template's business
        elif ch == "#":
            comment = True
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        i += 1
    return found


def test_the_scanner_finds_values_in_strings_and_comments() -> None:
    text = '"""Doc of {{ a }}."""\nx = {{ b }}  # from {{ c }}\ny = "{{ d }}" + {{ e }}\n'
    assert values_inside_literals(text) == [(1, "a"), (2, "c"), (3, "d")]


@pytest.mark.parametrize("path", python_templates(), ids=lambda p: p.name)
def test_no_template_writes_a_value_inside_a_literal(path: Path) -> None:
    found = [
        (line, expr)
        for line, expr in values_inside_literals(path.read_text(encoding="utf-8"))
        if expr not in ALLOWED_IN_LITERALS
    ]
    assert found == [], f"{path.name}: values inside a string or comment (make them literals)"


def test_every_python_template_is_scanned() -> None:
    names = {p.name for p in python_templates()}
    assert {"interfaces.py.jinja", "spec.py.j2", "conftest.py.j2", "__init__.py.j2"} <= names
