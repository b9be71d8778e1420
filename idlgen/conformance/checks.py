"""The structural checks: what every coclass and interface of the IDL must do, one
check per fact (QueryInterface, members, properties, DISPIDs, connection points)."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable

from idlgen.conformance.runner import (
    Implementation,
    SinkNoInterface,
    find_connection_point,
    new_sink,
    query_interface,
)
from idlgen.conformance.spec import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    IID_NOBODY,
    STANDARD_HRESULTS,
    CoclassSpec,
    ConformanceFailure,
    IID_IConnectionPointContainer,
    IID_IDispatch,
    IID_IUnknown,
    InterfaceSpec,
    MemberSpec,
    SourceSpec,
    Spec,
    describe_value,
    hresult_of,
)

# --------------------------------------------------------------------------- structural checks


StructuralCheck = Callable[[Implementation], None]

TYPE_CHECKS: dict[str, tuple[type, ...]] = {
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
                return f"{describe_value(value)}, not a member of the enum {idl_type}"
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{describe_value(value)}, not a {idl_type} value"
            if value not in members.values():
                return f"{value}, which is not a value of {idl_type} ({', '.join(members)})"
            return ""
        types = TYPE_CHECKS.get(idl_type)
        if types is None:
            return ""
        if idl_type == "VARIANT_BOOL":
            ok = isinstance(value, bool)
        elif types == (int,):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, types)
        if not ok:
            return f"{describe_value(value)} ({type(value).__name__}); {idl_type} must map to " + (
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
        sink = new_sink(self.spec, source, {})
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
        raise SinkNoInterface()


def _attempt(fn: Callable[[], object]) -> tuple[str, object]:
    try:
        return ("ok", fn())
    except Exception as exc:
        hr = hresult_of(exc)
        return ("error", hr if hr is not None else type(exc).__name__)


def _outcome_text(spec: Spec, outcome: tuple[str, object]) -> str:
    kind, value = outcome
    if kind == "ok":
        return f"success ({describe_value(value)})"
    if isinstance(value, int):
        return spec.hresult_name(value)
    return f"a {value} exception"


def _error_text(spec: Spec, exc: BaseException) -> str:
    hr = hresult_of(exc)
    return spec.hresult_name(hr) if hr is not None else f"{type(exc).__name__}: {exc}"
