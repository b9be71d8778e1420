"""IDispatch of native objects, for Python clients.

Proxies of dual interfaces and dispinterfaces call the object's own ``GetIDsOfNames`` and
``Invoke`` (:func:`ids_of_names`, :func:`invoke`: Python values in VARIANTs, a
:class:`~idlgen.runtime.ByRef` by reference, ``DISPID_PROPERTYPUT`` for a put, EXCEPINFO made
a :class:`~idlgen.runtime.COMError`); the members of a dispinterface, which has no vtable
slots of its own, go through ``Invoke`` (:func:`proxy_members`); :class:`Dispatch` drives
any native IDispatch by name.  The other direction is :mod:`.dispatch_server`.
"""

from __future__ import annotations

import ctypes
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

from idlgen.runtime.hresult import (
    DISP_E_EXCEPTION,
    DISP_E_OVERFLOW,
    DISP_E_PARAMNOTFOUND,
    DISP_E_TYPEMISMATCH,
    DISP_E_UNKNOWNNAME,
    E_INVALIDARG,
    COMError,
)
from idlgen.runtime.interfaces import ByRef
from idlgen.runtime.metadata import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    DISPID_PROPERTYPUT,
    DISPID_UNKNOWN,
    MemberInfo,
)
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native import description as d
from idlgen.runtime.native.dispatch_server import DISPPARAMS, EXCEPINFO, IID_NULL, PUT_FLAGS
from idlgen.runtime.native.marshal import (
    Plan,
    fill_variant,
    variant_clear,
    variant_value,
)
from idlgen.runtime.native.registry import BUILTIN_SCOPE

__all__ = [
    "Dispatch",
    "get_type_info_count",
    "ids_of_names",
    "invoke",
    "proxy_members",
]


# --------------------------------------------------------------------------- the client


def _untyped(m: d.Method) -> d.Method:
    """An IDispatch method with every pointer parameter an address: the client builds the
    DISPPARAMS, VARIANTs and name arrays itself."""
    params = tuple(d.Param(p.name, "*void" if p.type.startswith("*") else p.type) for p in m.params)
    return d.Method(m.slot, m.name, m.returns, params)


_GET_IDS, _INVOKE = (_untyped(m) for m in d.IDISPATCH.methods[2:4])
_GET_TYPE_INFO_COUNT = _untyped(d.IDISPATCH.methods[0])
_plans: dict[tuple[int, int], Plan] = {}
_plans_lock = threading.Lock()


def _plan(m: d.Method, abi: int) -> Plan:
    key = (m.slot, abi)
    plan = _plans.get(key)
    if plan is None:
        with _plans_lock:
            plan = _plans.get(key)
            if plan is None:
                plan = Plan(
                    f"IDispatch.{m.name}", m.returns, m.params, BUILTIN_SCOPE, abi, method=True
                )
                _plans[key] = plan
    return plan


def _target(proxy: Any) -> tuple[int, int, int]:
    """(pointer, abi, vtable) of a proxy of an IDispatch-based interface."""
    address = proxy._idlgen_ptr_
    if not address:
        raise proxy._idlgen_released_()
    vtbl = ctypes.c_void_p.from_address(address).value or 0
    return address, proxy._idlgen_abi_, vtbl


def _slot(vtbl: int, slot: int) -> int:
    return ctypes.c_void_p.from_address(vtbl + slot * ctypes.sizeof(ctypes.c_void_p)).value or 0


def ids_of_names(proxy: Any, *names: str | Sequence[str]) -> list[int]:
    """``GetIDsOfNames`` of the native object: the member's DISPID, then its named
    parameters'.  COMError(DISP_E_UNKNOWNNAME) for an unknown name."""
    from idlgen.runtime.interfaces import _flatten_names

    flat = _flatten_names(names)
    if not flat:
        raise COMError(E_INVALIDARG, "GetIDsOfNames needs at least one name")
    address, abi, vtbl = _target(proxy)
    texts = [
        ctypes.create_string_buffer(n.encode("utf-16-le", "surrogatepass") + b"\0\0") for n in flat
    ]
    array = (ctypes.c_void_p * len(flat))(*(ctypes.addressof(t) for t in texts))
    ids = (ctypes.c_int32 * len(flat))()
    try:
        _plan(_GET_IDS, abi).invoke(
            address,
            _slot(vtbl, 5),
            (
                ctypes.addressof(IID_NULL),
                ctypes.addressof(array),
                len(flat),
                0,
                ctypes.addressof(ids),
            ),
        )
    except COMError as exc:
        if exc.hresult != DISP_E_UNKNOWNNAME:
            raise COMError(exc.hresult, f"{proxy._idlgen_info_.name}.GetIDsOfNames") from None
        unknown = [n for n, i in zip(flat, ids, strict=True) if i == DISPID_UNKNOWN] or flat
        raise COMError(
            exc.hresult, f"{proxy._idlgen_info_.name} has no member {unknown[0]!r}"
        ) from None
    return list(ids)


class _ByRefArgument:
    """A by-reference argument: the VARIANT holding its value, and the ByRef to update."""

    def __init__(self, ref: ByRef[Any], abi: int) -> None:
        self.ref = ref
        self.storage = ole.VARIANT()
        fill_variant(self.storage, ref.value, abi)
        self.vt = self.storage.vt

    def point(self, slot: ole.VARIANT) -> None:
        if self.vt in (ole.VT_EMPTY, ole.VT_NULL):
            slot.vt = ole.VT_BYREF | ole.VT_VARIANT
            slot.value.byref = ctypes.addressof(self.storage)
        elif self.vt == ole.VT_DECIMAL:
            slot.vt = ole.VT_BYREF | ole.VT_DECIMAL
            slot.value.byref = ctypes.addressof(self.storage)
        else:
            slot.vt = ole.VT_BYREF | self.vt
            slot.value.byref = ctypes.addressof(self.storage.value)

    def read_back(self, abi: int) -> None:
        self.ref.value = variant_value(self.storage, abi)

    def clear(self, abi: int) -> None:
        variant_clear(ctypes.addressof(self.storage), abi)


def invoke(proxy: Any, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[Any] = ()) -> Any:
    """``IDispatch::Invoke`` of the native object behind *proxy*.

    *args* are in declaration order (put in ``rgvarg`` reversed); for a property put the last
    one is the value (named ``DISPID_PROPERTYPUT``).  A :class:`~idlgen.runtime.ByRef` is passed
    by reference and its ``value`` updated; :data:`~idlgen.runtime.native.marshal.MISSING`
    leaves an optional argument out.  Returns the value of ``*pVarResult``.  A failure raises
    COMError: ``DISP_E_EXCEPTION`` as the ``scode`` of its EXCEPINFO with its description.
    """
    address, abi, vtbl = _target(proxy)
    if isinstance(args, str | bytes) or not isinstance(args, Sequence):
        raise TypeError(f"args must be a sequence, not {type(args).__name__}")
    count = len(args)
    variants = (ole.VARIANT * max(count, 1))()
    byrefs: list[_ByRefArgument] = []
    filled = 0
    try:
        for i, value in enumerate(args):
            slot = variants[count - 1 - i]
            if isinstance(value, ByRef):
                argument = _ByRefArgument(value, abi)
                byrefs.append(argument)
                argument.point(slot)
            else:
                try:
                    fill_variant(slot, value, abi)
                except (TypeError, ValueError, OverflowError) as exc:
                    raise type(exc)(f"Invoke(DISPID {dispid}) argument {i}: {exc}") from None
            filled += 1
        named = (ctypes.c_int32 * 1)(DISPID_PROPERTYPUT)
        put = bool(flags & PUT_FLAGS) and count > 0
        params = DISPPARAMS(
            ctypes.addressof(variants) if count else None,
            ctypes.addressof(named) if put else None,
            count,
            1 if put else 0,
        )
        result = ole.VARIANT()
        excepinfo = EXCEPINFO()
        argerr = ctypes.c_uint32(0)
        try:
            _plan(_INVOKE, abi).invoke(
                address,
                _slot(vtbl, 6),
                (
                    dispid,
                    ctypes.addressof(IID_NULL),
                    0,
                    flags,
                    ctypes.addressof(params),
                    ctypes.addressof(result),
                    ctypes.addressof(excepinfo),
                    ctypes.addressof(argerr),
                ),
            )
        except COMError as exc:
            raise _invoke_error(proxy, dispid, exc.hresult, excepinfo, argerr.value, abi) from None
        try:
            value = variant_value(result, abi)
        finally:
            variant_clear(ctypes.addressof(result), abi)
        for argument in byrefs:
            argument.read_back(abi)
        return value
    finally:
        for i in range(filled):
            slot = variants[count - 1 - i]
            if not slot.vt & ole.VT_BYREF:
                variant_clear(ctypes.addressof(slot), abi)
        for argument in byrefs:
            argument.clear(abi)


def _invoke_error(
    proxy: Any, dispid: int, hresult: int, info: EXCEPINFO, argerr: int, abi: int
) -> COMError:
    name = proxy._idlgen_info_.name
    if hresult != DISP_E_EXCEPTION:
        where = ""
        if hresult in (DISP_E_TYPEMISMATCH, DISP_E_PARAMNOTFOUND, DISP_E_OVERFLOW):
            where = f" (argument {argerr} of rgvarg)"
        return COMError(hresult, f"{name}.Invoke(DISPID {dispid}){where}")
    if info.pfnDeferredFillIn:
        from idlgen.runtime.native.ctypes_map import RawFunction

        RawFunction(info.pfnDeferredFillIn, abi, "i32", ["ptr"])(ctypes.addressof(info))
    automation = ole.automation()
    texts = []
    for field in ("bstrSource", "bstrDescription", "bstrHelpFile"):
        bstr = getattr(info, field)
        texts.append(ole.read_bstr(bstr) if bstr else "")
        automation.bstr_free(bstr or 0)
    source, description, _ = texts
    scode = info.scode & 0xFFFFFFFF
    if not scode:
        scode = (0x80040200 + info.wCode) if info.wCode else DISP_E_EXCEPTION
    text = description or "the object raised an exception"
    if source:
        text = f"{text} (from {source})"
    return COMError(scode, f"{name}.Invoke(DISPID {dispid}): {text}")


def get_type_info_count(proxy: Any) -> int:
    """``GetTypeInfoCount`` of the native object."""
    address, abi, vtbl = _target(proxy)
    count = ctypes.c_uint32(0)
    _plan(_GET_TYPE_INFO_COUNT, abi).invoke(address, _slot(vtbl, 3), (ctypes.addressof(count),))
    return count.value


# --------------------------------------------------------------------------- proxies


def proxy_members(info: d.Interface, cls: type | None) -> dict[str, Any]:
    """The members of a proxy class that go through the native IDispatch: ``GetIDsOfNames``,
    ``Invoke``, ``GetTypeInfoCount``, and for a dispinterface (no slots of its own) every
    method and property of the generated class, and every event of a sink class."""
    members: dict[str, Any] = {
        "GetIDsOfNames": _method_ids_of_names,
        "Invoke": _method_invoke,
        "GetTypeInfoCount": get_type_info_count,
    }
    if info.methods or cls is None:
        return members
    events: dict[int, str] = {}
    for owner in reversed(cls.__mro__):
        events.update(owner.__dict__.get("_events_", {}))
    for dispid, name in events.items():
        members[name] = _dispatch_method(cls, name, dispid)
    properties: dict[str, dict[str, MemberInfo]] = {}
    for owner in reversed(cls.__mro__):
        for member in owner.__dict__.get("_members_", ()):
            if member.dispid is None:
                continue
            if member.kind == "method" or member.is_indexed:
                flags = DISPATCH_METHOD if member.kind == "method" else DISPATCH_PROPERTYGET
                if member.kind in ("propput", "propputref"):
                    flags = DISPATCH_PROPERTYPUT
                members[member.python_name] = _dispatch_method(
                    cls, member.python_name, member.dispid, flags
                )
            else:
                properties.setdefault(member.python_name, {})[member.kind] = member
    for name, accessors in properties.items():
        members[name] = _dispatch_property(accessors)
    return members


def _method_ids_of_names(self: Any, *names: str | Sequence[str]) -> list[int]:
    """DISPIDs from the native object's ``GetIDsOfNames``."""
    return ids_of_names(self, *names)


def _method_invoke(
    self: Any, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[Any] = ()
) -> Any:
    """The native object's ``Invoke`` (arguments in declaration order)."""
    return invoke(self, dispid, flags, args)


def _dispatch_method(
    cls: type, name: str, dispid: int, flags: int = DISPATCH_METHOD
) -> Callable[..., Any]:
    generated = getattr(cls, name, None)
    try:
        signature: inspect.Signature | None = (
            inspect.signature(generated) if generated is not None else None
        )
    except (TypeError, ValueError):
        signature = None

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            if signature is None:
                raise TypeError(f"{name}() takes no keyword arguments")
            bound = signature.bind(self, *args, **kwargs)
            args = bound.args[1:]
        return invoke(self, dispid, flags, args)

    call.__name__ = name
    call.__qualname__ = f"{cls.__name__}.{name}"
    call.__doc__ = f"{name} through the native IDispatch::Invoke (DISPID {dispid})."
    return call


def _dispatch_property(accessors: dict[str, MemberInfo]) -> property:
    get = accessors.get("propget")
    put = accessors.get("propput") or accessors.get("propputref")

    def fget(self: Any) -> Any:
        assert get is not None and get.dispid is not None
        return invoke(self, get.dispid, DISPATCH_PROPERTYGET, ())

    def fset(self: Any, value: Any) -> None:
        assert put is not None and put.dispid is not None
        flags = DISPATCH_PROPERTYPUTREF if put.kind == "propputref" else DISPATCH_PROPERTYPUT
        invoke(self, put.dispid, flags, (value,))

    return property(fget if get is not None else None, fset if put is not None else None)


# --------------------------------------------------------------------------- late binding


class _Member:
    """A member of a :class:`Dispatch` looked up by name: call it to invoke it."""

    def __init__(self, owner: Dispatch, name: str) -> None:
        self._owner = owner
        self._name = name

    def __call__(self, *args: Any) -> Any:
        return self._owner.invoke(self._name, *args, flags=DISPATCH_METHOD | DISPATCH_PROPERTYGET)

    def __repr__(self) -> str:
        return f"<dispatch member {self._name} of {self._owner!r}>"


class Dispatch:
    """Late binding on a native IDispatch, by name: ``GetIDsOfNames`` then ``Invoke``.

    *target* is a proxy (of any interface of the object: it is asked for IDispatch).  With an
    *interface* class (a dual interface or a dispinterface of a generated package) attributes
    follow its members: ``d.Value`` reads a property, ``d.Twice(3)`` calls a method.  Without,
    ``d.Name`` is a member to call — ``d.Twice(3)``, ``d.Value()`` (``DISPATCH_METHOD |
    DISPATCH_PROPERTYGET``, as Visual Basic asks) — and ``d.Value = 5`` is a property put.
    ``invoke``/``get``/``put`` say it explicitly.  DISPIDs are looked up once per name.
    The object holds its own reference: ``release()``, ``with``, or garbage collection.
    """

    def __init__(self, target: Any, interface: type | None = None) -> None:
        from idlgen.runtime.interfaces import IID_IDispatch
        from idlgen.runtime.native.proxy import NativeProxy

        if not isinstance(target, NativeProxy):
            raise TypeError(f"expected a native proxy, got {type(target).__name__}")
        _target(target)  # ReleasedProxyError for a released one
        pointer = target.QueryInterface(IID_IDispatch)
        if not isinstance(pointer, NativeProxy):  # an object of ours, unwrapped
            raise TypeError("this object is a Python object: call it directly")
        object.__setattr__(self, "_proxy", pointer)
        object.__setattr__(self, "_ids", {})
        kinds: dict[str, set[str]] = {}
        if interface is not None:
            for owner in reversed(interface.__mro__):
                for member in owner.__dict__.get("_members_", ()):
                    kinds.setdefault(member.python_name.lower(), set()).add(
                        "indexed" if member.is_indexed else member.kind
                    )
                for name in owner.__dict__.get("_events_", {}).values():
                    kinds.setdefault(name.lower(), set()).add("method")
        object.__setattr__(self, "_kinds", kinds)

    def dispid(self, name: str) -> int:
        """The DISPID of member *name* (looked up once)."""
        key = name.lower()
        found = self._ids.get(key)
        if found is None:
            found = ids_of_names(self._proxy, name)[0]
            self._ids[key] = found
        return int(found)

    def invoke(self, name: str, *args: Any, flags: int = DISPATCH_METHOD) -> Any:
        """Invoke member *name* with *args* (declaration order) and *flags*."""
        return invoke(self._proxy, self.dispid(name), flags, args)

    def get(self, name: str, *index: Any) -> Any:
        """Read property *name* (with the arguments of an indexed property)."""
        return invoke(self._proxy, self.dispid(name), DISPATCH_PROPERTYGET, index)

    def put(self, name: str, *index_and_value: Any, ref: bool = False) -> None:
        """Set property *name*: the last argument is the value (``PROPERTYPUTREF`` with *ref*)."""
        if not index_and_value:
            raise TypeError("put() needs the value")
        flags = DISPATCH_PROPERTYPUTREF if ref else DISPATCH_PROPERTYPUT
        invoke(self._proxy, self.dispid(name), flags, index_and_value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        kinds = self._kinds.get(name.lower(), set())
        if "propget" in kinds:
            return self.get(name)
        return _Member(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.put(name, value)

    def release(self) -> int:
        """Release the reference to the object."""
        released: int = self._proxy.release()
        return released

    def __enter__(self) -> Dispatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<native Dispatch {self._proxy!r}>"
