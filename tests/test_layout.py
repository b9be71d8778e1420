"""The generator lays code out as black does (``idlgen.backends.common.layout`` and the string
literals of the conformance backend), so black accepts its text in one pass: checked against
black itself at several line lengths.  (A name or parameter longer than the line itself is
left to black, which then splits annotations too.)"""

from __future__ import annotations

import ast

import black
import pytest

from idlgen.backends.common.layout import assignment, bracketed, top_level_items
from idlgen.backends.python.views import MethodView
from idlgen.output.format import BlackStyle
from idlgen.output.pysource import py_literal

WIDTHS = [40, 60, 88, 100]


def accepted(source: str, width: int) -> bool:
    mode = BlackStyle(line_length=width).mode()
    return black.format_str(source, mode=mode) == source


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("X", "1"),
        ("SOME_LONG_CONSTANT: Final", "SOME_ENUMERATION.SOME_RATHER_LONG_MEMBER"),
        ("A_LONG_NAME: Final", "536870912"),
    ],
)
def test_assignment(width: int, target: str, value: str) -> None:
    assert accepted(assignment(0, target, value, width) + "\n", width)
    body = "    " + assignment(4, target.split(":")[0], value, width)
    assert accepted(f"class C:\n{body}\n", width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "items",
    [
        ["IUnknown"],
        ["CoClass", "IWdsTransportNamespaceScheduledCastManualStart"],
        ["CoClass", *(f"IWMPInterfaceNumber{i}" for i in range(12))],
    ],
)
def test_bracketed_class_lines(width: int, items: list[str]) -> None:
    line = bracketed(0, "class SomeCoclassWithALongName", items, ":", width)
    assert accepted(f"{line}\n    pass\n", width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "params",
    [["self", "value: int"], ["self", "pNotification: object | None"]],
)
def test_bracketed_setter_defs(width: int, params: list[str]) -> None:
    line = bracketed(4, "def SomePropertyName", params, " -> None: ...", width)
    assert accepted(f"class C:\n    {line}\n", width)


@pytest.mark.parametrize(
    "text",
    ["abc", "it's", 'say "hi"', "A's \"b\" c's", 'x"y"z\'', "\\'q", "tab\there\n", "é ü"],
)
def test_string_literals_keep_their_value_and_blacks_quotes(text: str) -> None:
    literal = py_literal(text)
    assert ast.literal_eval(literal) == text
    assert accepted(f"x = {literal}\n", 88)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "items",
    [["IOne"], ["IOne", "ITwo"], [f"IDirectManipulationCompositor{i}" for i in range(4)]],
)
def test_bracketed_tuples_and_commented_class_lines(width: int, items: list[str]) -> None:
    line = bracketed(4, "_com_interfaces_ = ", items, "", width, collection=True)
    assert accepted(f"class C:\n    {line}\n", width)
    line = bracketed(0, "class C", items, ":", width, comment="# type: ignore[misc]")
    assert accepted(f"{line}\n    pass\n", width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "results",
    [
        ["int", "int"],
        ["Sequence[ITfLangBarItem]", "Sequence[TF_LANGBARITEMINFO]", "Sequence[int]", "int"],
        ["int"] * 19,
    ],
)
def test_split_def_with_a_long_result_tuple(width: int, results: list[str]) -> None:
    view = MethodView("GetItems", [], f"tuple[{', '.join(results)}]", None, dummy_body=True)
    view.width = width
    assert top_level_items(", ".join(results)) == results
    source = f"class C:\n    def GetItems(\n        self,\n    {view.tail_source} ...\n"
    assert accepted(source, width)
