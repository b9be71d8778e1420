"""The facts a conformance suite checks against: COM's own (IIDs, HRESULTs) and the IDL's
(:class:`Spec`, built from the JSON data a generated ``spec.py`` holds), and the failure
every check raises."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


# --------------------------------------------------------------------------- failures


class ConformanceFailure(AssertionError):
    """A conformance check failed; ``check`` is the id of the check, ``message`` says why."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


def describe_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
