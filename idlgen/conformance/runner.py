"""Running an implementation: loading it (``--impl``), recording the events it fires, COM's
operations on it, and the scenario runner that drives it step by step."""

from __future__ import annotations

import hashlib
import importlib
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pytest

from idlgen.conformance import scenarios as sc
from idlgen.conformance.spec import (
    DISPATCH_METHOD,
    STANDARD_HRESULTS,
    ConformanceFailure,
    EventSpec,
    IID_IConnectionPointContainer,
    IID_IDispatch,
    IID_IUnknown,
    SourceSpec,
    Spec,
    describe_value,
    hresult_of,
    signed32,
    unsigned32,
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


# --------------------------------------------------------------------------- recording sinks


@dataclass
class RecordedEvent:
    """One event a recording sink received: name and arguments (by-ref ones as passed in)."""

    name: str
    args: tuple[object, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(describe_value(a) for a in self.args)})"


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
        raise SinkNoInterface()

    def Invoke(
        self, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[object] = ()
    ) -> object:
        """Dispatch an event by DISPID (for runtimes that fire through ``Invoke``)."""
        for event in self.source.events:
            if event.dispid == dispid:
                return getattr(self, event.name)(*args)
        raise SinkNoInterface(0x80020003)

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


class SinkNoInterface(Exception):
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


def new_sink(
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
        return describe_value(_evaluate(expected, spec, scope))
    except Exception:
        return str(expected)


#: Longest argument list shown in a message about a call (longer ones end in "...").
_MAX_ARGUMENTS_TEXT = 100


def _call_text(label: str, written: Sequence[sc.Value], values: Sequence[object]) -> str:
    """``IGreeter.Greet('Ada', $s)``: a call as a failure message shows it.

    Variables and named constants are shown as the scenario writes them, other values as
    their Python repr; a long argument list is shortened.
    """
    shown = []
    for arg, value in zip(written, values, strict=True):
        if isinstance(arg, sc.Ref):
            shown.append(str(arg))
        elif isinstance(arg, sc.Const | sc.HResult):
            shown.append(str(arg.name))
        else:
            shown.append(describe_value(value))
    text = ", ".join(shown)
    if len(text) > _MAX_ARGUMENTS_TEXT:
        text = text[: _MAX_ARGUMENTS_TEXT - 3] + "..."
    return f"{label}({text})"


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
            what = _call_text(f"harness.{step.target}", step.args, args)
            self._outcome(step, scope, lambda: action(*args), what)
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
            self._outcome(step, scope, lambda: method(*args), _call_text(label, step.args, args))
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
                + (f" (returned {describe_value(result)})" if result is not None else "")
            )
        if step.has_expect and not _matches(step.expect, result, spec, scope):
            raise _StepFailed(
                f"{what} must give {_show(step.expect, spec, scope)}, got {describe_value(result)}"
            )
        if step.bind:
            scope.vars[step.bind] = result

    def _advise(self, step: sc.Step, obj: object, scope: _Scope) -> None:
        source = self.spec.sources[str(step.interface)]
        byref = {
            event: {param: _evaluate(v, self.spec, scope) for param, v in params.items()}
            for event, params in step.byref.items()
        }
        sink = new_sink(self.spec, source, byref)
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
