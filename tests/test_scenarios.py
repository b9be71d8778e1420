"""The scenario file format: parsing, validation errors (with file/line/scenario/step), names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from idlgen.conformance import scenarios as sc

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "Msgrpriv.scenarios.toml"

HEADER = """\
[suite]
idl = "X.idl"
format = 1

[harness.peer_accepts]
params = ["session", "data"]
doc = "The peer accepts."
"""


def parse(body: str) -> tuple[sc.ScenarioFile | None, list[str]]:
    """Parse HEADER + *body*; return the file and the error lines (``file:line:col: ...``)."""
    loaded, problems = sc.parse_scenarios(HEADER + textwrap.dedent(body), "x.scenarios.toml")
    return loaded, [f"{d.span}: {d.message}" for d in problems if d.is_error]


def scenario(*steps: str, rule: bool = True) -> str:
    """A ``[[scenario]]`` named "s" with one step per line."""
    head = '[[scenario]]\nname = "s"\n' + ('rule = "r"\n' if rule else "")
    return head + "steps = [\n" + "".join(f"  {step},\n" for step in steps) + "]\n"


def one_error(body: str) -> str:
    _, errors = parse(body)
    assert len(errors) == 1, errors
    return errors[0]


def test_example_file_parses_without_problems() -> None:
    loaded, problems = sc.load_scenarios(EXAMPLE)
    assert problems == []
    assert loaded is not None
    assert len(loaded.scenarios) >= 40
    adopted = [s for s in loaded.scenarios if s.adopted]
    assert adopted, "the adopted rules must be marked"
    assert all("adopted" in s.source for s in adopted)
    assert loaded.constants["MSGR_E_NOT_LOGGED_ON"] == 0x8100031E
    assert "remote_accept" in loaded.harness


def test_steps_values_and_matchers_are_parsed() -> None:
    loaded, errors = parse(
        """
        [[scenario]]
        name = "ok"
        rule = "a rule"
        adopted = true
        steps = [
          { create = "Mgr", as = "m" },
          { call = "$m.Make", args = [{ null = true }, { repeat = "x", times = 3 }], as = "s" },
          { get = "$s.State", expect = { const = "READY" } },
          { advise = "$s", source = "DEvents", as = "ev", byref = { OnAsk = { pf = true } } },
          { harness = "peer_accepts", args = ["$s", "$$literal dollar"] },
          { events = "ev", expect = [["OnDone", { hresult = 5 }, { bind = "v" }]], exact = false },
          { get = "$v", expect = { not = { regex = "a.*" } } },
          { call = "$s.Send", args = [{ md5 = ["$v", "key"] }], error = "E_INVALIDARG" },
        ]
        """
    )
    assert errors == []
    assert loaded is not None
    (scenario,) = loaded.scenarios
    assert scenario.adopted
    kinds = [s.kind for s in scenario.steps]
    assert kinds == ["create", "call", "get", "advise", "harness", "events", "get", "call"]
    assert scenario.steps[1].args == (sc.Null(), sc.Repeat("x", 3))
    assert scenario.steps[2].expect == sc.Const("READY")
    assert scenario.steps[3].byref == {"OnAsk": {"pf": True}}
    assert scenario.steps[4].args == (sc.Ref("s"), "$literal dollar")
    events = scenario.steps[5]
    assert events.exact is False
    assert events.events == (sc.ExpectedEvent("OnDone", (sc.HResult(5), sc.Bind("v"))),)
    assert scenario.steps[6].expect == sc.Not(sc.Regex("a.*"))
    assert scenario.steps[7].error == "E_INVALIDARG"
    assert scenario.steps[7].line == HEADER.count("\n") + 14


def test_bad_toml_names_line_and_column() -> None:
    loaded, problems = sc.parse_scenarios('[suite]\nidl = "x\n', "bad.toml")
    assert loaded is None
    assert len(problems) == 1
    assert str(problems[0].span).startswith("bad.toml:2:")
    assert "not valid TOML" in problems[0].message


X = '{ create = "X", as = "x" }'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            scenario('{ crate = "X" }'),
            ["step 1", "exactly one action key", "did you mean 'create'"],
        ),
        (
            scenario('{ create = "X", ass = "x" }'),
            ["'create' step: unknown key 'ass'", "did you mean 'as'"],
        ),
        (scenario(X, rule=False), ["scenario 's'", "'rule'", "required"]),
        (
            scenario('{ get = "$nobody.State" }'),
            ["step 1", "uses $nobody before any step binds it"],
        ),
        (
            scenario(X, '{ harness = "peer_acepts", args = ["$x", "d"] }'),
            ["step 2", "'peer_acepts' is not declared", "did you mean 'peer_accepts'"],
        ),
        (
            scenario(X, '{ harness = "peer_accepts", args = ["$x"] }'),
            ["takes 2 argument(s) (session, data), got 1"],
        ),
        (
            scenario('{ events = "ev", expect = [] }'),
            ["no sink 'ev' was advised before this step"],
        ),
        (
            scenario(X, '{ call = "$x.F", args = [{ any = true }] }'),
            ["'any' is only allowed in expectations"],
        ),
        (
            scenario(X, '{ get = "$x.P", expect = { regex = "(" } }'),
            ["bad regular expression"],
        ),
        (scenario('{ query = "$x" }'), ["'query' step: missing 'interface'"]),
    ],
)
def test_validation_errors_are_worded(body: str, words: list[str]) -> None:
    message = one_error(body)
    assert message.startswith("x.scenarios.toml:")
    for word in words:
        assert word in message, message


def test_error_names_the_line_of_the_step() -> None:
    message = one_error(scenario(X, "{ bogus = 1 }"))
    line = HEADER.count("\n") + 6
    assert message.startswith(f"x.scenarios.toml:{line}:3:"), message  # at the step's "{"


def test_duplicate_scenario_names_and_unknown_top_level_keys() -> None:
    _, errors = parse(scenario(X) + scenario(X) + "[scenarios]\nx = 1\n")
    assert any("duplicate name (first at line" in e for e in errors), errors
    assert any("unknown top-level key 'scenarios'" in e for e in errors), errors


def test_format_version_and_constants_are_checked() -> None:
    _, problems = sc.parse_scenarios('[suite]\nformat = 2\n[constants]\nX = "a"\n', "f.toml")
    messages = [d.message for d in problems]
    assert any("this idlgen reads format 1" in m for m in messages)
    assert any("[constants] X: needs an integer value" in m for m in messages)


def test_harness_actions_need_a_doc() -> None:
    _, problems = sc.parse_scenarios('[harness.go]\nparams = ["a"]\n', "f.toml")
    assert any("'doc' (what the action does) is required" in d.message for d in problems)


def test_names_are_checked_against_the_idl() -> None:
    loaded, errors = parse(
        """
        [constants]
        EXTRA = 5

        [[scenario]]
        name = "s"
        rule = "r"
        steps = [
          { create = "Mgr", as = "m" },
          { create = "Mgrr", as = "m2" },
          { call = "$m.Creat" },
          { get = "$m.State", expect = { const = "READYY" } },
          { get = "$m.State", expect = { const = "EXTRA" } },
          { advise = "$m", source = "DEvents", as = "ev", byref = { OnAsk = { pfx = true } } },
          { events = "ev", expect = [["OnDone", 1, 2], ["OnNope"]] },
        ]
        """
    )
    assert errors == []
    assert loaded is not None
    names = sc.IdlNames(
        coclasses={"Mgr"},
        members={"IMgr": {"Create", "State"}},
        events={"DEvents": {"OnAsk": ("pf",), "OnDone": ("hr",)}},
        constants={"READY"},
    )
    problems = [d.message for d in sc.check_names(loaded, names)]
    expected = [
        "step 2: unknown coclass 'Mgrr'; did you mean 'Mgr'?",
        "step 3: no interface has a member 'Creat'; did you mean 'Create'?",
        "step 4: unknown constant or HRESULT 'READYY'; did you mean 'READY'?",
        "step 6: DEvents.OnAsk has no parameter 'pfx'; did you mean 'pf'?",
        "step 7: DEvents.OnDone has 1 parameter(s) (hr), the expectation gives 2",
        "step 7: DEvents has no event 'OnNope'",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected), problems


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    loaded, problems = sc.load_scenarios(tmp_path / "missing.scenarios.toml")
    assert loaded is None
    assert "cannot read scenario file" in problems[0].message
