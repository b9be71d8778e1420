"""Behaviour scenarios as data: the ``*.scenarios.toml`` format, its loader and validator.

A scenario file sits next to an IDL file (``examples/Msgrpriv.scenarios.toml``) and
describes, step by step, what an implementation of the IDL's coclasses must do.
The format is documented in ``docs/conformance.md``; in short::

    [suite]
    idl = "Msgrpriv.idl"
    format = 1

    [harness.remote_accept]
    params = ["session", "data"]
    doc = "The remote invitee accepts the invitation of *session*."

    [[scenario]]
    name = "invite_then_remote_accept"
    rule = "Invite moves the inviter's session from SS_READY to SS_INVITATION"
    source = "OVERVIEW.md, Session invite 3"
    adopted = false
    steps = [
      { create = "MsgrSessionManager", as = "mgr" },
      { call = "$mgr.CreateSession", as = "s" },
      { get = "$s.State", expect = { const = "SS_READY" } },
    ]

:func:`load_scenarios` reads a file with :mod:`tomllib` and returns the parsed
:class:`ScenarioFile` plus diagnostics (never raises on bad input); every
problem names the file, line, scenario and step.  :func:`check_names` then checks
the names a file uses against the IDL (coclasses, members, events, constants).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idlgen.diagnostics import Diagnostic, DiagnosticSink, Span
from idlgen.inputfiles import UnreadableFile, read_input_file

FORMAT_VERSION = 1

#: The suffix of the scenario file looked for next to the IDL file.
SCENARIO_SUFFIX = ".scenarios.toml"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Ref:
    """``"$var"`` or ``"$var.Member"``: a bound variable, or a property/method of it."""

    var: str
    member: str | None = None

    def __str__(self) -> str:
        return f"${self.var}" + (f".{self.member}" if self.member else "")


@dataclass(frozen=True)
class Const:
    """``{ const = "SS_READY" }``: a constant or enumerator of the IDL, by name."""

    name: str


@dataclass(frozen=True)
class HResult:
    """``{ hresult = "E_FAIL" }``: an HRESULT by name (or number); compared modulo 2**32."""

    name: str | int


@dataclass(frozen=True)
class Null:
    """``{ null = true }``: a null pointer (``None``)."""


@dataclass(frozen=True)
class Repeat:
    """``{ repeat = "x", times = 301 }``: a string made of *text* repeated *times* times."""

    text: str
    times: int


@dataclass(frozen=True)
class Md5:
    """``{ md5 = ["$challenge", "key"] }``: lowercase hex MD5 of the parts' concatenation."""

    parts: tuple[Value, ...]


@dataclass(frozen=True)
class Bind:
    """``{ bind = "name" }`` (expectations only): matches anything and binds it to *name*."""

    name: str


@dataclass(frozen=True)
class AnyValue:
    """``{ any = true }`` (expectations only): matches anything."""


@dataclass(frozen=True)
class Regex:
    """``{ regex = "..." }`` (expectations only): a string fully matching the pattern."""

    pattern: str


@dataclass(frozen=True)
class Not:
    """``{ not = value }`` (expectations only): anything that does not match *value*."""

    value: Value


@dataclass(frozen=True)
class Bits:
    """``{ has_bits = "SF_INVITER" }`` / ``{ lacks_bits = [...] }`` (expectations only)."""

    names: tuple[str, ...]
    present: bool


Value = (
    None
    | bool
    | int
    | float
    | str
    | Ref
    | Const
    | HResult
    | Null
    | Repeat
    | Md5
    | Bind
    | AnyValue
    | Regex
    | Bits
    | Not
    | tuple["Value", ...]
)

# --------------------------------------------------------------------------- steps


@dataclass
class Step:
    """One step of a scenario; ``kind`` says which of the optional fields apply.

    kinds: ``create`` (target = coclass), ``call`` / ``get`` / ``set`` (ref),
    ``query`` (ref + interface), ``advise`` (ref + interface = source, bind = sink name,
    byref = by-reference outputs the sink sets), ``unadvise`` (target = sink name),
    ``harness`` (target = action), ``events`` (target = sink name, events).
    """

    kind: str
    index: int  #: 1-based position in the scenario
    line: int
    column: int = 1
    target: str = ""
    ref: Ref | None = None
    args: tuple[Value, ...] = ()
    value: Value = None  #: the value to set (``set``)
    expect: Value = None  #: expected value (``get`` / ``call``'s ``returns``)
    has_expect: bool = False
    error: str | int | None = None  #: expected HRESULT failure
    bind: str | None = None  #: ``as = "name"``
    interface: str | None = None
    byref: dict[str, dict[str, Value]] = field(default_factory=dict)
    events: tuple[ExpectedEvent, ...] = ()
    exact: bool = True  #: ``events``: nothing else fired (else: these, in order, among others)
    note: str = ""

    def describe(self) -> str:
        """A short human description, used in failure messages."""
        if self.kind == "create":
            return f"create {self.target}"
        if self.kind in ("call", "get", "set", "query", "advise"):
            return f"{self.kind} {self.ref}"
        return f"{self.kind} {self.target}"


@dataclass(frozen=True)
class ExpectedEvent:
    """An event expected on a sink: its name and positional arguments (matchers)."""

    name: str
    args: tuple[Value, ...]


@dataclass
class Scenario:
    """A named sequence of steps checking one rule."""

    name: str
    rule: str
    line: int
    source: str = ""
    adopted: bool = False
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class HarnessAction:
    """An action the implementation's harness must offer: ``harness.<name>(*params)``."""

    name: str
    params: tuple[str, ...]
    doc: str
    returns: str = ""


@dataclass
class ScenarioFile:
    """A parsed scenario file."""

    path: str
    idl: str
    description: str
    harness: dict[str, HarnessAction]
    scenarios: list[Scenario]
    #: ``[constants]``: values of names the scenarios use that the IDL does not define
    constants: dict[str, int] = field(default_factory=dict)

    def scenario(self, name: str) -> Scenario:
        """The scenario called *name* (KeyError if none)."""
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)


# --------------------------------------------------------------------------- line numbers


class _Lines:
    """Finds the line of each ``[[scenario]]`` header and each step (one per line) in the text."""

    def __init__(self, text: str) -> None:
        self.scenario_lines: list[int] = []
        self.step_lines: list[list[int]] = []
        self.step_columns: dict[int, int] = {}  #: line -> column of the step's "{"
        self.harness_lines: dict[str, int] = {}
        in_steps = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if re.match(r"^\[\[\s*scenario\s*\]\]", line):
                self.scenario_lines.append(number)
                self.step_lines.append([])
                in_steps = False
            elif m := re.match(r"^\[\s*harness\.([A-Za-z_0-9]+)\s*\]", line):
                self.harness_lines[m.group(1)] = number
            elif line.startswith("["):
                in_steps = False
            elif re.match(r"^steps\s*=", line) and self.step_lines:
                in_steps = True
                rest = line.split("=", 1)[1].strip().lstrip("[").strip()
                if rest.startswith("{"):
                    self.step_lines[-1].append(number)
                    self.step_columns[number] = raw.find("{") + 1
            elif in_steps and line.startswith("{"):
                self.step_lines[-1].append(number)
                self.step_columns[number] = raw.find("{") + 1

    def scenario(self, index: int) -> int:
        return self.scenario_lines[index] if index < len(self.scenario_lines) else 0

    def step(self, scenario: int, step: int) -> int:
        if scenario < len(self.step_lines) and step < len(self.step_lines[scenario]):
            return self.step_lines[scenario][step]
        return self.scenario(scenario)

    def column(self, line: int) -> int:
        """The column of the step on *line* (1 when unknown)."""
        return self.step_columns.get(line, 1)


# --------------------------------------------------------------------------- parsing

_STEP_KEYS: dict[str, set[str]] = {
    "create": {"as"},
    "call": {"args", "as", "returns", "error"},
    "get": {"expect", "as", "error"},
    "set": {"value", "error"},
    "query": {"interface", "as", "error"},
    "advise": {"source", "as", "byref", "error"},
    "unadvise": {"error"},
    "harness": {"args", "as", "returns", "error"},
    "events": {"expect", "exact"},
}
_COMMON_KEYS = {"note"}
_REQUIRED: dict[str, set[str]] = {
    "query": {"interface"},
    "advise": {"source", "as"},
    "set": {"value"},
    "events": {"expect"},
}
_VALUE_FORMS = {
    "const",
    "hresult",
    "null",
    "repeat",
    "md5",
    "bind",
    "any",
    "regex",
    "has_bits",
    "lacks_bits",
    "not",
}
_MATCHER_FORMS = {"bind", "any", "regex", "has_bits", "lacks_bits", "not"}


class _Problem(Exception):
    """A validation problem inside one value or step (turned into a diagnostic)."""


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _parse_value(raw: object, *, matcher: bool, what: str) -> Value:
    """Turn a TOML value into a :data:`Value`; *matcher* allows the expectation-only forms."""
    if isinstance(raw, bool | int | float):
        return raw
    if isinstance(raw, str):
        if raw.startswith("$$"):
            return raw[1:]
        if raw.startswith("$"):
            m = _REF.match(raw)
            if not m:
                raise _Problem(f"{what}: '{raw}' is not a reference ('$name' or '$name.Member')")
            return Ref(m.group(1), m.group(2))
        return raw
    if isinstance(raw, list):
        return tuple(_parse_value(item, matcher=matcher, what=what) for item in raw)
    if isinstance(raw, dict):
        keys = set(raw)
        forms = keys & _VALUE_FORMS
        if len(forms) != 1:
            raise _Problem(
                f"{what}: a value table needs exactly one of "
                f"{', '.join(sorted(_VALUE_FORMS))} (got {', '.join(sorted(keys)) or 'nothing'})"
            )
        form = forms.pop()
        extra = keys - {form} - ({"times"} if form == "repeat" else set())
        if extra:
            raise _Problem(f"{what}: unexpected key(s) {', '.join(sorted(extra))} in '{form}'")
        if form in _MATCHER_FORMS and not matcher:
            raise _Problem(f"{what}: '{form}' is only allowed in expectations")
        arg = raw[form]
        if form == "const":
            return Const(_name(arg, what, "const"))
        if form == "hresult":
            if isinstance(arg, int) and not isinstance(arg, bool):
                return HResult(arg)
            return HResult(_name(arg, what, "hresult"))
        if form == "null":
            if arg is not True:
                raise _Problem(f"{what}: write null as {{ null = true }}")
            return Null()
        if form == "any":
            if arg is not True:
                raise _Problem(f"{what}: write any as {{ any = true }}")
            return AnyValue()
        if form == "bind":
            return Bind(_name(arg, what, "bind"))
        if form == "not":
            return Not(_parse_value(arg, matcher=True, what=what))
        if form == "regex":
            if not isinstance(arg, str):
                raise _Problem(f"{what}: 'regex' needs a string")
            try:
                re.compile(arg)
            except re.error as exc:
                raise _Problem(f"{what}: bad regular expression: {exc}") from None
            return Regex(arg)
        if form in ("has_bits", "lacks_bits"):
            names = [arg] if isinstance(arg, str) else arg
            if not isinstance(names, list) or not names:
                raise _Problem(f"{what}: '{form}' needs a constant name or a list of them")
            return Bits(tuple(_name(n, what, form) for n in names), form == "has_bits")
        if form == "repeat":
            times = raw.get("times")
            if not isinstance(arg, str) or not isinstance(times, int) or times < 0:
                raise _Problem(f'{what}: write {{ repeat = "text", times = N }}')
            return Repeat(arg, times)
        # md5
        if not isinstance(arg, list) or not arg:
            raise _Problem(f"{what}: 'md5' needs a list of parts")
        return Md5(tuple(_parse_value(p, matcher=False, what=what) for p in arg))
    raise _Problem(f"{what}: unsupported value {raw!r}")


def _name(raw: object, what: str, key: str) -> str:
    if not isinstance(raw, str) or not _IDENT.match(raw):
        raise _Problem(f"{what}: '{key}' needs an identifier, got {raw!r}")
    return raw


def _ref(raw: object, key: str, *, member: bool | None) -> Ref:
    if not isinstance(raw, str) or not (m := _REF.match(raw)):
        raise _Problem(f"'{key}' needs a reference like '$name.Member', got {raw!r}")
    ref = Ref(m.group(1), m.group(2))
    if member is True and ref.member is None:
        raise _Problem(f"'{key}' needs a member: '$name.Member', got {raw!r}")
    if member is False and ref.member is not None:
        raise _Problem(f"'{key}' takes a variable ('$name'), not a member, got {raw!r}")
    return ref


def _error(raw: object) -> str | int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return _name(raw, "error", "error")


def _parse_step(raw: object, index: int, line: int) -> Step:
    if not isinstance(raw, dict):
        raise _Problem("a step must be an inline table { kind = ..., ... }")
    kinds = [k for k in raw if k in _STEP_KEYS]
    if len(kinds) != 1:
        unknown = [k for k in raw if k not in _COMMON_KEYS and k not in _STEP_KEY_UNION]
        hint = _did_you_mean(unknown[0], _STEP_KEYS) if unknown else ""
        raise _Problem(
            f"a step needs exactly one action key ({', '.join(_STEP_KEYS)}), "
            f"got {', '.join(kinds) or 'none'}{hint}"
        )
    kind = kinds[0]
    allowed = _STEP_KEYS[kind] | _COMMON_KEYS | {kind}
    for key in raw:
        if key not in allowed:
            raise _Problem(
                f"'{kind}' step: unknown key '{key}'"
                + _did_you_mean(key, allowed)
                + f" (allowed: {', '.join(sorted(allowed - {kind}))})"
            )
    for key in _REQUIRED.get(kind, set()):
        if key not in raw:
            raise _Problem(f"'{kind}' step: missing '{key}'")
    step = Step(kind=kind, index=index, line=line)
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise _Problem("'note' must be a string")
    step.note = note
    head = raw[kind]
    if "as" in raw:
        step.bind = _name(raw["as"], f"'{kind}' step", "as")
    if "error" in raw:
        step.error = _error(raw["error"])
    if "args" in raw:
        if not isinstance(raw["args"], list):
            raise _Problem(f"'{kind}' step: 'args' must be a list")
        step.args = tuple(_parse_value(a, matcher=False, what="args") for a in raw["args"])
    if kind in ("create", "harness", "unadvise", "events"):
        step.target = _name(head, f"'{kind}' step", kind)
        if kind == "create" and step.bind is None:
            raise _Problem("'create' step: missing 'as' (the variable that holds the object)")
    elif kind in ("call", "get", "set"):
        step.ref = _ref(head, kind, member=True if kind != "get" else None)
    else:  # query, advise
        step.ref = _ref(head, kind, member=False)
    if kind == "query":
        step.interface = _name(raw["interface"], "'query' step", "interface")
    if kind == "advise":
        step.interface = _name(raw["source"], "'advise' step", "source")
        byref = raw.get("byref", {})
        if not isinstance(byref, dict):
            raise _Problem("'advise' step: 'byref' must be a table { Event = { param = value } }")
        for event, params in byref.items():
            if not isinstance(params, dict) or not params:
                raise _Problem(f"'advise' step: byref.{event} must be a table {{ param = value }}")
            step.byref[event] = {
                p: _parse_value(v, matcher=False, what=f"byref.{event}.{p}")
                for p, v in params.items()
            }
    if kind == "set":
        step.value = _parse_value(raw["value"], matcher=False, what="value")
    if kind == "get" and "expect" in raw:
        step.expect = _parse_value(raw["expect"], matcher=True, what="expect")
        step.has_expect = True
    if "returns" in raw:
        step.expect = _parse_value(raw["returns"], matcher=True, what="returns")
        step.has_expect = True
    if step.error is not None and (step.has_expect or step.bind) and kind != "advise":
        raise _Problem(f"'{kind}' step: 'error' excludes 'expect'/'returns'/'as'")
    if kind == "events":
        step.events = _parse_events(raw["expect"])
        exact = raw.get("exact", True)
        if not isinstance(exact, bool):
            raise _Problem("'events' step: 'exact' must be true or false")
        step.exact = exact
    return step


_STEP_KEY_UNION = set().union(*_STEP_KEYS.values())


def _parse_events(raw: object) -> tuple[ExpectedEvent, ...]:
    if not isinstance(raw, list):
        raise _Problem("'events' step: 'expect' must be a list of [\"EventName\", args...]")
    events = []
    for item in raw:
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise _Problem(
                f"'events' step: each expected event is [\"EventName\", arg, ...], got {item!r}"
            )
        name = _name(item[0], "'events' step", "event")
        args = tuple(_parse_value(a, matcher=True, what=f"{name} argument") for a in item[1:])
        events.append(ExpectedEvent(name, args))
    return tuple(events)


def _parse_harness(
    raw: object, sink: DiagnosticSink, path: str, lines: _Lines
) -> dict[str, HarnessAction]:
    actions: dict[str, HarnessAction] = {}
    if not isinstance(raw, dict):
        sink.error(Span(path, 1, 1), "[harness] must be a table of actions")
        return actions
    for name, spec in raw.items():
        span = Span(path, lines.harness_lines.get(name, 1), 1)
        if not _IDENT.match(name) or not isinstance(spec, dict):
            sink.error(span, f"harness action '{name}': must be a table [harness.{name}]")
            continue
        params = spec.get("params", [])
        doc = spec.get("doc", "")
        returns = spec.get("returns", "")
        bad = set(spec) - {"params", "doc", "returns"}
        if bad:
            sink.error(span, f"harness action '{name}': unknown key(s) {', '.join(sorted(bad))}")
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            sink.error(span, f"harness action '{name}': 'params' must be a list of names")
            continue
        if not isinstance(doc, str) or not doc:
            sink.error(span, f"harness action '{name}': 'doc' (what the action does) is required")
            doc = ""
        if not isinstance(returns, str):
            sink.error(span, f"harness action '{name}': 'returns' must be a string")
            returns = ""
        actions[name] = HarnessAction(name, tuple(params), doc, returns)
    return actions


def _parse_constants(raw: object, sink: DiagnosticSink, path: str) -> dict[str, int]:
    constants: dict[str, int] = {}
    if not isinstance(raw, dict):
        sink.error(Span(path, 1, 1), "[constants] must be a table of NAME = integer")
        return constants
    for name, value in raw.items():
        if not _IDENT.match(name) or not isinstance(value, int) or isinstance(value, bool):
            sink.error(Span(path, 1, 1), f"[constants] {name}: needs an integer value")
            continue
        constants[name] = value
    return constants


def parse_scenarios(text: str, path: str) -> tuple[ScenarioFile | None, list[Diagnostic]]:
    """Parse scenario-file *text* (read from *path*); return the file and its diagnostics.

    The file is None only when the TOML itself cannot be read; otherwise every scenario
    that validated is returned and every problem is a diagnostic.
    """
    sink = DiagnosticSink()
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        span = Span(path, int(m.group(1)), int(m.group(2))) if m else Span(path, 1, 1)
        sink.error(span, f"not valid TOML: {exc}")
        return None, sink.diagnostics
    lines = _Lines(text)
    for key in data:
        if key not in ("suite", "harness", "scenario", "constants"):
            sink.error(
                Span(path, 1, 1),
                f"unknown top-level key '{key}'"
                + _did_you_mean(key, ["suite", "harness", "scenario", "constants"]),
            )
    suite = data.get("suite", {})
    if not isinstance(suite, dict):
        suite = {}
    fmt = suite.get("format", FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        sink.error(Span(path, 1, 1), f"[suite] format = {fmt!r}: this idlgen reads format 1")
    idl = suite.get("idl", "")
    description = suite.get("description", "")
    harness = _parse_harness(data.get("harness", {}), sink, path, lines)
    constants = _parse_constants(data.get("constants", {}), sink, path)
    raw_scenarios = data.get("scenario", [])
    if not isinstance(raw_scenarios, list):
        sink.error(Span(path, 1, 1), "'scenario' must be an array of tables [[scenario]]")
        raw_scenarios = []
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for s_index, raw in enumerate(raw_scenarios):
        s_line = lines.scenario(s_index)
        scenario = _parse_scenario(raw, s_index, s_line, path, lines, harness, sink)
        if scenario is None:
            continue
        if scenario.name in seen:
            sink.error(
                Span(path, s_line, 1),
                f"scenario '{scenario.name}': duplicate name (first at line {seen[scenario.name]})",
            )
            continue
        seen[scenario.name] = s_line
        scenarios.append(scenario)
    return (
        ScenarioFile(path, str(idl), str(description), harness, scenarios, constants),
        sink.diagnostics,
    )


_SCENARIO_KEYS = {"name", "rule", "source", "adopted", "steps"}


def _parse_scenario(
    raw: object,
    s_index: int,
    s_line: int,
    path: str,
    lines: _Lines,
    harness: Mapping[str, HarnessAction],
    sink: DiagnosticSink,
) -> Scenario | None:
    span = Span(path, s_line, 1)
    if not isinstance(raw, dict):
        sink.error(span, f"scenario #{s_index + 1}: must be a table")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not _IDENT.match(name):
        sink.error(span, f"scenario #{s_index + 1}: 'name' must be an identifier, got {name!r}")
        return None
    label = f"scenario '{name}'"
    ok = True
    for key in raw:
        if key not in _SCENARIO_KEYS:
            sink.error(span, f"{label}: unknown key '{key}'" + _did_you_mean(key, _SCENARIO_KEYS))
            ok = False
    rule = raw.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        sink.error(span, f"{label}: 'rule' (the rule checked, in words) is required")
        ok = False
    adopted = raw.get("adopted", False)
    if not isinstance(adopted, bool):
        sink.error(span, f"{label}: 'adopted' must be true or false")
        ok = False
    source = raw.get("source", "")
    if not isinstance(source, str):
        sink.error(span, f"{label}: 'source' must be a string")
        ok = False
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        sink.error(span, f"{label}: 'steps' must be a non-empty array of inline tables")
        return None
    scenario = Scenario(
        name=name,
        rule=str(rule),
        line=s_line,
        source=str(source),
        adopted=bool(adopted),
    )
    bound: dict[str, str] = {}  # variable -> what bound it
    sinks: set[str] = set()
    for i, raw_step in enumerate(raw_steps):
        line = lines.step(s_index, i)
        where = Span(path, line, lines.column(line))
        try:
            step = _parse_step(raw_step, i + 1, line)
            step.column = where.column
            _check_step_flow(step, bound, sinks, harness)
        except _Problem as problem:
            sink.error(where, f"{label}, step {i + 1}: {problem}")
            ok = False
            continue
        scenario.steps.append(step)
    return scenario if ok else None


def _refs_in(value: Value) -> Iterable[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Not):
        yield from _refs_in(value.value)
    elif isinstance(value, tuple):
        for item in value:
            yield from _refs_in(item)
    elif isinstance(value, Md5):
        for part in value.parts:
            yield from _refs_in(part)


def _binds_in(value: Value) -> Iterable[str]:
    if isinstance(value, Bind):
        yield value.name
    elif isinstance(value, tuple):
        for item in value:
            yield from _binds_in(item)


def _check_step_flow(
    step: Step,
    bound: dict[str, str],
    sinks: set[str],
    harness: Mapping[str, HarnessAction],
) -> None:
    """Variables are bound before use, sinks advised before checked, harness actions declared."""
    used: list[Ref] = []
    if step.ref is not None:
        used.append(step.ref)
    for arg in step.args:
        used.extend(_refs_in(arg))
    used.extend(_refs_in(step.value))
    used.extend(_refs_in(step.expect))
    for params in step.byref.values():
        for v in params.values():
            used.extend(_refs_in(v))
    for event in step.events:
        for arg in event.args:
            used.extend(_refs_in(arg))
    for ref in used:
        if ref.var not in bound:
            raise _Problem(
                f"'{ref}' uses ${ref.var} before any step binds it" + _did_you_mean(ref.var, bound)
            )
    if step.kind in ("unadvise", "events") and step.target not in sinks:
        raise _Problem(
            f"no sink '{step.target}' was advised before this step"
            + _did_you_mean(step.target, sinks)
        )
    if step.kind == "harness":
        action = harness.get(step.target)
        if action is None:
            raise _Problem(
                f"harness action '{step.target}' is not declared in a [harness.{step.target}] "
                "table" + _did_you_mean(step.target, harness)
            )
        if len(step.args) != len(action.params):
            raise _Problem(
                f"harness action '{step.target}' takes {len(action.params)} argument(s) "
                f"({', '.join(action.params)}), got {len(step.args)}"
            )
    if step.kind == "advise" and step.bind:
        sinks.add(step.bind)
    elif step.bind:
        bound[step.bind] = step.kind
    for name in _binds_in(step.expect):
        bound[name] = "bind"
    for event in step.events:
        for arg in event.args:
            for name in _binds_in(arg):
                bound[name] = "bind"


def load_scenarios(path: str | Path) -> tuple[ScenarioFile | None, list[Diagnostic]]:
    """Read and validate the scenario file at *path* (never raises on bad content)."""
    name = str(path)
    try:
        text = read_scenario_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        sink = DiagnosticSink()
        reason = exc.reason if isinstance(exc, UnreadableFile) else str(exc)
        sink.error(Span(name, 1, 1), f"cannot read scenario file: {reason}")
        return None, sink.diagnostics
    return parse_scenarios(text, name)


#: The largest scenario file read.
MAX_SCENARIO_BYTES = 4 * 1024 * 1024


def read_scenario_text(path: str | Path) -> str:
    """The text of the scenario file *path* (a regular UTF-8 file of at most
    :data:`MAX_SCENARIO_BYTES`); raises UnreadableFile or UnicodeDecodeError."""
    return read_input_file(path, MAX_SCENARIO_BYTES, what="scenario").decode("utf-8")


# --------------------------------------------------------------------------- names vs. the IDL


@dataclass
class IdlNames:
    """The names of an IDL a scenario file may use (built from the model or the stubs).

    ``events`` maps a source interface to ``{event: parameter names}``; ``members`` maps an
    interface to its member names; ``constants`` holds enumerators, constants and HRESULT names.
    """

    coclasses: set[str] = field(default_factory=set)
    members: dict[str, set[str]] = field(default_factory=dict)
    events: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    constants: set[str] = field(default_factory=set)


def check_names(scenarios: ScenarioFile, names: IdlNames) -> list[Diagnostic]:
    """Check coclass, member, interface, event, parameter and constant names against the IDL."""
    sink = DiagnosticSink()
    all_members = set().union(*names.members.values()) if names.members else set()
    names = IdlNames(
        names.coclasses, names.members, names.events, names.constants | set(scenarios.constants)
    )
    interfaces = set(names.members) | set(names.events)
    for scenario in scenarios.scenarios:
        sources: dict[str, str] = {}  # sink name -> source interface
        for step in scenario.steps:
            span = Span(scenarios.path, step.line, step.column)
            label = f"scenario '{scenario.name}', step {step.index}"
            for problem in _name_problems(step, names, all_members, interfaces, sources):
                sink.error(span, f"{label}: {problem}")
    return sink.diagnostics


def _constants_in(value: Value) -> Iterable[str]:
    if isinstance(value, Const | HResult) and isinstance(value.name, str):
        yield value.name
    elif isinstance(value, Bits):
        yield from value.names
    elif isinstance(value, tuple):
        for item in value:
            yield from _constants_in(item)
    elif isinstance(value, Md5):
        for part in value.parts:
            yield from _constants_in(part)


def _name_problems(
    step: Step,
    names: IdlNames,
    all_members: set[str],
    interfaces: set[str],
    sources: dict[str, str],
) -> Iterable[str]:
    if step.kind == "create" and step.target not in names.coclasses:
        yield f"unknown coclass '{step.target}'" + _did_you_mean(step.target, names.coclasses)
    if step.kind in ("call", "set") or (step.kind == "get" and step.ref and step.ref.member):
        assert step.ref is not None and step.ref.member is not None
        if step.ref.member not in all_members:
            yield f"no interface has a member '{step.ref.member}'" + _did_you_mean(
                step.ref.member, all_members
            )
    if (
        step.kind == "query"
        and step.interface not in interfaces
        and step.interface
        not in (
            "IUnknown",
            "IDispatch",
            "IConnectionPointContainer",
        )
    ):
        yield f"unknown interface '{step.interface}'" + _did_you_mean(
            str(step.interface), interfaces
        )
    if step.kind == "advise":
        source = str(step.interface)
        if source not in names.events:
            yield f"'{source}' is not a source interface" + _did_you_mean(source, names.events)
        else:
            if step.bind:
                sources[step.bind] = source
            for event, params in step.byref.items():
                declared = names.events[source].get(event)
                if declared is None:
                    yield f"{source} has no event '{event}'" + _did_you_mean(
                        event, names.events[source]
                    )
                    continue
                for param in params:
                    if param not in declared:
                        yield f"{source}.{event} has no parameter '{param}'" + _did_you_mean(
                            param, declared
                        )
    if step.kind == "events" and step.target in sources:
        source = sources[step.target]
        for expected in step.events:
            declared = names.events[source].get(expected.name)
            if declared is None:
                yield f"{source} has no event '{expected.name}'" + _did_you_mean(
                    expected.name, names.events[source]
                )
            elif len(expected.args) not in (0, len(declared)):
                yield (
                    f"{source}.{expected.name} has {len(declared)} parameter(s) "
                    f"({', '.join(declared)}), the expectation gives {len(expected.args)}"
                )
    values: list[Value] = [*step.args, step.value, step.expect]
    values.extend(arg for event in step.events for arg in event.args)
    constants: list[str] = []
    for v in values:
        constants.extend(_constants_in(v))
    for params in step.byref.values():
        for v in params.values():
            constants.extend(_constants_in(v))
    if isinstance(step.error, str):
        constants.append(step.error)
    for name in constants:
        if name not in names.constants:
            yield f"unknown constant or HRESULT '{name}'" + _did_you_mean(name, names.constants)


def format_problems(diagnostics: Sequence[Diagnostic]) -> str:
    """The diagnostics as ``file:line:col: error: message`` lines."""
    return "\n".join(f"{d.span}: {d.severity.value}: {d.message}" for d in diagnostics)


def find_scenario_file(idl_path: str | Path) -> Path | None:
    """``<dir>/<stem>.scenarios.toml`` next to the IDL file, if it exists."""
    path = Path(idl_path)
    candidate = path.with_name(path.stem + SCENARIO_SUFFIX)
    try:
        return candidate if candidate.is_file() else None
    except OSError:  # e.g. the name grew too long for the file system
        return None
