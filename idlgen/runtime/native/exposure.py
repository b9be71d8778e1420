"""Python objects as binary COM objects: :func:`expose`.

An exposed Python object gets one *record* per calling convention: a reference count, and one
interface pointer per interface native code asked for.  An interface pointer is a small block
of memory holding the address of a vtable; the vtable (built once per interface description and
convention, shared by every object) holds C functions — ctypes callbacks in the platform's
convention, libffi closures (:mod:`~idlgen.runtime.native.callbacks`) otherwise — that find the
record from ``this`` and call the Python object:

- ``QueryInterface`` answers every interface the Python object's own ``QueryInterface``
  accepts and that has a vtable description (``E_NOINTERFACE`` otherwise); the pointer for
  IUnknown is always the same one (COM's identity rule);
- ``AddRef``/``Release`` count native references: while the count is above zero the record
  holds the Python object, so it stays alive; at zero the record lets it go (and it is collected
  when nothing else in Python holds it);
- IDispatch's four methods are served by :mod:`~idlgen.runtime.native.dispatch_server`, every other
  slot by a :class:`~idlgen.runtime.native.callee.CalleePlan` built on its first call.

The blocks of a released record are kept for a while (the last :data:`KEEP_RELEASED`
records), so that a call through a pointer after its last ``Release`` — a bug in the native
caller — gets ``RPC_E_DISCONNECTED`` and a logged error instead of a crash.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from idlgen.runtime.connection import EventSink
from idlgen.runtime.hresult import E_NOINTERFACE, E_NOTIMPL, E_POINTER
from idlgen.runtime.interfaces import IID_IDispatch, IID_IUnknown, IUnknown, interfaces_of
from idlgen.runtime.native import _ffi
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native import description as d
from idlgen.runtime.native._memory import CTYPES, pointers_reader, value_reader
from idlgen.runtime.native.callbacks import (
    closure,
    register_normalizer,
    register_type,
    result_writer,
)
from idlgen.runtime.native.callee import (
    CalleePlan,
    c_formats,
    is_aggregate_return,
    register_code,
    zero_outputs,
)
from idlgen.runtime.native.marshal import Plan
from idlgen.runtime.native.registry import (
    BUILTIN_SCOPE,
    DescriptionError,
    by_iid,
    class_for,
    describe,
    scope_of,
)

__all__ = [
    "KEEP_RELEASED",
    "RPC_E_DISCONNECTED",
    "answers",
    "expose",
    "exposed_object",
    "exposed_refs",
    "interface_in",
    "is_com_object",
    "reference_for_iid",
    "reference_to",
    "release_pointer",
    "release_reference",
]

log = logging.getLogger("idlgen.runtime.native")

#: What a call through the pointer of a released record returns.
RPC_E_DISCONNECTED = 0x80010108
#: How many released records keep their memory (calls through them are detected).
KEEP_RELEASED = 4096

_POINTER_SIZE = ctypes.sizeof(ctypes.c_void_p)
# methods of the built-in descriptions an exposed object answers with E_NOTIMPL (COM allows it:
# the runtime's connection points enumerate as Python lists, not as IEnum* objects)
_NOT_EXPOSED = {
    (d.ICONNECTIONPOINT.iid, "EnumConnections"),
    (d.ICONNECTIONPOINTCONTAINER.iid, "EnumConnectionPoints"),
}


class _Block(ctypes.Structure):
    """What an interface pointer points to: the vtable (its address finds the record)."""

    _fields_ = [("vtbl", ctypes.c_void_p)]


class _Record:
    """One Python object seen by native code in one calling convention."""

    __slots__ = ("abi", "blocks", "identity", "obj", "refs")

    def __init__(self, obj: Any, abi: int) -> None:
        self.obj = obj
        self.abi = abi
        self.refs = 0
        self.blocks: dict[uuid.UUID, _Block] = {}
        self.identity = 0


_lock = threading.RLock()
#: interface pointer -> its live record
_by_address: dict[int, _Record] = {}
_by_object: dict[tuple[int, int], _Record] = {}
_released: collections.deque[_Record] = collections.deque(maxlen=KEEP_RELEASED)
_vtables: dict[tuple[int, int], _Vtable] = {}
_vtable_addresses: set[int] = set()


def _proxy() -> Any:
    from idlgen.runtime.native import proxy

    return proxy


def _live(this: int | None) -> _Record | None:
    """The live record an interface pointer of ours belongs to (None once released)."""
    return _by_address.get(this or 0)


def is_com_object(value: object) -> bool:
    """True for a Python object native code can be given: an implementation of a generated
    interface (an ``IUnknown``), or any object with a ``QueryInterface`` method."""
    from idlgen.runtime.native.proxy import NativeProxy

    if isinstance(value, NativeProxy):
        return False
    return isinstance(value, IUnknown) or callable(getattr(value, "QueryInterface", None))


# --------------------------------------------------------------------------- vtables


class _Vtable:
    """The closures of one interface description in one calling convention."""

    def __init__(self, info: d.Interface, abi: int) -> None:
        self.info = info
        self.abi = abi
        methods = info.vtable()
        count = max((m.slot for m in methods), default=-1) + 1
        self.array = (ctypes.c_void_p * count)()
        levels = {m.slot: level for level in _chain(info) for m in level.methods}
        for m in methods:
            self.array[m.slot] = self._function(levels[m.slot], m)
        for slot in range(count):
            if not self.array[slot]:
                self.array[slot] = _refusal(abi, f"{info.name} slot {slot}", None, BUILTIN_SCOPE)
        self.address = ctypes.addressof(self.array)

    def _function(self, level: d.Interface, m: d.Method) -> int:
        abi = self.abi
        if level is d.IUNKNOWN:
            return _unknown_function(m, abi)
        if level is d.IDISPATCH:
            from idlgen.runtime.native import dispatch_server as dispatch

            return dispatch.server_function(m, self.info, abi)
        what = f"{level.name}.{m.name}"
        scope = scope_of(level)
        if scope is BUILTIN_SCOPE:
            scope = scope_of(self.info)
        if (level.iid, m.name) in _NOT_EXPOSED:
            return _refusal(abi, what, m, scope)
        try:
            forward = Plan(what, m.returns, m.params, scope, abi, method=True)
        except (DescriptionError, TypeError, ValueError) as exc:
            log.warning("%s cannot be exposed: %s", what, exc)
            return _refusal(abi, what, m, scope)
        return _method_function(level, m, what, scope, abi, forward)


def _chain(info: d.Interface) -> list[d.Interface]:
    chain: list[d.Interface] = []
    node: d.Interface | None = info
    while node is not None:
        chain.append(node)
        node = node.base
    return chain[::-1]


def _vtable(info: d.Interface, abi: int) -> _Vtable:
    key = (id(info), abi)
    found = _vtables.get(key)
    if found is None:
        with _lock:
            found = _vtables.get(key)
            if found is None:
                found = _Vtable(info, abi)
                _vtables[key] = found
                _vtable_addresses.add(found.address)
    return found


def _disconnected(what: str, this: int) -> int:
    log.error(
        "%s called through %#x after its last Release (returning RPC_E_DISCONNECTED)", what, this
    )
    return RPC_E_DISCONNECTED


_DEFAULT_ABI = _ffi.abi_code(_ffi.ABI_DEFAULT)
_keep: list[object] = []


def _function(
    cif: Any,
    formats: Sequence[str | None],
    returns: str,
    serve: Callable[[Sequence[Any]], Any],
    on_error: int,
    what: str,
    abi: int,
) -> int:
    """A C function pointer with the signature of *cif* calling ``serve(c)`` (*c*: each C
    argument's raw value, or its address where *formats* has None) and returning what it
    returns.  In the platform's convention, with only scalar and pointer arguments, it is a
    ctypes callback (ctypes converts the arguments); otherwise a libffi closure."""
    if abi == _DEFAULT_ABI and all(f is not None for f in formats):
        restype = register_type(returns)
        normal = register_normalizer(returns)
        argtypes = [CTYPES[f] for f in formats if f is not None]
        failure = normal(on_error)

        def typed(*raw: Any) -> Any:
            try:
                return normal(serve(raw))
            except BaseException:  # nothing may unwind into C
                log.exception("%s: unexpected error in a native callback", what)
                return failure

        function = ctypes.CFUNCTYPE(restype, *argtypes)(typed)
        _keep.append(function)
        return ctypes.cast(function, ctypes.c_void_p).value or 0
    read_arguments = pointers_reader(len(formats))
    fetchers = [value_reader(f) if f is not None else None for f in formats]
    store = result_writer(returns)

    def handler(ret: int, args: int) -> None:
        addresses = read_arguments(args)
        c = [f(a) if f is not None else a for f, a in zip(fetchers, addresses, strict=True)]
        store(ret, serve(c))

    return closure(cif, handler, returns, on_error, what)


def _method_function(
    level: d.Interface, m: d.Method, what: str, scope: Any, abi: int, forward: Plan
) -> int:
    """The function of one described method: its plan is built on the first call."""
    plans: list[CalleePlan] = []
    failed: list[bool] = []
    returns = register_code(m)
    first = 2 if is_aggregate_return(m) else 1
    refused = E_NOTIMPL if returns == "hresult" else 0

    def serve(c: Sequence[Any]) -> Any:
        record = _by_address.get(c[0])
        if record is None:
            zero_outputs(m, scope, c, first)
            return _disconnected(what, c[0] or 0) if returns == "hresult" else 0
        if not plans:
            if failed:
                zero_outputs(m, scope, c, first)
                return refused
            try:
                cls = class_for(level)
                member = _member_info(level, cls, m)
                sink = cls is not None and issubclass(cls, EventSink)
                plans.append(CalleePlan(what, m, member, scope, abi, sink=sink))
            except (DescriptionError, TypeError, ValueError) as exc:
                log.warning("%s cannot be called on a Python object: %s", what, exc)
                failed.append(True)
                zero_outputs(m, scope, c, first)
                return refused
        return plans[0].run(record.obj, c)

    formats = c_formats(m, scope, abi)
    return _function(forward.cif, formats, returns, serve, refused, what, abi)


def _member_info(level: d.Interface, cls: type | None, m: d.Method) -> Any:
    for described, member in _proxy()._member_infos(level, cls):
        if described is m:
            return member
    raise DescriptionError(f"{level.name}.{m.name} has no member information")


def _refusal(abi: int, what: str, m: d.Method | None, scope: Any) -> int:
    """A function answering E_NOTIMPL (with its [out] pointers set to NULL)."""
    try:
        assert m is not None
        plan = Plan(what, m.returns, m.params, scope, abi, method=True)
        formats = c_formats(m, scope, abi)
        returns = register_code(m)
    except (AssertionError, DescriptionError, TypeError, ValueError):
        # libffi only needs the arguments' places: the caller passes more, harmlessly
        plan = Plan(what, "hresult", (), BUILTIN_SCOPE, abi, method=True)
        m, formats, returns = None, ["P"], "hresult"
    method = m
    first = 2 if method is not None and is_aggregate_return(method) else 1
    refused = E_NOTIMPL if returns == "hresult" else 0

    def refuse(c: Sequence[Any]) -> Any:
        if method is not None:
            zero_outputs(method, scope, c, first)
        return refused

    return _function(plan.cif, formats, returns, refuse, refused, what, abi)


def _unknown_function(m: d.Method, abi: int) -> int:
    plan = Plan(f"IUnknown.{m.name}", m.returns, m.params, BUILTIN_SCOPE, abi, method=True)
    formats = c_formats(m, BUILTIN_SCOPE, abi)
    if m.slot == 0:

        def query_interface(c: Sequence[Any]) -> int:
            this, riid, out = c
            if not out:
                return E_POINTER
            ctypes.c_void_p.from_address(out).value = None
            record = _live(this)
            if record is None:
                return _disconnected("IUnknown.QueryInterface", this or 0)
            if not riid:
                return E_POINTER
            pointer = _query(record, ole.GUID.from_address(riid).to_uuid())
            ctypes.c_void_p.from_address(out).value = pointer or None
            return 0 if pointer else E_NOINTERFACE

        return _function(
            plan.cif, formats, "hresult", query_interface, E_NOINTERFACE, "QueryInterface", abi
        )
    adding = m.slot == 1

    def count(c: Sequence[Any]) -> int:
        record = _live(c[0])
        if record is None:
            _disconnected(f"IUnknown.{m.name}", c[0] or 0)
            return 0
        return _add(record, 1) if adding else _release(record)

    return _function(plan.cif, formats, "u32", count, 0, m.name, abi)


# --------------------------------------------------------------------------- records


def _add(record: _Record, count: int) -> int:
    with _lock:
        record.refs += count
        return record.refs


def _release(record: _Record) -> int:
    """Release one native reference; at zero the record lets its object go."""
    obj = None
    with _lock:
        if record.refs <= 0:
            log.error("Release of %r after its last Release (ignored)", record.obj)
            return 0
        record.refs -= 1
        count = record.refs
        if count == 0:
            for block in record.blocks.values():
                _by_address.pop(ctypes.addressof(block), None)
            _by_object.pop((id(record.obj), record.abi), None)
            obj, record.obj = record.obj, None
            _released.append(record)
    del obj  # outside the lock: the object may be collected now
    return count


def _ask(obj: Any, iid: uuid.UUID) -> Any:
    """The Python object's answer to ``QueryInterface(iid)``, or None."""
    if iid == IID_IUnknown:
        return obj
    query = getattr(obj, "QueryInterface", None)
    if not callable(query):
        return None
    try:
        return query(iid)
    except Exception:
        return None


def answers(obj: Any, iid: uuid.UUID) -> bool:
    """True when a Python object's ``QueryInterface`` accepts *iid*."""
    return _ask(obj, iid) is not None


def _description_for(iid: uuid.UUID, obj: Any) -> d.Interface | None:
    """The vtable description an exposed object uses for *iid* (None: not exposable)."""
    if iid == IID_IUnknown:
        return d.IUNKNOWN
    if iid == IID_IDispatch:
        return _dispatch_description(obj)
    for cls in interfaces_of(type(obj)):
        if cls.__dict__["IID"] == iid:
            try:
                return describe(cls)
            except DescriptionError:
                continue
    found = by_iid(iid)
    if found is None:
        log.debug("no vtable description of {%s}: %r answers E_NOINTERFACE", iid, obj)
    return found


def _dispatch_description(obj: Any) -> d.Interface:
    """What an object's IDispatch pointer is: its default dual interface (or the first of its
    MRO) when it has one, whose vtable starts with IDispatch's — as COM servers give it —,
    else plain IDispatch."""
    from idlgen.runtime.interfaces import IDispatch

    default = getattr(type(obj), "_default_interface_", None)
    classes = [default] if isinstance(default, type) else []
    classes += list(interfaces_of(type(obj)))
    for cls in classes:
        if cls is IDispatch or not issubclass(cls, IDispatch):
            continue
        try:
            info = describe(cls)
        except DescriptionError:
            continue
        if info.dispatch:
            return info
    return d.IDISPATCH


def _block(record: _Record, iid: uuid.UUID, info: d.Interface) -> _Block:
    """The interface pointer of *record* for *iid* (made on first use); under the lock."""
    block = record.blocks.get(iid)
    if block is None:
        block = _Block(_vtable(info, record.abi).address)
        record.blocks[iid] = block
        _by_address[ctypes.addressof(block)] = record
        if not record.identity:
            record.identity = ctypes.addressof(block)
            record.blocks.setdefault(IID_IUnknown, block)
    return block


def _query(record: _Record, iid: uuid.UUID) -> int:
    """``QueryInterface`` for native code: an AddRef'ed pointer, or 0."""
    with _lock:
        block = record.blocks.get(iid)
        if block is not None:
            record.refs += 1
            return ctypes.addressof(block)
    obj = record.obj
    answer = _ask(obj, iid)
    if answer is None:
        return 0
    if answer is not obj:  # another object answers for this interface (a tear-off)
        try:
            return reference_for_iid(answer, iid, record.abi)
        except (TypeError, DescriptionError):
            return 0
    info = _description_for(iid, obj)
    if info is None:
        return 0
    with _lock:
        if record.obj is None:
            return 0
        block = _block(record, iid, info)
        record.refs += 1
        return ctypes.addressof(block)


def _reference(obj: Any, info: d.Interface, abi: int) -> int:
    """An AddRef'ed pointer of interface *info* to Python object *obj*."""
    iid = uuid.UUID(info.iid)
    answer = _ask(obj, iid)
    if answer is None:
        raise TypeError(f"{type(obj).__name__} does not implement {info.name}")
    if answer is not obj:
        return reference_to(answer, info, abi)
    if info is d.IDISPATCH:
        info = _dispatch_description(obj)
    with _lock:
        record = _by_object.get((id(obj), abi))
        if record is None:
            record = _Record(obj, abi)
            _by_object[(id(obj), abi)] = record
        block = _block(record, iid, info)
        record.refs += 1
        return ctypes.addressof(block)


# --------------------------------------------------------------------------- the API


def reference_to(value: object, info: d.Interface | None, abi: int) -> int:
    """An AddRef'ed interface pointer of *info* (None: IUnknown) for *value*: a proxy's own
    pointer, or a Python object exposed.  TypeError for anything else."""
    proxy = _proxy()
    if isinstance(value, proxy.NativeProxy):
        address = int(proxy.pointer_of(value, info))
        proxy.add_ref(value)
        return address
    if not is_com_object(value):
        wanted = info.name if info is not None else "an interface"
        raise TypeError(f"expected a {wanted} proxy or implementation, got {type(value).__name__}")
    return _reference(value, info or d.IUNKNOWN, abi)


def reference_for_iid(value: object, iid: object, abi: int) -> int:
    """An AddRef'ed pointer of interface *iid* for *value* (an ``[out, iid_is]`` result):
    0 for None; COMError(E_NOINTERFACE) when the object does not implement it."""
    from idlgen.runtime.hresult import COMError
    from idlgen.runtime.native.marshal import guid_of

    if value is None:
        return 0
    wanted = guid_of(iid)
    proxy = _proxy()
    if isinstance(value, proxy.NativeProxy):
        if wanted in value._idlgen_iids_ or wanted == IID_IUnknown:
            proxy.add_ref(value)
            return int(proxy.address_of(value))
        other = value.QueryInterface(wanted)
        address = int(proxy.address_of(other))
        other._idlgen_ptr_ = 0  # the reference goes to the caller
        return address
    if not is_com_object(value):
        raise TypeError(f"expected a COM object, got {type(value).__name__}")
    info = _description_for(wanted, value)
    if info is None or _ask(value, wanted) is None:
        raise COMError(E_NOINTERFACE, f"{type(value).__name__} does not implement {{{wanted}}}")
    return _reference(value, info, abi)


def release_reference(address: int, abi: int) -> None:
    """Release one reference to an interface pointer (ours directly, others natively)."""
    if not address:
        return
    if ctypes.c_void_p.from_address(address).value in _vtable_addresses:
        record = _live(address)
        if record is not None:
            _release(record)
            return
    _proxy().release_pointer(address, abi)


def exposed_object(address: int | None) -> Any:
    """The Python object an interface pointer made by :func:`expose` stands for (None for a
    pointer of another object, or of a record already released)."""
    record = _by_address.get(address or 0)
    return record.obj if record is not None else None


def interface_in(address: int | None, info: d.Interface, abi: int) -> Any:
    """An ``[in]`` interface pointer given by native code, for Python: the Python object when
    it is one of ours, else a proxy with a reference of its own (None for NULL)."""
    return _proxy().borrowed(address, info, abi)


def expose(obj: object, interface: type, *, abi: str = _ffi.ABI_DEFAULT) -> int:
    """A native interface pointer to the Python implementation *obj*, as *interface* (a
    generated interface class; its package must be generated with ``--emit abi``).

    The pointer holds one reference, which belongs to the caller: hand it to native code
    that takes it over, or give it back with :func:`release_pointer`.  Native code keeps the
    object alive as long as it holds references.  *abi* is the calling convention native code
    calls the methods with (``"default"`` or ``"ms"``).  A proxy gives its own pointer
    (AddRef'ed).  TypeError when *obj* does not implement *interface*; DescriptionError when
    there is no vtable description of it.
    """
    if not isinstance(interface, type):
        raise TypeError(f"expected an interface class, got {type(interface).__name__}")
    info = describe(interface)
    code = _ffi.abi_code(abi)
    proxy = _proxy()
    if not isinstance(obj, proxy.NativeProxy) and not is_com_object(obj):
        raise TypeError(
            f"{type(obj).__name__} is not a COM object (an implementation of a generated "
            "interface, or an object with QueryInterface)"
        )
    return reference_to(obj, info, code)


def release_pointer(address: int, *, abi: str = _ffi.ABI_DEFAULT) -> int:
    """Release one reference of an interface pointer (one :func:`expose` returned, or any
    native one, called in convention *abi*); returns the count left (0 for a pointer of a
    released record)."""
    if not isinstance(address, int) or isinstance(address, bool) or not address:
        raise TypeError("expected a non-null address (int)")
    if ctypes.c_void_p.from_address(address).value in _vtable_addresses:
        record = _live(address)
        if record is None:
            _disconnected("release_pointer", address)
            return 0
        return _release(record)
    plan = _proxy()._unknown_plan(2, _ffi.abi_code(abi))
    return int(plan.invoke(address, _proxy()._slot_function(address, 2), ()))


def exposed_refs(obj: object, *, abi: str = _ffi.ABI_DEFAULT) -> int:
    """How many references native code holds to *obj* in convention *abi* (0: none)."""
    record = _by_object.get((id(obj), _ffi.abi_code(abi)))
    return record.refs if record is not None and record.obj is obj else 0


def served_object(this: int | None) -> Any:
    """The Python object behind a pointer of ours during a call (None once released)."""
    record = _live(this)
    return record.obj if record is not None else None


def disconnected(what: str, this: int) -> int:
    """Log a call through a released pointer; the HRESULT to give (RPC_E_DISCONNECTED)."""
    return _disconnected(what, this)


def native_function(
    cif: Any,
    formats: Sequence[str | None],
    returns: str,
    serve: Callable[[Sequence[Any]], Any],
    on_error: int,
    what: str,
    abi: int,
) -> int:
    """A C function pointer calling ``serve(c)``: see :func:`_function`."""
    return _function(cif, formats, returns, serve, on_error, what, abi)
