"""Proxies: generated interface classes whose members call through a native vtable.

A proxy class is built once per (interface description, generated class, calling
convention): it subclasses :class:`NativeProxy` and the generated abstract class, and
defines every member of the full vtable (properties for ``propget``/``propput``) as a
call through the object's vtable.  A proxy owns one reference to the object: it is
released by :meth:`NativeProxy.release`, at the end of a ``with`` block, or when the proxy
is garbage-collected — once.  Using a released proxy raises :class:`ReleasedProxyError`.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from idlgen.runtime.connection import EventSink
from idlgen.runtime.hresult import E_NOTIMPL, COMError
from idlgen.runtime.interfaces import ByRef, IDispatch, IUnknown, is_interface
from idlgen.runtime.metadata import MemberInfo, ParamInfo
from idlgen.runtime.native import _ffi
from idlgen.runtime.native import description as d
from idlgen.runtime.native.errors import NullPointerError, ReleasedProxyError
from idlgen.runtime.native.marshal import Plan, guid_of, python_names
from idlgen.runtime.native.registry import (
    BUILTIN_SCOPE,
    DescriptionError,
    by_iid,
    class_for,
    describe,
    scope_of,
)

__all__ = [
    "NativeProxy",
    "address_of",
    "borrowed",
    "is_released",
    "owned",
    "owned_for_iid",
    "pointer_of",
    "proxy_class",
    "wrap",
]

_lock = threading.RLock()


class NativeProxy:
    """Base of every proxy: the object's pointer, its vtable, and its one reference."""

    _idlgen_info_: ClassVar[d.Interface] = d.IUNKNOWN
    _idlgen_abi_: ClassVar[int] = 0
    _idlgen_iids_: ClassVar[frozenset[uuid.UUID]] = frozenset()
    _idlgen_slots_: ClassVar[int] = 3
    _idlgen_ptr_: int = 0
    _idlgen_fns_: list[int]

    def __init__(self, address: int) -> None:
        if not address:
            raise NullPointerError(f"null {self._idlgen_info_.name} pointer")
        count = self._idlgen_slots_
        vtbl = ctypes.c_void_p.from_address(address).value
        if not vtbl:
            raise NullPointerError(
                f"{self._idlgen_info_.name} object at {address:#x} has no vtable"
            )
        self._idlgen_fns_ = [f or 0 for f in (ctypes.c_void_p * count).from_address(vtbl)]
        self._idlgen_ptr_ = address

    def _idlgen_released_(self) -> ReleasedProxyError:
        return ReleasedProxyError(f"this {self._idlgen_info_.name} proxy was released")

    # ------------------------------------------------------------------ IUnknown

    def QueryInterface(self, iid: Any) -> Any:
        """This object as interface *iid* (an interface class, a ``uuid.UUID`` or a GUID
        string): a new proxy owning its reference; COMError(E_NOINTERFACE) when the
        object does not implement it."""
        return _call_unknown(self, 0, (iid,))

    def AddRef(self) -> int:
        """The native ``AddRef`` (returns the new count). Pair it with :meth:`Release`."""
        return int(_call_unknown(self, 1, ()))

    def Release(self) -> int:
        """The native ``Release`` (returns the new count). The proxy's own reference is
        released by :meth:`release`, not by this."""
        return int(_call_unknown(self, 2, ()))

    # ------------------------------------------------------------------ lifetime

    def release(self) -> int:
        """Release the proxy's reference (once; later calls return 0 and do nothing).

        Returns what the native ``Release`` returned. The proxy cannot be used afterwards.
        """
        address, self._idlgen_ptr_ = self._idlgen_ptr_, 0
        if not address:
            return 0
        return int(_unknown_plan(2, self._idlgen_abi_).invoke(address, self._idlgen_fns_[2], ()))

    def __enter__(self) -> Any:
        if not self._idlgen_ptr_:
            raise self._idlgen_released_()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        if self._idlgen_ptr_:
            with contextlib.suppress(Exception):  # a finalizer never raises
                self.release()

    def __repr__(self) -> str:
        state = f"at {self._idlgen_ptr_:#x}" if self._idlgen_ptr_ else "released"
        return f"<native {self._idlgen_info_.name} proxy {state}>"


def address_of(proxy: NativeProxy) -> int:
    """The interface pointer a proxy holds (ReleasedProxyError when released)."""
    if not isinstance(proxy, NativeProxy):
        raise TypeError(f"expected a native proxy, got {type(proxy).__name__}")
    if not proxy._idlgen_ptr_:
        raise proxy._idlgen_released_()
    return proxy._idlgen_ptr_


def is_released(proxy: NativeProxy) -> bool:
    """True when the proxy's reference was released."""
    return not proxy._idlgen_ptr_


# --------------------------------------------------------------------------- IUnknown calls

_unknown_plans: dict[tuple[int, int], Plan] = {}


def _unknown_plan(slot: int, abi: int) -> Plan:
    plan = _unknown_plans.get((slot, abi))
    if plan is None:
        m = d.IUNKNOWN.methods[slot]
        plan = Plan(f"IUnknown.{m.name}", m.returns, m.params, BUILTIN_SCOPE, abi, method=True)
        _unknown_plans[(slot, abi)] = plan
    return plan


def _call_unknown(proxy: NativeProxy, slot: int, args: tuple[Any, ...]) -> Any:
    address = proxy._idlgen_ptr_
    if not address:
        raise proxy._idlgen_released_()
    plan = _unknown_plan(slot, proxy._idlgen_abi_)
    if slot == 0:
        guid_of(args[0])  # a clear TypeError before anything else
    return plan.invoke(address, proxy._idlgen_fns_[slot], args)


def _slot_function(address: int, slot: int) -> int:
    vtbl = ctypes.c_void_p.from_address(address).value or 0
    return ctypes.c_void_p.from_address(vtbl + slot * ctypes.sizeof(ctypes.c_void_p)).value or 0


def add_ref(value: NativeProxy) -> None:
    """AddRef the object a proxy holds (for a reference handed to native code)."""
    address = address_of(value)
    _unknown_plan(1, value._idlgen_abi_).invoke(address, value._idlgen_fns_[1], ())


def release_pointer(address: int, abi: int) -> None:
    """Release a raw interface pointer (a reference native code handed over)."""
    if address:
        _unknown_plan(2, abi).invoke(address, _slot_function(address, 2), ())


def add_ref_pointer(address: int, abi: int) -> None:
    """AddRef a raw interface pointer."""
    if address:
        _unknown_plan(1, abi).invoke(address, _slot_function(address, 1), ())


# --------------------------------------------------------------------------- proxy classes

_classes: dict[tuple[int, type | None, int], type[NativeProxy]] = {}


def _chain(info: d.Interface) -> list[d.Interface]:
    chain: list[d.Interface] = []
    node: d.Interface | None = info
    while node is not None:
        chain.append(node)
        node = node.base
    return chain[::-1]


def _member_infos(level: d.Interface, cls: type | None) -> list[tuple[d.Method, MemberInfo]]:
    """Each described method of *level* with its ``MemberInfo`` (the generated class's when
    there is one: it carries the Python names of the stubs)."""
    generated: dict[tuple[str, str], list[MemberInfo]] = {}
    if cls is not None:
        for info in cls.__dict__.get("_members_", ()):
            generated.setdefault((info.name, info.kind), []).append(info)
    out: list[tuple[d.Method, MemberInfo]] = []
    for m in level.methods:
        found = generated.get((m.name, m.kind))
        if found:
            out.append((m, found.pop(0)))
            continue
        params = tuple(
            ParamInfo(p.name, p.direction, p.retval, p.optional, p.default, p.type)
            for p in m.params
        )
        name = python_names([m.name])[0]
        out.append((m, MemberInfo(m.name, m.kind, m.dispid, params, python_name=name)))
    if any(info.kind != "method" for _, info in out):
        out = [(m, _indexed_name(info, out)) for m, info in out]
    return out


def _indexed_name(info: MemberInfo, members: list[tuple[d.Method, MemberInfo]]) -> MemberInfo:
    """A described accessor of an indexed property is a ``set_X``/``setref_X`` method."""
    if info.kind in ("propput", "propputref") and info.is_indexed and info.python_name == info.name:
        prefix = "set_" if info.kind == "propput" else "setref_"
        return MemberInfo(info.name, info.kind, info.dispid, info.params, prefix + info.name)
    return info


class _Slots:
    """The lazily built plans of one proxy class: the first call of a member builds its
    plan and puts the plan's own function on the class in place of the stub."""

    def __init__(self, info: d.Interface, abi: int) -> None:
        self.scope = scope_of(info)
        self.abi = abi
        self.functions: dict[int, Callable[..., Any]] = {}
        self.problems: dict[int, Exception] = {}
        self.cls: type | None = None

    def function(self, level: d.Interface, m: d.Method) -> Callable[..., Any]:
        found = self.functions.get(m.slot)
        if found is not None:
            return found
        problem = self.problems.get(m.slot)
        if problem is not None:
            raise problem
        scope = scope_of(level)
        try:
            plan = Plan(
                f"{level.name}.{m.name}",
                m.returns,
                m.params,
                scope if scope is not BUILTIN_SCOPE else self.scope,
                self.abi,
                method=True,
            )
        except (DescriptionError, TypeError, ValueError) as exc:
            error = DescriptionError(f"{level.name}.{m.name} cannot be called: {exc}")
            self.problems[m.slot] = error
            raise error from None
        function = plan.method_function(m.slot)
        function.__name__ = m.name
        function.__qualname__ = f"{level.name}.{m.name}"
        self.functions[m.slot] = function
        return function

    def install(self, name: str, kind: str, function: Callable[..., Any]) -> None:
        """Put a built function on the class under *name* (for a property: its accessor)."""
        cls = self.cls
        if cls is None:
            return
        current = cls.__dict__.get(name)
        if isinstance(current, property):
            if kind == "propget":
                setattr(cls, name, property(function, current.fset))
            elif current.fset is not None and getattr(current.fset, "_idlgen_kind_", "") == kind:
                setattr(cls, name, property(current.fget, function))
        elif current is not None and getattr(current, "_idlgen_slot_", None) is not None:
            setattr(cls, name, function)


def _method(slots: _Slots, level: d.Interface, m: d.Method, name: str) -> Callable[..., Any]:
    def stub(self: NativeProxy, *args: Any, **kwargs: Any) -> Any:
        if not self._idlgen_ptr_:
            raise self._idlgen_released_()
        function = slots.function(level, m)
        slots.install(name, m.kind, function)
        return function(self, *args, **kwargs)

    stub.__name__ = m.name
    stub.__qualname__ = f"{level.name}.{m.name}"
    stub._idlgen_slot_ = m.slot  # type: ignore[attr-defined]
    stub._idlgen_kind_ = m.kind  # type: ignore[attr-defined]
    return stub


def proxy_class(info: d.Interface, abi: int, cls: type | None = None) -> type[NativeProxy]:
    """The proxy class for interface *info* in calling convention *abi* (``ffi_abi``),
    subclassing the generated class *cls* (found by :func:`class_for` when None)."""
    if cls is None:
        cls = class_for(info)
    key = (id(info), cls, abi)
    found = _classes.get(key)
    if found is not None:
        return found
    with _lock:
        found = _classes.get(key)
        if found is not None:
            return found
        base = cls if cls is not None else (IDispatch if info.dispatch else IUnknown)
        slots = _Slots(info, abi)
        namespace: dict[str, Any] = {}
        properties: dict[str, dict[str, Callable[..., Any]]] = {}
        for level in _chain(info):
            if level is d.IUNKNOWN or level is d.IDISPATCH:
                continue  # NativeProxy and the runtime's IDispatch provide these
            level_cls = cls if level is info else class_for(level)
            for m, member in _member_infos(level, level_cls):
                call = _method(slots, level, m, member.python_name)
                if m.kind == "method" or member.is_indexed:
                    namespace[member.python_name] = call
                    properties.pop(member.python_name, None)
                else:
                    accessors = properties.setdefault(member.python_name, {})
                    if m.kind == "propget" or m.kind not in accessors:
                        accessors[m.kind] = call
        for name, accessors in properties.items():
            getter = accessors.get("propget")
            setter = accessors.get("propput") or accessors.get("propputref")
            namespace[name] = property(getter, setter)
        if cls is not None and issubclass(cls, EventSink) and not info.dispatch:
            for level in _chain(info)[1:]:
                for m, member in _member_infos(level, class_for(level)):
                    if m.kind == "method":
                        namespace[member.python_name] = _event_call(
                            namespace[member.python_name], m
                        )
        if info.dispatch:
            from idlgen.runtime.native.dispatch import proxy_members

            for name, member in proxy_members(info, cls).items():
                namespace.setdefault(name, member)
        for name in getattr(base, "__abstractmethods__", ()):
            if name not in namespace:
                namespace[name] = _not_described(info.name, name)
        iids = frozenset(uuid.UUID(level.iid) for level in _chain(info))
        namespace.update(
            _idlgen_info_=info,
            _idlgen_abi_=abi,
            _idlgen_iids_=iids,
            _idlgen_slots_=len(info.vtable()),
            __module__=__name__,
            __qualname__=f"{info.name}Proxy",
            __doc__=f"Native proxy of {info.name}.",
        )
        made: type[NativeProxy] = type(f"{info.name}Proxy", (NativeProxy, base), namespace)
        slots.cls = made
        _classes[key] = made
        return made


def _event_call(call: Callable[..., Any], m: d.Method) -> Callable[..., Any]:
    """A vtable method called the way events are fired (generated sink classes): every
    parameter is an argument, ``[out]`` and ``[in, out]`` ones ByRef objects whose ``value``
    is set from what the callee gave back; the result is None."""
    params = [p for p in m.params if not p.retval]
    outs = [p for p in m.params if p.direction != "in"]

    def fire(self: Any, *args: Any) -> None:
        if len(args) != len(params):
            raise TypeError(f"{m.name}() takes {len(params)} argument(s), {len(args)} given")
        inputs: list[Any] = []
        refs: list[Any] = []
        for p, arg in zip(params, args, strict=True):
            if p.direction != "out":
                inputs.append(arg.value if isinstance(arg, ByRef) else arg)
            if p.direction != "in":
                refs.append(arg)
        result = call(self, *inputs)
        values = [result] if len(outs) == 1 else list(result or ())
        given = iter(refs)
        for p, value in zip(outs, values, strict=False):
            ref = next(given) if not p.retval else None
            if isinstance(ref, ByRef):
                ref.value = value

    fire.__name__ = m.name
    fire.__qualname__ = f"{m.name} (event)"
    return fire


def _not_described(interface: str, name: str) -> Any:
    def missing(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise COMError(E_NOTIMPL, f"{interface}.{name} is not in the vtable description")

    return missing


# --------------------------------------------------------------------------- making proxies


def _exposed(address: int) -> Any:
    """The Python object behind an interface pointer :func:`expose` made, or None."""
    from idlgen.runtime.native.exposure import exposed_object

    return exposed_object(address)


def owned(address: int | None, info: d.Interface, abi: int, cls: type | None = None) -> Any:
    """A proxy taking over the reference *address* holds (None for a null pointer); the
    Python object itself for a pointer :func:`expose` made (the reference is given back)."""
    if not address:
        return None
    obj = _exposed(address)
    if obj is not None:
        from idlgen.runtime.native.exposure import release_reference

        release_reference(address, abi)
        return obj
    return proxy_class(info, abi, cls)(address)


def borrowed(address: int | None, info: d.Interface, abi: int) -> Any:
    """A proxy with a reference of its own (AddRef'ed) to *address* (None for null); the
    Python object itself for a pointer :func:`expose` made."""
    if not address:
        return None
    obj = _exposed(address)
    if obj is not None:
        return obj
    add_ref_pointer(address, abi)
    return owned(address, info, abi)


def interface_for(iid: object) -> tuple[d.Interface, type | None]:
    """The description (and generated class) for an IID value: an interface class, or a
    GUID of a loaded description (IUnknown's when unknown)."""
    if isinstance(iid, type) and is_interface(iid):
        return describe(iid), iid
    found = by_iid(guid_of(iid))
    return (found, None) if found is not None else (d.IUNKNOWN, None)


def owned_for_iid(address: int | None, iid: object, abi: int) -> Any:
    """The proxy for an ``[out, iid_is(riid)] void**`` result: of the class asked for."""
    if not address:
        return None
    info, cls = interface_for(iid)
    return owned(address, info, abi, cls)


def pointer_of(value: object, expected: d.Interface | None) -> int:
    """The interface pointer to pass for *value*: a proxy of *expected* (or a derived
    interface; any interface for IUnknown/None).  TypeError otherwise."""
    if not isinstance(value, NativeProxy):
        wanted = expected.name if expected is not None else "an interface"
        raise TypeError(f"expected a {wanted} proxy, got {type(value).__name__}")
    address = value._idlgen_ptr_
    if not address:
        raise value._idlgen_released_()
    if (
        expected is not None
        and expected is not d.IUNKNOWN
        and uuid.UUID(expected.iid) not in value._idlgen_iids_
    ):
        raise TypeError(f"expected a {expected.name} proxy, got {value._idlgen_info_.name}")
    return address


def wrap(
    pointer: object, interface: type, *, abi: str = _ffi.ABI_DEFAULT, addref: bool = False
) -> Any:
    """A proxy of *interface* (a generated interface class) for a native pointer.

    *pointer* is an address (int) or a ctypes pointer; the proxy takes over the reference
    it holds unless *addref* (then it takes one of its own).  *abi* is the calling
    convention of the object's methods (``"default"`` or ``"ms"``).  The pointer is
    trusted to be an *interface*: use :meth:`NativeProxy.QueryInterface` to ask.  A pointer
    :func:`~idlgen.runtime.native.expose` made gives its Python object back.  Raises
    NullPointerError for a null pointer, DescriptionError when the class has no vtable
    description.
    """
    if isinstance(pointer, ctypes.c_void_p):
        address = pointer.value or 0
    elif isinstance(pointer, ctypes._Pointer):
        address = ctypes.cast(pointer, ctypes.c_void_p).value or 0
    elif isinstance(pointer, int) and not isinstance(pointer, bool):
        address = pointer
    elif pointer is None:
        address = 0
    else:
        raise TypeError(
            f"expected an address (int) or a ctypes pointer, got {type(pointer).__name__}"
        )
    if not isinstance(interface, type):
        raise TypeError(f"expected an interface class, got {type(interface).__name__}")
    info = describe(interface)
    code = _ffi.abi_code(abi)
    if not address:
        raise NullPointerError(f"null {info.name} pointer")
    if addref:
        add_ref_pointer(address, code)
    return owned(address, info, code, interface)
