"""The generated conformance suite's machinery: structural checks, scenario runner, pytest glue.

A generated suite is small: its ``spec.py`` builds a :class:`Spec` (the IDL's facts, as JSON
data) and its ``conftest.py`` imports the pytest hooks defined here; each test is one line::

    def test_MsgrSession_IMsgrSession_State_read_only(suite: Suite) -> None:
        suite.check("property_access:MsgrSession.IMsgrSession.State")

    def test_scenario_invite_moves_to_invitation(suite: Suite) -> None:
        suite.run_scenario("invite_moves_to_invitation")

An implementation is plugged in with ``--impl=package.module``: that module defines
``new_implementation()`` returning an :class:`Implementation` (one factory per coclass and the
harness object the scenarios drive); see ``docs/conformance.md``.  ``--impl=auto`` checks the
generated stubs' own coclasses with every abstract member filled in.  ``--expected-failures=FILE``
lists tests known to fail: they are reported as xfail, and fail the run if they start passing.

Every failure is a :class:`ConformanceFailure` whose message names the IDL member and the rule in
words, e.g. ``IMsgrSession.State is read-only: setting it must fail``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pytest

from idlgen.conformance import scenarios as sc

# --------------------------------------------------------------------------- COM facts

IID_IUnknown = uuid.UUID("00000000-0000-0000-c000-000000000046")
IID_IDispatch = uuid.UUID("00020400-0000-0000-c000-000000000046")
IID_IConnectionPointContainer = uuid.UUID("b196b284-bab4-101a-b69c-00aa00341d07")
#: An IID no IDL declares, for "undeclared interface" checks.
IID_NOBODY = uuid.UUID("6c1f6b0e-3c1d-4f5e-9a0b-1d2c3e4f5a6b")

DISPATCH_METHOD = 1
DISPATCH_PROPERTYGET = 2
DISPATCH_PROPERTYPUT = 4

#: The standard HRESULTs the checks and scenarios may name (unsigned 32-bit values).
STANDARD_HRESULTS: dict[str, int] = {
    "S_OK": 0x00000000,
    "S_FALSE": 0x00000001,
    "E_NOTIMPL": 0x80004001,
    "E_NOINTERFACE": 0x80004002,
    "E_POINTER": 0x80004003,
    "E_ABORT": 0x80004004,
    "E_FAIL": 0x80004005,
    "E_UNEXPECTED": 0x8000FFFF,
    "E_ACCESSDENIED": 0x80070005,
    "E_OUTOFMEMORY": 0x8007000E,
    "E_INVALIDARG": 0x80070057,
    "DISP_E_UNKNOWNINTERFACE": 0x80020001,
    "DISP_E_MEMBERNOTFOUND": 0x80020003,
    "DISP_E_PARAMNOTFOUND": 0x80020004,
    "DISP_E_TYPEMISMATCH": 0x80020005,
    "DISP_E_UNKNOWNNAME": 0x80020006,
    "DISP_E_BADPARAMCOUNT": 0x8002000E,
    "CONNECT_E_NOCONNECTION": 0x80040200,
    "CONNECT_E_ADVISELIMIT": 0x80040201,
    "CONNECT_E_CANNOTCONNECT": 0x80040202,
    "REGDB_E_WRITEREGDB": 0x80040151,
    "CLASS_E_NOAGGREGATION": 0x80040110,
}


def unsigned32(value: int) -> int:
    """*value* as an unsigned 32-bit HRESULT (a negative ``long`` becomes 0x8…)."""
    return value & 0xFFFFFFFF


def signed32(value: int) -> int:
    """*value* as a signed 32-bit ``long`` (how an HRESULT travels in a ``long`` parameter)."""
    value &= 0xFFFFFFFF
    return value - 0x100000000 if value & 0x80000000 else value


def hresult_of(exc: BaseException) -> int | None:
    """The HRESULT carried by an exception (``COMError.hresult``), or None if it carries none."""
    for attr in ("hresult", "hr"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return unsigned32(value)
    return None


# --------------------------------------------------------------------------- the IDL's facts


@dataclass(frozen=True)
class ParamSpec:
    """A parameter: IDL name, Python name, direction ("in", "out", "in,out"), retval, IDL type."""

    name: str
    direction: str = "in"
    retval: bool = False
    type: str = ""
    py_name: str = ""

    @property
    def python_name(self) -> str:
        """The name the Python stub uses for it."""
        return self.py_name or self.name

    @property
    def is_input(self) -> bool:
        """True when the caller passes it (``[in]`` or ``[in, out]``)."""
        return "in" in self.direction.split(",")


@dataclass(frozen=True)
class MemberSpec:
    """A method or property accessor of an interface."""

    name: str
    kind: str = "method"  #: "method", "propget", "propput", "propputref"
    dispid: int | None = None
    params: tuple[ParamSpec, ...] = ()
    py_name: str = ""

    @property
    def python_name(self) -> str:
        """The attribute the Python stubs use for it (the IDL name unless renamed)."""
        return self.py_name or self.name

    @property
    def return_type(self) -> str:
        """The IDL type of the ``[out, retval]`` parameter without its pointer, or ""."""
        for p in self.params:
            if p.retval:
                return p.type.removesuffix("*").strip()
        return ""


@dataclass(frozen=True)
class InterfaceSpec:
    """An interface (or dual interface) with its members in vtable order."""

    name: str
    iid: uuid.UUID
    base: str = "IUnknown"
    dual: bool = False
    members: tuple[MemberSpec, ...] = ()
    #: the interfaces it derives from, nearest first (IUnknown/IDispatch not listed)
    bases: tuple[str, ...] = ()

    def properties(self) -> dict[str, tuple[MemberSpec | None, MemberSpec | None]]:
        """``{name: (propget, propput)}`` in declaration order (not parameterised ones)."""
        props: dict[str, tuple[MemberSpec | None, MemberSpec | None]] = {}
        indexed = set(self.parameterised())
        for m in self.members:
            if m.kind == "method" or m.name in indexed:
                continue
            get, put = props.get(m.name, (None, None))
            if m.kind == "propget":
                get = m
            else:
                put = m
            props[m.name] = (get, put)
        return props

    def methods(self) -> list[MemberSpec]:
        """The members that are plain methods."""
        return [m for m in self.members if m.kind == "method"]

    def python_name(self, name: str) -> str:
        """The Python attribute of member *name*."""
        return next((m.python_name for m in self.members if m.name == name), name)

    def parameterised(self) -> list[str]:
        """Names of properties with index parameters (``[propget] Item([in] long i, ...)``)."""
        names: list[str] = []
        for m in self.members:
            inputs = [p for p in m.params if p.is_input and not p.retval]
            indexed = (m.kind == "propget" and inputs) or (m.kind != "method" and len(inputs) > 1)
            if indexed and m.name not in names:
                names.append(m.name)
        return names

    @property
    def dispatch(self) -> bool:
        """True when the interface derives from IDispatch."""
        return self.dual or self.base == "IDispatch"


@dataclass(frozen=True)
class EventSpec:
    """One event (method of a ``[source]`` dispinterface)."""

    name: str
    dispid: int
    params: tuple[ParamSpec, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """A dispinterface some coclass fires (``[source]``)."""

    name: str
    iid: uuid.UUID
    events: tuple[EventSpec, ...] = ()

    def event(self, name: str) -> EventSpec | None:
        """The event called *name*, or None."""
        return next((e for e in self.events if e.name == name), None)


@dataclass(frozen=True)
class CoclassSpec:
    """A coclass: its interfaces and source interfaces (defaults first)."""

    name: str
    clsid: uuid.UUID
    interfaces: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class Spec:
    """What the suite checks, built from the IDL (the generator writes it as a literal dict).

    ``enums`` maps an enum type name to ``{member: value}``; ``constants`` holds every
    constant, enumerator and HRESULT name a scenario may use (standard HRESULTs included).
    ``enum_classes`` optionally maps an enum type name to its generated Python class, so return
    types can be checked as enum members.
    """

    idl: str
    interfaces: dict[str, InterfaceSpec]
    sources: dict[str, SourceSpec]
    coclasses: dict[str, CoclassSpec]
    enums: dict[str, dict[str, int]] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)
    enum_classes: dict[str, type] = field(default_factory=dict)
    sink_bases: dict[str, type] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spec:
        """Build a spec from plain data (the shape is documented in ``docs/conformance.md``)."""

        def params(raw: Sequence[Mapping[str, Any]]) -> tuple[ParamSpec, ...]:
            return tuple(
                ParamSpec(
                    name=str(p.get("name", f"p{i}")),
                    direction=str(p.get("dir", "in")).replace(" ", ""),
                    retval=bool(p.get("retval", False)),
                    type=str(p.get("type", "")),
                    py_name=str(p.get("py_name", "")),
                )
                for i, p in enumerate(raw)
            )

        interfaces = {
            i["name"]: InterfaceSpec(
                name=i["name"],
                iid=uuid.UUID(str(i["iid"])),
                base=str(i.get("base", "IUnknown")),
                dual="dual" in i.get("flags", ()),
                bases=tuple(str(b) for b in i.get("bases", ())),
                members=tuple(
                    MemberSpec(
                        name=m["name"],
                        kind=str(m.get("kind", "method")),
                        dispid=m.get("dispid"),
                        params=params(m.get("params", ())),
                        py_name=str(m.get("py_name", "")),
                    )
                    for m in i.get("members", ())
                ),
            )
            for i in data.get("interfaces", ())
        }
        sources = {
            d["name"]: SourceSpec(
                name=d["name"],
                iid=uuid.UUID(str(d["iid"])),
                events=tuple(
                    EventSpec(m["name"], int(m["dispid"]), params(m.get("params", ())))
                    for m in d.get("methods", d.get("events", ()))
                ),
            )
            for d in data.get("dispinterfaces", data.get("sources", ()))
        }
        coclasses = {}
        for c in data.get("coclasses", ()):
            items = list(c.get("interfaces", ()))
            # defaults first, keeping source order otherwise
            items.sort(key=lambda it: not it.get("default", False))
            coclasses[c["name"]] = CoclassSpec(
                name=c["name"],
                clsid=uuid.UUID(str(c["clsid"])),
                interfaces=tuple(it["name"] for it in items if not it.get("source")),
                sources=tuple(it["name"] for it in items if it.get("source")),
            )
        enums: dict[str, dict[str, int]] = {}
        for e in data.get("enums", ()):
            enums[str(e.get("typedef", e.get("name")))] = {
                str(k): int(v) for k, v in e["members"].items()
            }
        constants = dict(STANDARD_HRESULTS)
        for members in enums.values():
            constants.update(members)
        constants.update({str(k): int(v) for k, v in data.get("constants", {}).items()})
        return cls(str(data.get("idl", "")), interfaces, sources, coclasses, enums, constants)

    def constant(self, name: str | int) -> int:
        """The value of a constant/enumerator/HRESULT name (numbers pass through)."""
        if isinstance(name, int):
            return name
        try:
            return self.constants[name]
        except KeyError:
            raise ConformanceFailure(
                "spec", f"the scenario names '{name}', which the IDL does not define"
            ) from None

    def hresult_name(self, value: int) -> str:
        """``NAME (0x…)`` for an HRESULT value, or just the hex number."""
        value = unsigned32(value)
        names = [n for n, v in self.constants.items() if unsigned32(v) == value and v != 0]
        if value == 0:
            names = ["S_OK"]
        preferred = [n for n in names if n.startswith(("E_", "SR_", "MSGR_", "CONNECT_", "DISP_"))]
        label = (preferred or names or [""])[0]
        return f"{label} (0x{value:08X})" if label else f"0x{value:08X}"

    def names(self) -> sc.IdlNames:
        """The names a scenario file may use (for :func:`.scenarios.check_names`)."""
        return sc.IdlNames(
            coclasses=set(self.coclasses),
            members={i.name: {m.name for m in i.members} for i in self.interfaces.values()},
            events={
                s.name: {e.name: tuple(p.name for p in e.params) for e in s.events}
                for s in self.sources.values()
            },
            constants=set(self.constants),
        )


# --------------------------------------------------------------------------- implementation


@runtime_checkable
class Implementation(Protocol):
    """What ``new_implementation()`` of an ``--impl`` module returns (a fresh world per test).

    ``factories`` has one zero-argument factory per coclass of the IDL, non-creatable ones
    included (e.g. MsgrSession: the reference returns ``manager.CreateSession()``); ``harness``
    offers the actions the scenario file declares in its ``[harness.*]`` tables.
    """

    @property
    def factories(self) -> Mapping[str, Callable[[], object]]: ...

    @property
    def harness(self) -> object: ...


def load_implementation(module_name: str) -> Callable[[], Implementation]:
    """Import ``--impl`` *module_name* and return its ``new_implementation`` function.

    Raises ``pytest.UsageError`` (a one-line message, no traceback) when the module does not
    import or defines no ``new_implementation``.
    """
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise pytest.UsageError(
            f"--impl={module_name}: cannot import it ({type(exc).__name__}: {exc})"
        ) from None
    factory = getattr(module, "new_implementation", None)
    if not callable(factory):
        raise pytest.UsageError(
            f"--impl={module_name}: the module must define new_implementation(), returning "
            "an object with 'factories' (one per coclass) and 'harness'"
        )
    return factory  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- failures


class ConformanceFailure(AssertionError):
    """A conformance check failed; ``check`` is the id of the check, ``message`` says why."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- recording sinks


@dataclass
class RecordedEvent:
    """One event a recording sink received: name and arguments (by-ref ones as passed in)."""

    name: str
    args: tuple[object, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(_describe(a) for a in self.args)})"


def _is_holder(value: object) -> bool:
    return hasattr(value, "value") and not isinstance(value, int | str | float | bytes)


class RecordingSink:
    """An event sink that records every event of one source interface, in order.

    By-reference parameters arrive either as holders with a ``value`` attribute or as plain
    values; the recorded argument is the value passed in.  ``byref`` sets outputs: for
    ``{"OnInvitation": {"pfHandled": True}}`` the sink writes True into the holder (or returns
    it, for runtimes that take by-ref outputs from the return value).
    """

    source: SourceSpec
    IID: uuid.UUID

    def __init__(self, byref: Mapping[str, Mapping[str, object]] | None = None) -> None:
        self.events: list[RecordedEvent] = []
        self.byref = {k: dict(v) for k, v in (byref or {}).items()}

    def QueryInterface(self, iid: object) -> object:
        """COM identity: this sink answers its source IID, IDispatch and IUnknown."""
        wanted = getattr(iid, "IID", iid)
        if wanted in (self.IID, IID_IDispatch, IID_IUnknown):
            return self
        raise _SinkNoInterface()

    def Invoke(
        self, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[object] = ()
    ) -> object:
        """Dispatch an event by DISPID (for runtimes that fire through ``Invoke``)."""
        for event in self.source.events:
            if event.dispid == dispid:
                return getattr(self, event.name)(*args)
        raise _SinkNoInterface(0x80020003)

    def _record(self, event: EventSpec, args: tuple[object, ...]) -> object:
        recorded: list[object] = []
        result: object = None
        for param, arg in zip(event.params, args, strict=False):
            byref = "out" in param.direction.split(",")
            if byref and _is_holder(arg):
                recorded.append(arg.value)  # type: ignore[attr-defined]
                if param.name in self.byref.get(event.name, {}):
                    arg.value = self.byref[event.name][param.name]  # type: ignore[attr-defined]
            else:
                recorded.append(arg)
                if byref and param.name in self.byref.get(event.name, {}):
                    result = self.byref[event.name][param.name]
        self.events.append(RecordedEvent(event.name, tuple(recorded)))
        return result

    def take(self) -> list[RecordedEvent]:
        """The events recorded since the last call, then forget them."""
        events, self.events = self.events, []
        return events


class _SinkNoInterface(Exception):
    def __init__(self, hresult: int = 0x80004002) -> None:
        super().__init__(f"HRESULT 0x{hresult:08X}")
        self.hresult = hresult


def recording_sink_class(source: SourceSpec, base: type | None = None) -> type[RecordingSink]:
    """A :class:`RecordingSink` subclass with one method per event of *source*.

    *base* (the generated sink base class of *source*) is mixed in so that implementations that
    check ``isinstance`` accept the sink.
    """

    def make(event: EventSpec) -> Callable[..., object]:
        def handler(self: RecordingSink, *args: object, **kwargs: object) -> object:
            names = [p.python_name for p in event.params]
            full = list(args) + [kwargs[n] for n in names[len(args) :] if n in kwargs]
            return self._record(event, tuple(full))

        handler.__name__ = event.name
        return handler

    namespace: dict[str, object] = {e.name: make(e) for e in source.events}
    namespace["source"] = source
    namespace["IID"] = source.iid
    bases: tuple[type, ...] = (RecordingSink,) if base is None else (RecordingSink, base)
    return type(f"Recording{source.name}", bases, namespace)


def _new_sink(
    spec: Spec, source: SourceSpec, byref: Mapping[str, Mapping[str, object]]
) -> RecordingSink:
    cls = recording_sink_class(source, spec.sink_bases.get(source.name))
    sink = cls.__new__(cls)
    RecordingSink.__init__(sink, byref)
    return sink


# --------------------------------------------------------------------------- COM operations


def query_interface(obj: object, iid: uuid.UUID) -> object:
    """``obj.QueryInterface(iid)`` (raises what the implementation raises)."""
    qi = getattr(obj, "QueryInterface", None)
    if qi is None:
        raise ConformanceFailure("com", f"{type(obj).__name__} has no QueryInterface")
    return qi(iid)


def find_connection_point(obj: object, iid: uuid.UUID) -> Any:
    """The connection point of *obj* for source *iid* (through IConnectionPointContainer)."""
    container = obj
    if not hasattr(container, "FindConnectionPoint"):
        container = query_interface(obj, IID_IConnectionPointContainer)
    return container.FindConnectionPoint(iid)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- value matching


class _Scope:
    """Variables and sinks of one scenario run."""

    def __init__(self) -> None:
        self.vars: dict[str, object] = {}
        self.sinks: dict[str, tuple[RecordingSink, Any, int]] = {}


def _evaluate(value: sc.Value, spec: Spec, scope: _Scope) -> object:
    if isinstance(value, sc.Ref):
        obj = scope.vars[value.var]
        return getattr(obj, value.member) if value.member else obj
    if isinstance(value, sc.Const):
        return spec.constant(value.name)
    if isinstance(value, sc.HResult):
        return signed32(spec.constant(value.name))
    if isinstance(value, sc.Null):
        return None
    if isinstance(value, sc.Repeat):
        return value.text * value.times
    if isinstance(value, sc.Md5):
        text = "".join(str(_evaluate(p, spec, scope)) for p in value.parts)
        return hashlib.md5(text.encode("utf-8")).hexdigest()
    if isinstance(value, tuple):
        return tuple(_evaluate(v, spec, scope) for v in value)
    return value


def _normalise(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(_normalise(v) for v in value)
    return value


def _matches(expected: sc.Value, actual: object, spec: Spec, scope: _Scope) -> bool:
    """Whether *actual* matches *expected*; binds ``{ bind = ... }`` names as a side effect."""
    if isinstance(expected, sc.Bind):
        scope.vars[expected.name] = actual
        return True
    if isinstance(expected, sc.AnyValue):
        return True
    if isinstance(expected, sc.Not):
        probe = _Scope()
        probe.vars = dict(scope.vars)
        return not _matches(expected.value, actual, spec, probe)
    if isinstance(expected, sc.Regex):
        return isinstance(actual, str) and re.fullmatch(expected.pattern, actual) is not None
    if isinstance(expected, sc.Bits):
        if not isinstance(actual, int):
            return False
        mask = 0
        for name in expected.names:
            mask |= spec.constant(name)
        return (actual & mask) == mask if expected.present else (actual & mask) == 0
    if isinstance(expected, sc.HResult):
        return (
            isinstance(actual, int)
            and not isinstance(actual, bool)
            and unsigned32(actual) == unsigned32(spec.constant(expected.name))
        )
    if isinstance(expected, tuple):
        actual = _normalise(actual)
        return (
            isinstance(actual, tuple)
            and len(actual) == len(expected)
            and all(_matches(e, a, spec, scope) for e, a in zip(expected, actual, strict=True))
        )
    want = _evaluate(expected, spec, scope)
    if isinstance(want, bool) != isinstance(actual, bool) and isinstance(actual, bool | int):
        return False  # True must not pass for 1, nor 1 for True
    return bool(want == actual)


def _show(expected: sc.Value, spec: Spec, scope: _Scope) -> str:
    if isinstance(expected, sc.Const):
        return f"{expected.name} ({spec.constant(expected.name)})"
    if isinstance(expected, sc.HResult):
        return spec.hresult_name(spec.constant(expected.name))
    if isinstance(expected, sc.Bind):
        return "anything"
    if isinstance(expected, sc.AnyValue):
        return "anything"
    if isinstance(expected, sc.Not):
        return f"anything but {_show(expected.value, spec, scope)}"
    if isinstance(expected, sc.Regex):
        return f"a string matching /{expected.pattern}/"
    if isinstance(expected, sc.Bits):
        return f"a value {'with' if expected.present else 'without'} {' | '.join(expected.names)}"
    if isinstance(expected, tuple):
        return "[" + ", ".join(_show(e, spec, scope) for e in expected) + "]"
    try:
        return _describe(_evaluate(expected, spec, scope))
    except Exception:
        return str(expected)


# --------------------------------------------------------------------------- scenario runner


class ScenarioRunner:
    """Runs scenarios of a :class:`~.scenarios.ScenarioFile` against an implementation."""

    def __init__(self, spec: Spec, scenarios: sc.ScenarioFile) -> None:
        self.spec = spec
        self.scenarios = scenarios

    def run(self, name: str, implementation: Implementation) -> None:
        """Run scenario *name*; raise :class:`ConformanceFailure` at the first failing step."""
        scenario = self.scenarios.scenario(name)
        scope = _Scope()
        for step in scenario.steps:
            try:
                self._step(step, implementation, scope)
            except _StepFailed as failed:
                raise ConformanceFailure(
                    f"scenario:{scenario.name}", self._message(scenario, step, str(failed))
                ) from None

    def _message(self, scenario: sc.Scenario, step: sc.Step, why: str) -> str:
        kind = "adopted rule" if scenario.adopted else "rule"
        where = f"{self.scenarios.path}:{step.line}" if step.line else self.scenarios.path
        lines = [
            f"{why}",
            f"  {kind}: {scenario.rule}",
            f"  scenario '{scenario.name}' step {step.index} ({step.describe()}) at {where}",
        ]
        if scenario.source:
            lines.append(f"  source: {scenario.source}")
        if step.note:
            lines.append(f"  note: {step.note}")
        return "\n".join(lines)

    # -- steps

    def _step(self, step: sc.Step, impl: Implementation, scope: _Scope) -> None:
        spec = self.spec
        if step.kind == "create":
            factory = impl.factories.get(step.target)
            if factory is None:
                raise _StepFailed(f"the implementation has no factory for coclass {step.target}")
            self._outcome(step, scope, lambda: factory(), f"creating {step.target}")
            return
        if step.kind == "harness":
            action = getattr(impl.harness, step.target, None)
            if not callable(action):
                raise _StepFailed(f"the harness has no action '{step.target}'")
            args = [_evaluate(a, spec, scope) for a in step.args]
            self._outcome(step, scope, lambda: action(*args), f"harness.{step.target}")
            return
        if step.kind == "events":
            self._events(step, scope)
            return
        if step.kind == "unadvise":
            _, cp, cookie = scope.sinks[step.target]
            self._outcome(step, scope, lambda: cp.Unadvise(cookie), f"Unadvise of {step.target}")
            return
        assert step.ref is not None
        if step.ref.var not in scope.vars:
            raise _StepFailed(f"${step.ref.var} is not bound (an earlier step did not produce it)")
        obj = scope.vars[step.ref.var]
        member = step.ref.member or ""
        label = f"{self._interface_of(member)}{member}"
        if step.kind == "call":
            method = getattr(obj, member, None)
            if not callable(method):
                raise _StepFailed(f"{label} is missing: the object has no method {member}")
            args = [_evaluate(a, spec, scope) for a in step.args]
            self._outcome(step, scope, lambda: method(*args), f"{label}(...)")
        elif step.kind == "get":
            if not member:
                self._outcome(step, scope, lambda: obj, f"${step.ref.var}")
            else:
                self._outcome(step, scope, lambda: getattr(obj, member), f"reading {label}")
        elif step.kind == "set":
            value = _evaluate(step.value, spec, scope)
            self._outcome(step, scope, lambda: setattr(obj, member, value), f"setting {label}")
        elif step.kind == "query":
            iid = self._iid(str(step.interface))
            self._outcome(
                step, scope, lambda: query_interface(obj, iid), f"QueryInterface({step.interface})"
            )
        elif step.kind == "advise":
            self._advise(step, obj, scope)

    def _interface_of(self, member: str) -> str:
        for interface in self.spec.interfaces.values():
            if any(m.name == member for m in interface.members):
                return f"{interface.name}."
        return ""

    def _iid(self, name: str) -> uuid.UUID:
        fixed = {
            "IUnknown": IID_IUnknown,
            "IDispatch": IID_IDispatch,
            "IConnectionPointContainer": IID_IConnectionPointContainer,
        }
        if name in fixed:
            return fixed[name]
        if name in self.spec.interfaces:
            return self.spec.interfaces[name].iid
        return self.spec.sources[name].iid

    def _outcome(
        self, step: sc.Step, scope: _Scope, action: Callable[[], object], what: str
    ) -> None:
        """Run *action*; check the expected error or result, bind ``as``."""
        spec = self.spec
        try:
            result = action()
        except ConformanceFailure:
            raise
        except Exception as exc:
            hr = hresult_of(exc)
            if step.error is not None:
                want = unsigned32(spec.constant(step.error))
                if hr == want:
                    return
                if (
                    hr is None
                    and isinstance(exc, AttributeError)
                    and step.kind == "set"
                    and want == STANDARD_HRESULTS["DISP_E_MEMBERNOTFOUND"]
                ):
                    return  # Python refuses writes to a read-only property this way
                got = spec.hresult_name(hr) if hr is not None else f"{type(exc).__name__}: {exc}"
                raise _StepFailed(
                    f"{what} must fail with {spec.hresult_name(want)}, but failed with {got}"
                ) from None
            got = spec.hresult_name(hr) if hr is not None else f"{type(exc).__name__}: {exc}"
            raise _StepFailed(f"{what} must succeed, but failed with {got}") from None
        if step.error is not None:
            want = unsigned32(spec.constant(step.error))
            raise _StepFailed(
                f"{what} must fail with {spec.hresult_name(want)}, but it succeeded"
                + (f" (returned {_describe(result)})" if result is not None else "")
            )
        if step.has_expect and not _matches(step.expect, result, spec, scope):
            raise _StepFailed(
                f"{what} must give {_show(step.expect, spec, scope)}, got {_describe(result)}"
            )
        if step.bind:
            scope.vars[step.bind] = result

    def _advise(self, step: sc.Step, obj: object, scope: _Scope) -> None:
        source = self.spec.sources[str(step.interface)]
        byref = {
            event: {param: _evaluate(v, self.spec, scope) for param, v in params.items()}
            for event, params in step.byref.items()
        }
        sink = _new_sink(self.spec, source, byref)
        try:
            cp = find_connection_point(obj, source.iid)
            cookie = cp.Advise(sink)
        except ConformanceFailure:
            raise
        except Exception as exc:
            hr = hresult_of(exc)
            got = self.spec.hresult_name(hr) if hr is not None else f"{type(exc).__name__}: {exc}"
            raise _StepFailed(f"advising a {source.name} sink must succeed, got {got}") from None
        assert step.bind is not None
        scope.sinks[step.bind] = (sink, cp, cookie)

    def _events(self, step: sc.Step, scope: _Scope) -> None:
        sink = scope.sinks[step.target][0]
        got = sink.take()
        expected = list(step.events)
        shown_expected = ", ".join(
            f"{e.name}({', '.join(_show(a, self.spec, scope) for a in e.args)})" for e in expected
        )
        shown_got = ", ".join(str(e) for e in got) or "nothing"
        source = sink.source.name
        if step.exact:
            ok = len(got) == len(expected) and all(
                self._event_matches(e, g, scope) for e, g in zip(expected, got, strict=True)
            )
        else:
            remaining: Iterator[RecordedEvent] = iter(got)
            ok = all(any(self._event_matches(e, g, scope) for g in remaining) for e in expected)
        if not ok:
            names = {e.name for e in expected}
            missing = [n for n in sorted(names) if not any(g.name == n for g in got)]
            hint = f" ({', '.join(missing)} never fired)" if missing else ""
            exactly = "exactly " if step.exact else ""
            raise _StepFailed(
                f"sink '{step.target}' ({source}) must receive {exactly}"
                f"[{shown_expected or 'no events'}] in this order, got [{shown_got}]{hint}"
            )

    def _event_matches(self, expected: sc.ExpectedEvent, got: RecordedEvent, scope: _Scope) -> bool:
        if expected.name != got.name:
            return False
        if not expected.args:
            return True  # ["Name"] alone checks the event, not its arguments
        return len(expected.args) == len(got.args) and all(
            _matches(e, a, self.spec, scope) for e, a in zip(expected.args, got.args, strict=True)
        )


class _StepFailed(Exception):
    """A step did not do what the scenario expects (message in words)."""


# --------------------------------------------------------------------------- structural checks


StructuralCheck = Callable[[Implementation], None]

_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "BSTR": (str,),
    "VARIANT_BOOL": (bool,),
    "long": (int,),
    "LONG": (int,),
    "int": (int,),
    "short": (int,),
    "ULONG": (int,),
    "DWORD": (int,),
    "unsigned long": (int,),
    "float": (float,),
    "double": (float,),
}


#: Interfaces idlgen's runtime implements for every coclass (no member checks for them).
RUNTIME_INTERFACES = frozenset({"IUnknown", "IDispatch", "IConnectionPointContainer"})


class StructuralChecks:
    """The structural checks of a spec, by id (``kind:Coclass[.Interface[.Member]]``)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.checks: dict[str, StructuralCheck] = {}
        for coclass in spec.coclasses.values():
            self._add_coclass(coclass)

    def ids(self) -> list[str]:
        """All check ids, in a stable order (the generator makes one test per id)."""
        return list(self.checks)

    def shadowed(self, coclass: CoclassSpec, iface: InterfaceSpec) -> set[str]:
        """Members of *iface* that another interface of *coclass* declares differently.

        A Python object has one attribute per name (and the runtime one dispatch table), so
        where two interfaces of a coclass declare the same name (or DISPID) differently, only
        the default interface's declaration is checked; the other interfaces' are skipped.
        """
        if not coclass.interfaces or coclass.interfaces[0] == iface.name:
            return set()
        others: dict[str, list[MemberSpec]] = {}
        dispids: dict[int, set[str]] = {}
        for name in coclass.interfaces:
            other = self.spec.interfaces.get(name)
            if other is None or name == iface.name:
                continue
            for m in other.members:
                others.setdefault(m.python_name.lower(), []).append(m)  # COM names: any case
                if m.dispid is not None:
                    dispids.setdefault(m.dispid, set()).add(m.name)
        out: set[str] = set()
        for m in iface.members:
            clashes = others.get(m.python_name.lower(), ())
            if any((o.dispid, o.params) != (m.dispid, m.params) for o in clashes):
                out.add(m.name)
            if m.dispid is not None and dispids.get(m.dispid, {m.name}) != {m.name}:
                out.add(m.name)
        return out

    def run(self, check_id: str, implementation: Implementation) -> None:
        """Run one check (KeyError for an unknown id)."""
        self.checks[check_id](implementation)

    # -- building

    def _add_coclass(self, coclass: CoclassSpec) -> None:
        c = coclass.name
        self.checks[f"factory:{c}"] = lambda impl: self._factory(impl, coclass)
        self.checks[f"qi_declared:{c}"] = lambda impl: self._qi_declared(impl, coclass)
        self.checks[f"qi_undeclared:{c}"] = lambda impl: self._qi_undeclared(impl, coclass)
        for name in coclass.interfaces:
            interface = self.spec.interfaces.get(name)
            if interface is None or name in RUNTIME_INTERFACES:
                continue  # the runtime implements these itself (checked through QI only)
            key = f"{c}.{name}"
            self.checks[f"members:{key}"] = self._bind(self._members, coclass, interface)
            shadowed = self.shadowed(coclass, interface)
            for prop in interface.properties():
                if prop in shadowed:
                    continue
                self.checks[f"property_access:{key}.{prop}"] = self._bind_prop(
                    coclass, interface, prop
                )
            self.checks[f"return_types:{key}"] = self._bind(self._return_types, coclass, interface)
            if interface.dual:
                self.checks[f"dispids:{key}"] = self._bind(self._dispids, coclass, interface)
                self.checks[f"invoke:{key}"] = self._bind(self._invoke, coclass, interface)
        for name in coclass.sources:
            source = self.spec.sources.get(name)
            if source is not None:
                self.checks[f"connection_point:{c}.{name}"] = self._bind_source(coclass, source)

    def _bind(
        self,
        fn: Callable[[Implementation, CoclassSpec, InterfaceSpec], None],
        coclass: CoclassSpec,
        interface: InterfaceSpec,
    ) -> StructuralCheck:
        return lambda impl: fn(impl, coclass, interface)

    def _bind_prop(
        self, coclass: CoclassSpec, interface: InterfaceSpec, prop: str
    ) -> StructuralCheck:
        return lambda impl: self._property_access(impl, coclass, interface, prop)

    def _bind_source(self, coclass: CoclassSpec, source: SourceSpec) -> StructuralCheck:
        return lambda impl: self._connection_point(impl, coclass, source)

    # -- helpers

    def _make(self, impl: Implementation, coclass: CoclassSpec, check: str) -> object:
        factory = impl.factories.get(coclass.name)
        if factory is None:
            raise ConformanceFailure(
                check, f"the implementation has no factory for coclass {coclass.name}"
            )
        try:
            return factory()
        except Exception as exc:
            raise ConformanceFailure(
                check, f"the factory of coclass {coclass.name} failed: {type(exc).__name__}: {exc}"
            ) from None

    def _view(
        self, impl: Implementation, coclass: CoclassSpec, interface: InterfaceSpec, check: str
    ) -> object:
        obj = self._make(impl, coclass, check)
        try:
            return query_interface(obj, interface.iid)
        except Exception as exc:
            raise ConformanceFailure(
                check,
                f"{coclass.name} declares {interface.name}: QueryInterface for it must succeed "
                f"({_error_text(self.spec, exc)})",
            ) from None

    # -- the checks

    def _factory(self, impl: Implementation, coclass: CoclassSpec) -> None:
        check = f"factory:{coclass.name}"
        obj = self._make(impl, coclass, check)
        if obj is None:
            raise ConformanceFailure(check, f"the factory of {coclass.name} returned None")
        clsid = getattr(obj, "CLSID", None)
        if clsid is not None and uuid.UUID(str(clsid)) != coclass.clsid:
            raise ConformanceFailure(
                check, f"{coclass.name} objects must carry CLSID {coclass.clsid}, not {clsid}"
            )

    def _qi_declared(self, impl: Implementation, coclass: CoclassSpec) -> None:
        check = f"qi_declared:{coclass.name}"
        obj = self._make(impl, coclass, check)
        wanted: list[tuple[str, uuid.UUID]] = [("IUnknown", IID_IUnknown)]
        for name in coclass.interfaces:
            interface = self.spec.interfaces.get(name)
            if interface is None:
                continue
            wanted.append((name, interface.iid))
            if interface.dispatch:
                wanted.append(("IDispatch", IID_IDispatch))
        if coclass.sources:
            wanted.append(("IConnectionPointContainer", IID_IConnectionPointContainer))
        for name, iid in wanted:
            try:
                view = query_interface(obj, iid)
            except Exception as exc:
                raise ConformanceFailure(
                    check,
                    f"{coclass.name} declares {name}: QueryInterface({name}) must succeed "
                    f"({_error_text(self.spec, exc)})",
                ) from None
            if view is None:
                raise ConformanceFailure(
                    check, f"{coclass.name}: QueryInterface({name}) returned None"
                )

    def _qi_undeclared(self, impl: Implementation, coclass: CoclassSpec) -> None:
        check = f"qi_undeclared:{coclass.name}"
        obj = self._make(impl, coclass, check)
        declared = set(coclass.interfaces)
        for name in coclass.interfaces:
            if name in self.spec.interfaces:
                declared.update(self.spec.interfaces[name].bases)
        declared.update(("IUnknown", "IDispatch"))
        others = [(i.name, i.iid) for i in self.spec.interfaces.values() if i.name not in declared]
        others += [(s.name, s.iid) for s in self.spec.sources.values()]
        others.append(("an unknown IID", IID_NOBODY))
        for name, iid in others:
            try:
                query_interface(obj, iid)
            except Exception as exc:
                hr = hresult_of(exc)
                if hr == STANDARD_HRESULTS["E_NOINTERFACE"]:
                    continue
                raise ConformanceFailure(
                    check,
                    f"{coclass.name} does not declare {name}: QueryInterface must fail with "
                    f"E_NOINTERFACE, got {_error_text(self.spec, exc)}",
                ) from None
            what = "is an event (source) interface" if name in self.spec.sources else ""
            raise ConformanceFailure(
                check,
                f"{coclass.name} does not implement {name}{' (it ' + what + ')' if what else ''}: "
                "QueryInterface for it must fail with E_NOINTERFACE, but it succeeded",
            )

    def _members(self, impl: Implementation, coclass: CoclassSpec, iface: InterfaceSpec) -> None:
        check = f"members:{coclass.name}.{iface.name}"
        view = self._view(impl, coclass, iface, check)
        shadowed = self.shadowed(coclass, iface)
        for method in iface.methods():
            fn = getattr(view, method.python_name, None)
            if not callable(fn):
                raise ConformanceFailure(check, f"{iface.name}.{method.name} is missing")
            if method.name in shadowed:
                continue  # one Python attribute serves an earlier interface's member too
            declared = [p.python_name for p in method.params if p.is_input and not p.retval]
            try:
                signature = inspect.signature(fn)
            except (TypeError, ValueError):
                continue
            actual = [
                p.name
                for p in signature.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            if actual != declared:
                raise ConformanceFailure(
                    check,
                    f"{iface.name}.{method.name} must take ({', '.join(declared)}) as the IDL "
                    f"declares, it takes ({', '.join(actual)})",
                )
        for prop in [*iface.properties(), *iface.parameterised()]:
            attr = iface.python_name(prop)
            if not hasattr(type(view), attr) and not hasattr(view, attr):
                raise ConformanceFailure(check, f"{iface.name}.{prop} (property) is missing")

    def _property_access(
        self, impl: Implementation, coclass: CoclassSpec, iface: InterfaceSpec, prop: str
    ) -> None:
        check = f"property_access:{coclass.name}.{iface.name}.{prop}"
        view = self._view(impl, coclass, iface, check)
        get, put = iface.properties()[prop]
        attr = iface.python_name(prop)
        current: object = None
        if get is not None:
            try:
                current = getattr(view, attr)
            except AttributeError:
                raise ConformanceFailure(
                    check, f"{iface.name}.{prop} has a propget: reading it must work"
                ) from None
            except Exception:
                current = None  # a documented COM error (e.g. E_NOTIMPL) still means "readable"
        try:
            setattr(view, attr, current)
        except AttributeError:
            if put is not None:
                raise ConformanceFailure(
                    check, f"{iface.name}.{prop} has a propput: setting it must be possible"
                ) from None
            return
        except Exception:
            if put is not None:
                return  # the implementation validated the value: the setter exists
            return  # refused with a COM error: read-only as required
        if put is None:
            raise ConformanceFailure(
                check, f"{iface.name}.{prop} is read-only: setting it must fail"
            )

    def _return_types(
        self, impl: Implementation, coclass: CoclassSpec, iface: InterfaceSpec
    ) -> None:
        check = f"return_types:{coclass.name}.{iface.name}"
        view = self._view(impl, coclass, iface, check)
        shadowed = self.shadowed(coclass, iface)
        for prop, (get, _put) in iface.properties().items():
            if get is None or prop in shadowed:
                continue
            try:
                value = getattr(view, iface.python_name(prop))
            except Exception:
                continue  # a COM error is checked by scenarios, not here
            problem = self._type_problem(get.return_type, value)
            if problem:
                raise ConformanceFailure(check, f"{iface.name}.{prop} returns {problem}")

    def _type_problem(self, idl_type: str, value: object) -> str:
        if idl_type in self.spec.enums:
            members = self.spec.enums[idl_type]
            cls = self.spec.enum_classes.get(idl_type)
            if cls is not None and not isinstance(value, cls):
                return f"{_describe(value)}, not a member of the enum {idl_type}"
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{_describe(value)}, not a {idl_type} value"
            if value not in members.values():
                return f"{value}, which is not a value of {idl_type} ({', '.join(members)})"
            return ""
        types = _TYPE_CHECKS.get(idl_type)
        if types is None:
            return ""
        if idl_type == "VARIANT_BOOL":
            ok = isinstance(value, bool)
        elif types == (int,):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, types)
        if not ok:
            return f"{_describe(value)} ({type(value).__name__}); {idl_type} must map to " + (
                "bool" if idl_type == "VARIANT_BOOL" else types[0].__name__
            )
        return ""

    def _dispids(self, impl: Implementation, coclass: CoclassSpec, iface: InterfaceSpec) -> None:
        check = f"dispids:{coclass.name}.{iface.name}"
        view = self._view(impl, coclass, iface, check)
        get_ids = getattr(view, "GetIDsOfNames", None)
        if not callable(get_ids):
            raise ConformanceFailure(check, f"{iface.name} is dual: GetIDsOfNames must exist")
        seen = set(self.shadowed(coclass, iface))
        for member in iface.members:
            if member.dispid is None or member.name in seen:
                continue
            seen.add(member.name)
            try:
                ids = list(get_ids(member.name))
            except Exception as exc:
                raise ConformanceFailure(
                    check,
                    f"{iface.name}.{member.name}: GetIDsOfNames must know it "
                    f"({_error_text(self.spec, exc)})",
                ) from None
            if not ids or ids[0] != member.dispid:
                raise ConformanceFailure(
                    check,
                    f"{iface.name}.{member.name} must have DISPID {member.dispid} as the IDL "
                    f"declares, GetIDsOfNames gives {ids[0] if ids else 'nothing'}",
                )
        try:
            get_ids("NoSuchMemberXyz")
        except Exception as exc:
            if hresult_of(exc) != STANDARD_HRESULTS["DISP_E_UNKNOWNNAME"]:
                raise ConformanceFailure(
                    check,
                    f"{iface.name}: GetIDsOfNames of an unknown name must fail with "
                    f"DISP_E_UNKNOWNNAME, got {_error_text(self.spec, exc)}",
                ) from None
        else:
            raise ConformanceFailure(
                check, f"{iface.name}: GetIDsOfNames of an unknown name must fail"
            )

    def _invoke(self, impl: Implementation, coclass: CoclassSpec, iface: InterfaceSpec) -> None:
        check = f"invoke:{coclass.name}.{iface.name}"
        view = self._view(impl, coclass, iface, check)
        invoke = getattr(view, "Invoke", None)
        if not callable(invoke):
            raise ConformanceFailure(check, f"{iface.name} is dual: Invoke must exist")
        shadowed = self.shadowed(coclass, iface)
        for prop, (get, _put) in iface.properties().items():
            if get is None or get.dispid is None or prop in shadowed:
                continue
            attr = iface.python_name(prop)
            direct = _attempt(lambda attr=attr: getattr(view, attr))  # type: ignore[misc]
            through = _attempt(lambda get=get: invoke(get.dispid, DISPATCH_PROPERTYGET, ()))  # type: ignore[misc]
            if direct != through:
                raise ConformanceFailure(
                    check,
                    f"{iface.name}.{prop}: Invoke(DISPID {get.dispid}, PROPERTYGET) must match "
                    f"reading the property: {_outcome_text(self.spec, through)} vs "
                    f"{_outcome_text(self.spec, direct)}",
                )
        unused = max((m.dispid or 0 for m in iface.members), default=0) + 1000
        outcome = _attempt(lambda: invoke(unused, DISPATCH_METHOD, ()))
        if outcome != ("error", STANDARD_HRESULTS["DISP_E_MEMBERNOTFOUND"]):
            raise ConformanceFailure(
                check,
                f"{iface.name}: Invoke of an unknown DISPID ({unused}) must fail with "
                f"DISP_E_MEMBERNOTFOUND, got {_outcome_text(self.spec, outcome)}",
            )

    def _connection_point(
        self, impl: Implementation, coclass: CoclassSpec, source: SourceSpec
    ) -> None:
        check = f"connection_point:{coclass.name}.{source.name}"
        obj = self._make(impl, coclass, check)
        who = f"{coclass.name} fires {source.name}"
        try:
            cp = find_connection_point(obj, source.iid)
        except Exception as exc:
            raise ConformanceFailure(
                check, f"{who}: FindConnectionPoint must succeed ({_error_text(self.spec, exc)})"
            ) from None
        outcome = _attempt(lambda: find_connection_point(obj, IID_NOBODY))
        if outcome != ("error", STANDARD_HRESULTS["CONNECT_E_NOCONNECTION"]):
            raise ConformanceFailure(
                check,
                f"{coclass.name}: FindConnectionPoint of an unknown IID must fail with "
                f"CONNECT_E_NOCONNECTION, got {_outcome_text(self.spec, outcome)}",
            )
        sink = _new_sink(self.spec, source, {})
        try:
            cookie = cp.Advise(sink)
        except Exception as exc:
            raise ConformanceFailure(
                check,
                f"{who}: Advise of a {source.name} sink must succeed "
                f"({_error_text(self.spec, exc)})",
            ) from None
        if not isinstance(cookie, int) or isinstance(cookie, bool) or cookie == 0:
            raise ConformanceFailure(
                check, f"{who}: Advise must return a non-zero integer cookie, got {cookie!r}"
            )
        wrong = _WrongSink()
        outcome = _attempt(lambda: cp.Advise(wrong))
        if outcome != ("error", STANDARD_HRESULTS["CONNECT_E_CANNOTCONNECT"]):
            raise ConformanceFailure(
                check,
                f"{who}: Advise of a sink that does not implement {source.name} must fail with "
                f"CONNECT_E_CANNOTCONNECT, got {_outcome_text(self.spec, outcome)}",
            )
        outcome = _attempt(lambda: cp.Unadvise(cookie))
        if outcome[0] != "ok":
            raise ConformanceFailure(
                check,
                f"{who}: Unadvise of the cookie Advise returned must succeed, got "
                f"{_outcome_text(self.spec, outcome)}",
            )
        outcome = _attempt(lambda: cp.Unadvise(cookie))
        if outcome != ("error", STANDARD_HRESULTS["CONNECT_E_NOCONNECTION"]):
            raise ConformanceFailure(
                check,
                f"{who}: a second Unadvise of the same cookie must fail with "
                f"CONNECT_E_NOCONNECTION, got {_outcome_text(self.spec, outcome)}",
            )


class _WrongSink:
    """A sink of no source interface (answers only IUnknown)."""

    def QueryInterface(self, iid: object) -> object:
        if getattr(iid, "IID", iid) == IID_IUnknown:
            return self
        raise _SinkNoInterface()


def _attempt(fn: Callable[[], object]) -> tuple[str, object]:
    try:
        return ("ok", fn())
    except Exception as exc:
        hr = hresult_of(exc)
        return ("error", hr if hr is not None else type(exc).__name__)


def _outcome_text(spec: Spec, outcome: tuple[str, object]) -> str:
    kind, value = outcome
    if kind == "ok":
        return f"success ({_describe(value)})"
    if isinstance(value, int):
        return spec.hresult_name(value)
    return f"a {value} exception"


def _error_text(spec: Spec, exc: BaseException) -> str:
    hr = hresult_of(exc)
    return spec.hresult_name(hr) if hr is not None else f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- the suite object


class Suite:
    """What a generated test receives: the spec, the scenarios and a fresh implementation."""

    def __init__(
        self,
        spec: Spec,
        implementation: Implementation,
        scenarios: sc.ScenarioFile | None = None,
    ) -> None:
        self.spec = spec
        self.implementation = implementation
        self.scenarios = scenarios
        self.structural = StructuralChecks(spec)

    def check(self, check_id: str) -> None:
        """Run structural check *check_id* (see :meth:`StructuralChecks.ids`)."""
        if check_id not in self.structural.checks:
            raise ConformanceFailure(
                check_id,
                f"no structural check {check_id!r}: the suite was generated by another idlgen "
                "version or from another IDL file; generate it again",
            )
        self.structural.run(check_id, self.implementation)

    def run_scenario(self, name: str) -> None:
        """Run behaviour scenario *name* of the scenario file."""
        if self.scenarios is None:
            raise ConformanceFailure(f"scenario:{name}", "this suite has no scenario file")
        if not any(s.name == name for s in self.scenarios.scenarios):
            raise ConformanceFailure(
                f"scenario:{name}",
                f"no scenario {name!r} in the scenario file: generate the suite again",
            )
        ScenarioRunner(self.spec, self.scenarios).run(name, self.implementation)


def load_scenario_file(path: str | Path, spec: Spec | None = None) -> sc.ScenarioFile:
    """Load and validate a scenario file; raise ``ValueError`` listing every problem."""
    loaded, problems = sc.load_scenarios(path)
    if loaded is not None and spec is not None:
        problems = [*problems, *sc.check_names(loaded, spec.names())]
    errors = [d for d in problems if d.is_error]
    if loaded is None or errors:
        raise ValueError("invalid scenario file:\n" + sc.format_problems(errors))
    return loaded


def load_scenario_text(text: str, source: str, spec: Spec) -> sc.ScenarioFile | None:
    """Parse the scenario *text* of a generated suite (None when empty).

    The scenario file's ``[constants]`` that the IDL does not define are added to *spec*.
    Raises ``ValueError`` listing every problem.
    """
    if not text.strip():
        return None
    loaded, problems = sc.parse_scenarios(text, source)
    if loaded is not None:
        problems = [*problems, *sc.check_names(loaded, spec.names())]
    errors = [d for d in problems if d.is_error]
    if loaded is None or errors:
        raise ValueError("invalid scenario file:\n" + sc.format_problems(errors))
    for name, value in loaded.constants.items():
        spec.constants.setdefault(name, value)
    return loaded


def run_all(
    spec: Spec, implementation_factory: Callable[[], Implementation], scenarios: sc.ScenarioFile
) -> dict[str, ConformanceFailure | None]:
    """Run every structural check and scenario, each on a fresh implementation.

    Returns ``{check id: failure or None}``: ids are ``kind:...`` for structural checks and
    ``scenario:name`` for scenarios.  Exceptions other than conformance failures count as
    failures of the check that raised them.
    """
    results: dict[str, ConformanceFailure | None] = {}
    checks = StructuralChecks(spec)
    runner = ScenarioRunner(spec, scenarios)
    jobs: list[tuple[str, Callable[[Implementation], None]]] = [
        (cid, checks.checks[cid]) for cid in checks.ids()
    ]
    jobs += [(f"scenario:{s.name}", _scenario_job(runner, s.name)) for s in scenarios.scenarios]
    for cid, job in jobs:
        try:
            job(implementation_factory())
        except ConformanceFailure as failure:
            results[cid] = ConformanceFailure(cid, failure.message)
        except Exception as exc:
            results[cid] = ConformanceFailure(cid, f"{type(exc).__name__}: {exc}")
        else:
            results[cid] = None
    return results


def _scenario_job(runner: ScenarioRunner, name: str) -> Callable[[Implementation], None]:
    return lambda impl: runner.run(name, impl)


# --------------------------------------------------------------------------- expected failures


def read_expected_failures(path: str | Path) -> set[str]:
    """Test names listed in an expected-failures file (one per line, ``#`` starts a comment)."""
    names: set[str] = set()
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.add(line)
    return names


_CHECK_WORDS = {
    "factory": "factory_gives_object",
    "qi_declared": "QueryInterface_declared_interfaces",
    "qi_undeclared": "QueryInterface_refuses_undeclared",
    "members": "members_and_parameters",
    "return_types": "return_types",
    "dispids": "GetIDsOfNames_gives_IDL_DISPIDs",
    "invoke": "Invoke_matches_direct_call",
    "connection_point": "connection_point",
}


def check_test_name(check_id: str, spec: Spec | None = None) -> str:
    """The generated test function's name for a structural check id or ``scenario:name``.

    ``property_access:MsgrSession.IMsgrSession.State`` becomes
    ``test_MsgrSession_IMsgrSession_State_read_only`` (``_read_write`` when a propput exists);
    ``scenario:invite_errors`` becomes ``test_scenario_invite_errors``.
    """
    kind, _, subject = check_id.partition(":")
    if kind == "scenario":
        words = f"scenario_{subject}"
    else:
        suffix = _CHECK_WORDS.get(kind, kind)
        if kind == "property_access":
            suffix = "read_write" if spec is not None and _has_put(spec, subject) else "read_only"
        words = f"{subject}_{suffix}"
    return "test_" + re.sub(r"[^0-9A-Za-z_]+", "_", words).strip("_")


def _has_put(spec: Spec, subject: str) -> bool:
    parts = subject.split(".")
    interface = spec.interfaces.get(parts[1]) if len(parts) == 3 else None
    if interface is None:
        return False
    return interface.properties().get(parts[2], (None, None))[1] is not None


def describe_check(check_id: str, spec: Spec) -> str:
    """The rule a structural check enforces, in words (the generated test's docstring)."""
    kind, _, subject = check_id.partition(":")
    parts = subject.split(".")
    coclass = parts[0]
    if kind == "factory":
        return f"The implementation's factory for coclass {coclass} gives an object of it."
    if kind == "qi_declared":
        return (
            f"QueryInterface on a {coclass} succeeds for IUnknown and every interface it "
            "declares (IDispatch and IConnectionPointContainer where they apply)."
        )
    if kind == "qi_undeclared":
        return (
            f"QueryInterface on a {coclass} fails with E_NOINTERFACE for the IDL's other "
            "interfaces, its event interfaces and an unknown IID."
        )
    interface = ".".join(parts[1:2])
    if kind == "members":
        return (
            f"Every method of {interface} exists on a {coclass} with the declared parameters, "
            "and every property exists."
        )
    if kind == "property_access":
        prop = f"{interface}.{parts[2]}"
        if _has_put(spec, subject):
            return f"{prop} is readable and writable (the IDL declares propget and propput)."
        return f"{prop} is read-only: reading it works, setting it must fail."
    if kind == "return_types":
        return (
            f"The properties of {interface} return the declared Python types "
            "(enum members for enums, bool for VARIANT_BOOL, int, str, ...)."
        )
    if kind == "dispids":
        return f"{interface} is dual: GetIDsOfNames gives the IDL's DISPIDs for every member."
    if kind == "invoke":
        return f"{interface} is dual: Invoke by DISPID gives what the direct call gives."
    if kind == "connection_point":
        source = ".".join(parts[1:2])
        return (
            f"{coclass} fires {source}: FindConnectionPoint works, Advise returns a cookie, a "
            "sink of another interface is refused with CONNECT_E_CANNOTCONNECT, a second "
            "Unadvise fails with CONNECT_E_NOCONNECTION."
        )
    return check_id


# --------------------------------------------------------------------------- auto implementation

#: ``--impl=auto``: a trivial implementation made from the generated stubs themselves.
AUTO_IMPL = "auto"

_DEFAULTS: dict[str, object] = {
    "BSTR": "",
    "VARIANT_BOOL": False,
    "float": 0.0,
    "double": 0.0,
    "DATE": 0.0,
}


@dataclass
class AutoImplementation:
    """What :func:`auto_implementation` returns (factories only; no harness)."""

    factories: Mapping[str, Callable[[], object]]
    harness: object = None


def _default_value(spec: Spec, idl_type: str) -> object:
    if idl_type in spec.enums:
        cls = spec.enum_classes.get(idl_type)
        members = list(cls) if isinstance(cls, type) and issubclass(cls, Enum) else []
        if members:
            return members[0]
        values = list(spec.enums[idl_type].values())
        return values[0] if values else 0
    if idl_type in _DEFAULTS:
        return _DEFAULTS[idl_type]
    if idl_type in _TYPE_CHECKS:
        return 0
    return None


def auto_implementation(spec: Spec, stubs: str) -> AutoImplementation:
    """An implementation of every coclass of *spec* built from the generated stubs *stubs*.

    Each coclass class of the stubs is subclassed with every abstract member filled in:
    properties return a default of their declared type (the first enum member, "", 0, False)
    and keep what is written to them; methods take the declared parameters and return None.
    It exercises the stubs and the runtime against the structural checks, with no code of
    one's own (``--impl=auto``).
    """
    module = importlib.import_module(stubs)
    _stub_classes(spec, stubs)
    factories: dict[str, Callable[[], object]] = {}
    for coclass in spec.coclasses.values():
        base = getattr(module, coclass.name, None)
        if not isinstance(base, type):
            continue
        returns: dict[str, str] = {}
        for name in coclass.interfaces:
            interface = spec.interfaces.get(name)
            for member in interface.members if interface is not None else ():
                if member.kind == "propget":
                    returns.setdefault(member.python_name, member.return_type)
        try:
            factories[coclass.name] = _auto_class(spec, base, returns)
        except (TypeError, ValueError):
            continue  # a class the stubs could not make implementable: its factory is missing
    return AutoImplementation(factories)


def _auto_class(spec: Spec, base: type, returns: Mapping[str, str]) -> type:
    namespace: dict[str, object] = {}
    for name in sorted(getattr(base, "__abstractmethods__", ())):
        attr = inspect.getattr_static(base, name)
        if isinstance(attr, property):
            default = _default_value(spec, returns.get(name, ""))
            namespace[name] = _auto_property(name, default, writable=attr.fset is not None)
        elif callable(attr):
            namespace[name] = _auto_method(attr)
    return type(f"Auto{base.__name__}", (base,), namespace)


def _auto_property(name: str, default: object, *, writable: bool) -> property:
    def get(self: object) -> object:
        return self.__dict__.get(f"_auto_{name}", default)

    def put(self: object, value: object) -> None:
        self.__dict__[f"_auto_{name}"] = value

    return property(get, put if writable else None)


def _auto_method(abstract: Callable[..., object]) -> Callable[..., object]:
    def method(self: object, *args: object, **kwargs: object) -> object:
        return None

    method.__name__ = getattr(abstract, "__name__", "method")
    method.__signature__ = inspect.signature(abstract)  # type: ignore[attr-defined]
    return method


# --------------------------------------------------------------------------- the suite fixture

IMPL_ENV = "IDLGEN_IMPL"


def _stub_classes(spec: Spec, package: str) -> None:
    """Fill ``spec.enum_classes``/``sink_bases`` from the stubs *package*, if it imports."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        return
    for name in spec.enums:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            spec.enum_classes[name] = cls
    for name in spec.sources:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            spec.sink_bases[name] = cls


def new_suite(config: Any, spec: Spec, scenarios: sc.ScenarioFile | None, stubs: str = "") -> Suite:
    """The object a generated test works with: a fresh implementation from ``--impl``.

    The implementation module is imported once per run; ``new_implementation()`` is called for
    every test, so tests never share state.  *stubs* names the generated stubs package: when it
    imports, return types are checked against its enum classes.
    """
    cache: dict[str, Any] = config.__dict__.setdefault("_idlgen_conformance", {})
    if "factory" not in cache:
        module_name = config.getoption("--impl", default=None) or os.environ.get(IMPL_ENV)
        if not module_name:
            raise pytest.UsageError(
                "no implementation to check: pass --impl=package.module (a module with "
                f"new_implementation()), or set {IMPL_ENV}"
            )
        if module_name == AUTO_IMPL:
            auto = auto_implementation(spec, stubs)
            cache["factory"] = lambda: auto
        else:
            cache["factory"] = load_implementation(module_name)
    if stubs and not cache.get("stubs"):
        cache["stubs"] = True
        _stub_classes(spec, stubs)
    return Suite(spec, cache["factory"](), scenarios)


# --------------------------------------------------------------------------- pytest plugin
# The generated conftest imports these hooks from here.


def pytest_addoption(parser: Any) -> None:
    """``--impl`` and ``--expected-failures``."""
    group = parser.getgroup("idlgen conformance")
    group.addoption(
        "--impl",
        action="store",
        default=None,
        help="module (package.module) whose new_implementation() gives the implementation "
        f"(default: ${IMPL_ENV})",
    )
    group.addoption(
        "--expected-failures",
        action="store",
        default=None,
        help="file listing tests known to fail (reported as xfail; passing ones fail the run)",
    )


def pytest_configure(config: Any) -> None:
    """Read the expected-failures file once; register the ``adopted`` marker."""
    config.addinivalue_line(
        "markers", "adopted: the scenario checks a rule the documentation leaves open"
    )
    module_name = config.getoption("--impl", default=None)
    if module_name and module_name != AUTO_IMPL:
        # fail once, before collection, rather than in every test
        config.__dict__.setdefault("_idlgen_conformance", {})["factory"] = load_implementation(
            module_name
        )
    path = config.getoption("--expected-failures", default=None)
    expected: set[str] = set()
    if path:
        try:
            expected = read_expected_failures(path)
        except OSError as exc:
            raise pytest.UsageError(f"--expected-failures: cannot read {path}: {exc}") from None
    config.__dict__["_idlgen_expected_failures"] = expected


def _expected(item: Any) -> bool:
    names: set[str] = item.config.__dict__.get("_idlgen_expected_failures", set())
    return item.name in names or item.nodeid in names or item.originalname in names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Word conformance failures plainly; apply the expected-failures list."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, ConformanceFailure):
            report.longrepr = f"{item.name}: {exc.message}"
    if not _expected(item):
        return
    if report.failed:
        report.outcome = "skipped"
        report.wasxfail = "listed in --expected-failures"
    elif report.passed:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.name} is listed in the expected-failures file but passed: "
            "remove it from the list"
        )
