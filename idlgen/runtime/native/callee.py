"""Callee plans: a vtable slot of an exposed Python object, called by native code.

The reverse of :class:`~idlgen.runtime.native.marshal.Plan`, with the same type rules: a
:class:`CalleePlan` reads the C arguments of one described method (``[in]`` and ``[in, out]``
values become the Python arguments, as a proxy's caller passes them), calls the Python
implementation (a method, or a property's getter or setter), and stores what it returns — the
non-HRESULT return value first, then every ``[out]``/``[in, out]`` value in declaration order:
one value as it is, several as a tuple — into the caller's memory, allocating what COM says the
callee allocates (BSTRs, ``[out]`` strings with ``CoTaskMemAlloc``, VARIANT contents, arrays,
interface references).  Ownership follows COM: ``[in]`` values stay the caller's (they are
copied, never freed), an ``[in, out]`` value is replaced (the old one freed) only when the whole
call succeeded, and on failure every ``[out]`` pointer is set to zero (NULL) and what was
already allocated for the call is freed.

An exception never crosses into C: :class:`~idlgen.runtime.COMError` becomes its HRESULT,
anything else ``E_FAIL`` and is logged (logger ``idlgen.runtime.native``), as is a result of
the wrong type.  A method that returns no HRESULT gives 0 then.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Sequence
from typing import Any

from idlgen.runtime.hresult import E_FAIL, E_NOTIMPL, E_POINTER, COMError
from idlgen.runtime.interfaces import ByRef
from idlgen.runtime.metadata import MemberInfo
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native import description as d
from idlgen.runtime.native._memory import FORMATS, value_reader, value_writer
from idlgen.runtime.native.layouts import to_layout
from idlgen.runtime.native.marshal import (
    _BOOLS,
    _is_aggregate,
    _is_char,
    _read_c_string,
    destroy_safearray,
    evaluate_size,
    fill_variant,
    guid_of,
    make_safearray,
    safearray_items,
    scalar_converter,
    storage_type,
    variant_clear,
    variant_value,
)
from idlgen.runtime.native.registry import Scope
from idlgen.runtime.native.typecodes import (
    ArrayOf,
    CType,
    Named,
    PointerTo,
    SafeArrayOf,
    Scalar,
    parse_type,
)

__all__ = ["CalleePlan", "c_formats", "hresult_for", "raw_in", "read_in", "write_out"]

log = logging.getLogger("idlgen.runtime.native")

_POINTER_SIZE = ctypes.sizeof(ctypes.c_void_p)

#: reads the value of a C type stored at an address (the caller's: nothing is freed)
Reader = Callable[[int], Any]
#: stores a Python value at an address; what it allocates gets an undo in the list
Writer = Callable[[int, Any, list[Callable[[], None]]], None]


def _expose() -> Any:
    from idlgen.runtime.native import exposure as expose

    return expose


def hresult_for(exc: BaseException, what: str) -> int:
    """The HRESULT an exception becomes: a COMError's own, else E_FAIL (logged)."""
    if isinstance(exc, COMError):
        return exc.hresult
    log.error("%s raised %s: %s (returning E_FAIL)", what, type(exc).__name__, exc, exc_info=exc)
    return E_FAIL


def _pointer_at(address: int) -> int:
    return ctypes.c_void_p.from_address(address).value or 0


# --------------------------------------------------------------------------- C -> Python

#: ``convert(raw)``: the Python value of a C scalar or pointer as read (a pointer is an int,
#: 0 or None for NULL)
Converter = Callable[[Any], Any]


def raw_in(ct: CType, scope: Scope, abi: int) -> tuple[str, Converter] | None:
    """For a C type passed as one scalar or pointer: its ``struct`` format and the
    conversion of its raw value to Python; None for a type passed by value as a block of
    memory (a structure, a GUID, a DECIMAL, a VARIANT)."""
    if isinstance(ct, Scalar):
        if ct.name not in FORMATS:
            return None
        return FORMATS[ct.name], _scalar_converter(ct.name)
    if isinstance(ct, PointerTo):
        return "P", _pointer_converter(ct.target, scope, abi)
    if isinstance(ct, SafeArrayOf):
        element = ct.element

        def convert_safearray(array: int | None) -> list[Any] | None:
            return safearray_items(element, array, scope, abi) if array else None

        return "P", convert_safearray
    return None


def read_in(ct: CType, scope: Scope, abi: int) -> Reader:
    """``read(address)``: the Python value of the C value of type *ct* stored at *address*
    (copied; interface pointers become proxies with references of their own, or the Python
    object itself when the pointer is one :func:`expose` made)."""
    raw = raw_in(ct, scope, abi)
    if raw is not None:
        fetch, convert = value_reader(raw[0]), raw[1]
        return lambda address: convert(fetch(address))
    if isinstance(ct, Scalar):
        if ct.name == "guid":
            return lambda address: ole.GUID.from_address(address).to_uuid()
        if ct.name == "decimal":
            return lambda address: ole.decimal_to_python(ole.DECIMAL.from_address(address))
        if ct.name == "variant":
            return lambda address: variant_value(ole.VARIANT.from_address(address), abi)
        raise TypeError(f"{ct.name} has no value")
    if isinstance(ct, ArrayOf):
        return _items_reader(ct.element, scope, abi, ct.count)
    assert isinstance(ct, Named)
    if ct.kind in ("iface", "opaque"):
        raise TypeError(f"{ct.kind} {ct.name} cannot be passed by value")
    cls = storage_type(ct, scope)
    size = ctypes.sizeof(cls)
    return lambda address: cls.from_buffer_copy(ctypes.string_at(address, size))


def _scalar_converter(name: str) -> Converter:
    if name in _BOOLS:
        return bool
    if name == "date":
        return ole.date_to_python
    if name == "cy":
        return ole.cy_to_python
    if name == "hresult":
        return lambda raw: raw & 0xFFFFFFFF
    if name == "bstr":
        return lambda raw: ole.read_bstr(raw or 0)  # a NULL BSTR is the empty string
    if name == "fn":
        return lambda raw: raw or None
    return _same


def _same(raw: Any) -> Any:
    return raw


def _pointer_converter(target: CType, scope: Scope, abi: int) -> Converter:
    if isinstance(target, Named) and target.kind == "iface":
        info = scope.interface(target.name)
        expose = _expose()
        return lambda raw: expose.interface_in(raw or 0, info, abi)
    if _is_char(target):
        wide = isinstance(target, Scalar) and target.name == "char16"
        return lambda raw: _read_c_string(raw, wide) if raw else None
    if (isinstance(target, Scalar) and target.name == "void") or (
        isinstance(target, Named) and target.kind == "opaque"
    ):
        return lambda raw: raw or None
    inner = read_in(target, scope, abi)
    return lambda raw: inner(raw) if raw else None


def _items_reader(element: CType, scope: Scope, abi: int, count: int) -> Reader:
    """*count* consecutive elements at an address (a string for characters)."""
    if _is_char(element):
        wide = isinstance(element, Scalar) and element.name == "char16"
        width = 2 if wide else 1

        def read_chars(address: int) -> str:
            raw = ctypes.string_at(address, count * width)
            return raw.decode("utf-16-le" if wide else "utf-8", "surrogatepass").split("\0")[0]

        return read_chars
    item = read_in(element, scope, abi)
    size = ctypes.sizeof(storage_type(element, scope))
    return lambda address: [item(address + i * size) for i in range(count)]


# --------------------------------------------------------------------------- Python -> C


def write_out(ct: CType, scope: Scope, abi: int) -> Writer:
    """``write(address, value, undo)``: store Python *value* as C type *ct* at *address*,
    allocating what the caller will own (an undo for each allocation goes to *undo*)."""
    if isinstance(ct, Scalar):
        return _scalar_writer(ct.name, abi)
    if isinstance(ct, PointerTo):
        return _pointer_writer(ct.target, scope, abi)
    if isinstance(ct, SafeArrayOf):
        element = ct.element

        def write_safearray(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            array = make_safearray(element, value, scope, abi) if value is not None else 0
            ctypes.c_void_p.from_address(address).value = array or None
            if array:
                undo.append(lambda: destroy_safearray(element, array, scope, abi))

        return write_safearray
    if isinstance(ct, ArrayOf):
        return _items_writer(ct.element, scope, abi, ct.count)
    assert isinstance(ct, Named)
    if ct.kind in ("iface", "opaque"):
        raise TypeError(f"{ct.kind} {ct.name} cannot be returned by value")
    cls = storage_type(ct, scope)
    size = ctypes.sizeof(cls)

    def write_struct(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
        keep: list[Any] = []
        layout = to_layout(cls, value, keep)
        ctypes.memmove(address, ctypes.addressof(layout), size)

    return write_struct


def _scalar_writer(name: str, abi: int) -> Writer:
    if name == "void":
        raise TypeError("void has no value")
    if name == "guid":

        def write_guid(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            ctypes.memmove(address, guid_of(value).bytes_le, 16)

        return write_guid
    if name == "decimal":
        return lambda address, value, undo: ole.decimal_from_python(
            value, ole.DECIMAL.from_address(address)
        )
    if name == "variant":

        def write_variant(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            ctypes.memset(address, 0, ctypes.sizeof(ole.VARIANT))
            fill_variant(ole.VARIANT.from_address(address), value, abi)
            undo.append(lambda: variant_clear(address, abi))

        return write_variant
    if name == "bstr":

        def write_bstr(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            if value is not None and not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            bstr = ole.automation().bstr_alloc(value) if value is not None else 0
            ctypes.c_void_p.from_address(address).value = bstr or None
            if bstr:
                undo.append(lambda: ole.automation().bstr_free(bstr))

        return write_bstr
    if name == "fn":

        def write_function(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"expected an address (int), got {type(value).__name__}")
            ctypes.c_void_p.from_address(address).value = value or None

        return write_function
    storage = storage_type(Scalar(name), _NO_LAYOUTS)
    convert = scalar_converter(name)

    def write_scalar(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
        storage.from_address(address).value = convert(value)

    return write_scalar


def _pointer_writer(target: CType, scope: Scope, abi: int) -> Writer:
    if isinstance(target, Named) and target.kind == "iface":
        info = scope.interface(target.name)
        expose = _expose()

        def write_interface(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            pointer = expose.reference_to(value, info, abi) if value is not None else 0
            ctypes.c_void_p.from_address(address).value = pointer or None
            if pointer:
                undo.append(lambda: expose.release_reference(pointer, abi))

        return write_interface
    if _is_char(target):
        wide = isinstance(target, Scalar) and target.name == "char16"

        def write_string(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            if value is None:
                ctypes.c_void_p.from_address(address).value = None
                return
            if not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            data = value.encode("utf-16-le" if wide else "utf-8", "surrogatepass")
            block = ole.automation().task_alloc(len(data) + 2)
            ctypes.memmove(block, data, len(data))
            ctypes.c_void_p.from_address(address).value = block
            undo.append(lambda: ole.automation().task_free(block))

        return write_string
    if (isinstance(target, Scalar) and target.name == "void") or (
        isinstance(target, Named) and target.kind == "opaque"
    ):

        def write_address(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"expected an address (int), got {type(value).__name__}")
            ctypes.c_void_p.from_address(address).value = value or None

        return write_address
    raise TypeError(
        "a callee cannot return a pointer to memory of its own "
        f"({_describe(PointerTo(target))} [out])"
    )


def _items_writer(element: CType, scope: Scope, abi: int, count: int | None) -> Writer:
    """A sequence of at most *count* elements stored from an address on (a str for
    characters); None for *count*: as many as given."""
    width = ctypes.sizeof(storage_type(element, scope))
    item = write_out(element, scope, abi) if not _is_char(element) else None

    def write_items(address: int, value: Any, undo: list[Callable[[], None]]) -> None:
        if _is_char(element):
            if not isinstance(value, str):
                raise TypeError(f"expected a str, got {type(value).__name__}")
            data = value.encode("utf-16-le" if width == 2 else "utf-8", "surrogatepass")
            data += b"\0" * width
            if count is not None and len(data) > count * width:
                raise ValueError(f"{len(value)} characters for a buffer of {count}")
            ctypes.memmove(address, data, len(data))
            return
        if not isinstance(value, Sequence) or isinstance(value, str | bytes):
            raise TypeError(f"expected a sequence, got {type(value).__name__}")
        if count is not None and len(value) > count:
            raise ValueError(f"{len(value)} items for an array of {count}")
        assert item is not None
        for i, one in enumerate(value):
            item(address + i * width, one, undo)

    return write_items


def _dispose(ct: CType, scope: Scope, abi: int) -> Callable[[int], None] | None:
    """``dispose(address)``: free what a C value of type *ct* at *address* owns (the old
    value of an ``[in, out]`` parameter), or None when it owns nothing."""
    if isinstance(ct, Scalar) and ct.name == "bstr":
        return lambda address: ole.automation().bstr_free(_pointer_at(address))
    if isinstance(ct, Scalar) and ct.name == "variant":
        return lambda address: variant_clear(address, abi)
    if isinstance(ct, SafeArrayOf):
        element = ct.element
        return lambda address: destroy_safearray(element, _pointer_at(address), scope, abi)
    if isinstance(ct, PointerTo) and isinstance(ct.target, Named) and ct.target.kind == "iface":
        expose = _expose()
        return lambda address: expose.release_reference(_pointer_at(address), abi)
    if isinstance(ct, PointerTo) and _is_char(ct.target):
        return lambda address: ole.automation().task_free(_pointer_at(address))
    return None


def _describe(ct: CType) -> str:
    from idlgen.runtime.native.marshal import _describe as describe

    return describe(ct)


class _NoLayouts(Scope):
    def layout(self, kind: str, name: str) -> Any:
        raise TypeError(f"{kind} {name} needs a package scope")


_NO_LAYOUTS = _NoLayouts(None, ())


# --------------------------------------------------------------------------- plans


class _Input:
    """One parameter the Python method receives: where it is and how it is read."""

    __slots__ = ("array", "byref", "c_index", "convert", "name", "pointed", "read", "zero")

    def __init__(self, c_index: int, name: str) -> None:
        self.c_index = c_index
        self.name = name
        #: the raw C value (a scalar or pointer) to Python; None: read at an address
        self.convert: Converter | None = None
        #: the value at an address: the argument's own (a structure by value), or where the
        #: argument points (``pointed``: an [in, out] value, an event's [out] ByRef)
        self.read: Reader | None = None
        self.pointed = False
        self.array: tuple[CType, d.SizeExpr | None, int | None] | None = None
        self.byref = False  # given to an event handler as a ByRef
        self.zero = 0  # bytes of an [out] value set to zero before it is read


class _Output:
    """One ``[out]``/``[in, out]`` parameter: the pointer argument and how to fill it."""

    __slots__ = (
        "c_index",
        "dispose",
        "iid_is",
        "inout",
        "name",
        "old_size",
        "plain",
        "size",
        "sized",
        "write",
    )

    def __init__(self, c_index: int, name: str) -> None:
        self.c_index = c_index
        self.name = name
        self.write: Writer | None = None
        self.size = 0  # bytes zeroed on failure (0: left alone)
        self.old_size = 0  # bytes of an [in, out] value kept until the call succeeded
        self.dispose: Callable[[int], None] | None = None
        self.sized: tuple[CType, d.SizeExpr, int | None] | None = None
        self.iid_is: str | None = None
        self.inout = False
        #: for a scalar owning nothing: (convert the Python value, store it at an address)
        self.plain: tuple[Callable[[Any], Any], Callable[[int, Any], None]] | None = None


def c_formats(method: d.Method, scope: Scope, abi: int) -> list[str | None]:
    """The ``struct`` format of each C argument of a method (``this`` first, then the hidden
    result pointer of a structure returned by value): None for an argument passed by value
    as a block of memory (then only libffi can hand it over)."""
    formats: list[str | None] = ["P"]
    if _is_aggregate(parse_type(method.returns)):
        formats.append("P")
    for p in method.params:
        ct = parse_type(p.type)
        if p.direction != "in" or isinstance(ct, ArrayOf):
            formats.append("P")
            continue
        raw = raw_in(ct, scope, abi)
        formats.append(raw[0] if raw is not None else None)
    return formats


class CalleePlan:
    """How native code calls one described method of a Python implementation.

    ``run(obj, c)`` takes the C arguments as *c*: for each, its raw value (a scalar, a pointer
    as an int) where :func:`c_formats` gives a format, else the address where it is stored;
    it returns what goes into the result register.
    """

    def __init__(
        self,
        qualname: str,
        method: d.Method,
        member: MemberInfo,
        scope: Scope,
        abi: int,
        *,
        sink: bool = False,
    ) -> None:
        self.qualname = qualname
        #: the event handler convention (generated sink classes): [out] and [in, out] values
        #: are ByRef arguments the handler sets, its result is not used
        self.sink = sink
        self.abi = abi
        self.formats = c_formats(method, scope, abi)
        self._element_readers: dict[int, tuple[Reader | None, int]] = {}
        rtype = parse_type(method.returns)
        self.hresult = isinstance(rtype, Scalar) and rtype.name == "hresult"
        self.struct_return = _is_aggregate(rtype)
        self.returns: Writer | None = None
        #: the type code of what the result register holds
        self.return_code = "void"
        self.convert_return: Callable[[Any], Any] = _address
        if self.struct_return:
            self.returns = write_out(rtype, scope, abi)
            self.return_size = ctypes.sizeof(storage_type(rtype, scope))
            self.return_code = "uptr"
        elif isinstance(rtype, Scalar):
            if rtype.name in ("bstr", "fn"):
                raise TypeError(f"a callee cannot return {rtype.name} by value")
            self.return_code = rtype.name
            if rtype.name not in ("void", "hresult"):
                self.convert_return = scalar_converter(rtype.name)
        elif isinstance(rtype, PointerTo) and (
            (isinstance(rtype.target, Scalar) and rtype.target.name == "void")
            or (isinstance(rtype.target, Named) and rtype.target.kind == "opaque")
        ):
            self.return_code = "uptr"
        else:
            raise TypeError(f"a callee cannot return {method.returns}")
        self.has_value = self.return_code != "void" and not self.hresult and not self.struct_return
        first = 2 if self.struct_return else 1
        self.inputs: list[_Input] = []
        self.outputs: list[_Output] = []
        for offset, p in enumerate(method.params):
            self._add(first + offset, p, parse_type(p.type), scope)
        self.results = len(self.outputs) + (1 if self.has_value or self.struct_return else 0)
        kind = member.kind
        self.call_kind = "call" if kind == "method" or member.is_indexed else kind
        self.attribute = member.python_name
        #: ``run(obj, c)``: run the method for native code; the result register
        self.run: Callable[[Any, Sequence[Any]], Any] = (
            self._fast_run() if self._plain() else self._general_run
        )

    def _plain(self) -> bool:
        """True when every argument is a scalar or pointer Python gets as a value and every
        [out] a scalar owning nothing (most methods): they take :meth:`_fast_run`."""
        return (
            not self.sink
            and not self.struct_return
            and all(e.convert is not None for e in self.inputs)
            and all(o.plain is not None and not o.inout for o in self.outputs)
        )

    def _add(self, c_index: int, p: d.Param, ct: CType, scope: Scope) -> None:
        abi = self.abi
        entry = _Input(c_index, p.name)
        if p.direction == "in":
            sized = p.size_is is not None or p.length_is is not None
            if isinstance(ct, ArrayOf) or (isinstance(ct, PointerTo) and sized):
                element = ct.element if isinstance(ct, ArrayOf) else ct.target
                fixed = ct.count if isinstance(ct, ArrayOf) else None
                entry.array = (element, p.length_is or p.size_is, fixed)
                self._element_readers[id(entry)] = (
                    read_in(element, scope, abi) if not _is_char(element) else None,
                    ctypes.sizeof(storage_type(element, scope)),
                )
            else:
                raw = raw_in(ct, scope, abi)
                if raw is not None:
                    entry.convert = raw[1]
                else:
                    entry.read = read_in(ct, scope, abi)
            self.inputs.append(entry)
            return
        if isinstance(ct, ArrayOf):
            ct = PointerTo(ct.element) if not (p.size_is or p.length_is) else ct
        if not isinstance(ct, PointerTo | ArrayOf):
            raise TypeError(f"{self.qualname}: [out] parameter {p.name} is not a pointer")
        target = ct.target if isinstance(ct, PointerTo) else ct.element
        out = _Output(c_index, p.name)
        out.inout = p.direction == "in,out"
        sized = p.size_is is not None or p.length_is is not None or isinstance(ct, ArrayOf)
        if self.sink and (sized or p.iid_is is not None):
            raise TypeError(f"{self.qualname}: an event cannot return arrays or iid_is objects")
        if sized:
            fixed = ct.count if isinstance(ct, ArrayOf) else None
            expr = p.size_is if p.size_is is not None else p.length_is
            out.sized = (target, expr if expr is not None else 0, fixed)
            out.write = _items_writer(target, scope, abi, None)
            if out.inout:
                raise TypeError(f"{self.qualname}: [in, out] array {p.name} is not supported")
        elif p.iid_is is not None and target == PointerTo(Scalar("void")):
            out.iid_is = p.iid_is
            out.size = _POINTER_SIZE
        else:
            out.write = write_out(target, scope, abi)
            if isinstance(target, Scalar) and target.name in _PLAIN:
                out.plain = (scalar_converter(target.name), value_writer(FORMATS[target.name]))
            size = ctypes.sizeof(storage_type(target, scope))
            out.size = size if not out.inout else 0
            if out.inout:
                out.old_size = size
                out.dispose = _dispose(target, scope, abi)
            if out.inout or self.sink:
                entry.read = read_in(target, scope, abi)
                entry.pointed = True
                entry.byref = self.sink
                entry.zero = 0 if out.inout else size
                self.inputs.append(entry)
        self.outputs.append(out)

    # ------------------------------------------------------------------ calling

    def _general_run(self, obj: Any, c: Sequence[Any]) -> Any:
        """Run the method for native code (see the class docstring): the result register."""
        values: dict[str, Any] = {}
        for out in self.outputs:
            if not c[out.c_index]:
                return self.refuse(c, E_POINTER)
        try:
            args = self._read_inputs(c, values)
        except Exception as exc:
            return self.refuse(c, hresult_for(exc, f"{self.qualname} (reading its arguments)"))
        try:
            result = self._invoke(obj, args)
            if self.sink:
                refs = [a.value for a in args if isinstance(a, ByRef)]
                first = self.has_value or self.struct_return
                result = tuple([result, *refs] if first else refs)
                if self.results == 1:
                    result = result[0]
        except BaseException as exc:  # nothing may unwind into C
            return self.refuse(c, self._raised(obj, exc))
        try:
            return self._store(result, c, values)
        except Exception as exc:
            return self.refuse(c, self._unusable(result, exc))

    def _raised(self, obj: Any, exc: BaseException) -> int:
        """The HRESULT for an exception of the Python method (an attribute it lacks is
        E_NOTIMPL)."""
        if isinstance(exc, AttributeError) and self._missing(obj):
            log.warning(
                "%s: %s has no %r (returning E_NOTIMPL)",
                self.qualname,
                type(obj).__name__,
                self.attribute,
            )
            return E_NOTIMPL
        return hresult_for(exc, self.qualname)

    def _unusable(self, result: Any, exc: Exception) -> int:
        """The HRESULT for a result that cannot be given back."""
        if isinstance(exc, COMError):
            return exc.hresult
        log.error(
            "%s returned %r, which cannot be passed back: %s (returning E_FAIL)",
            self.qualname,
            result,
            exc,
        )
        return E_FAIL

    def _fast_run(self) -> Callable[[Any, Sequence[Any]], Any]:
        """``run`` for plain methods (see :meth:`_plain`), without the bookkeeping."""
        conversions = [
            (position, e.c_index, e.convert)
            for position, e in enumerate(self.inputs)
            if e.convert is not _same
        ]
        indices = [e.c_index for e in self.inputs]
        outs = [(o.c_index, *o.plain) for o in self.outputs if o.plain is not None]
        required = [o.c_index for o in self.outputs]
        kind, attribute, results = self.call_kind, self.attribute, self.results
        has_value, convert_return = self.has_value, self.convert_return
        refuse, raised, unusable = self.refuse, self._raised, self._unusable

        def run(obj: Any, c: Sequence[Any]) -> Any:
            for index in required:
                if not c[index]:
                    return refuse(c, E_POINTER)
            try:
                args = [c[index] for index in indices]
                for position, index, convert in conversions:
                    args[position] = convert(c[index])  # type: ignore[misc]
                if kind == "call":
                    result = getattr(obj, attribute)(*args)
                elif kind == "propget":
                    result = getattr(obj, attribute)
                else:
                    setattr(obj, attribute, args[0] if args else None)
                    result = None
            except BaseException as exc:  # nothing may unwind into C
                return refuse(c, raised(obj, exc))
            if not results:
                return 0
            try:
                if results == 1:
                    items: Sequence[Any] = (result,)
                elif isinstance(result, tuple | list) and len(result) == results:
                    items = result
                else:
                    raise TypeError(f"expected a tuple of {results} values")
                register = convert_return(items[0]) if has_value else 0
                if not outs:
                    return register
                values = [
                    (c[index], write, convert(value))
                    for (index, convert, write), value in zip(
                        outs, items[1 if has_value else 0 :], strict=True
                    )
                ]
            except Exception as exc:
                return refuse(c, unusable(result, exc))
            for target, write, value in values:
                write(target, value)
            return register

        return run

    def _missing(self, obj: Any) -> bool:
        try:
            getattr(type(obj), self.attribute)
        except AttributeError:
            return not hasattr(obj, "__dict__") or self.attribute not in obj.__dict__
        return False

    def _read_inputs(self, c: Sequence[Any], values: dict[str, Any]) -> list[Any]:
        args: list[Any] = []
        for entry in self.inputs:
            raw = c[entry.c_index]
            if entry.convert is not None:
                value = entry.convert(raw)
            elif entry.array is not None:
                value = self._read_array(entry, raw, values)
            elif entry.pointed:
                if entry.zero:
                    ctypes.memset(raw, 0, entry.zero)
                assert entry.read is not None
                value = entry.read(raw)
                if entry.byref:
                    value = ByRef(value)
            else:
                assert entry.read is not None
                value = entry.read(raw)
            values[entry.name] = value
            args.append(value)
        return args

    def _read_array(self, entry: _Input, pointer: int | None, values: dict[str, Any]) -> Any:
        assert entry.array is not None
        element, expr, fixed = entry.array
        if not pointer:
            return None
        count = fixed if fixed is not None else evaluate_size(expr or 0, values)
        if count is None:
            raise ValueError(f"the size of array {entry.name} is not known")
        read, width = self._element_readers[id(entry)]
        if read is None:
            wide = isinstance(element, Scalar) and element.name == "char16"
            raw = ctypes.string_at(pointer, count * width)
            return raw.decode("utf-16-le" if wide else "utf-8", "surrogatepass").split("\0")[0]
        return [read(pointer + i * width) for i in range(count)]

    def _invoke(self, obj: Any, args: list[Any]) -> Any:
        kind = self.call_kind
        if kind == "call":
            return getattr(obj, self.attribute)(*args)
        if kind == "propget":
            return getattr(obj, self.attribute)
        setattr(obj, self.attribute, args[0] if args else None)
        return None

    def _store(self, result: Any, c: Sequence[Any], values: dict[str, Any]) -> Any:
        """Store the Python result; the value of the result register."""
        if self.results == 0:
            items: Sequence[Any] = ()
        elif self.results == 1:
            items = (result,)
        elif isinstance(result, tuple | list) and len(result) == self.results:
            items = result
        else:
            raise TypeError(f"expected a tuple of {self.results} values")
        undo: list[Callable[[], None]] = []
        olds: list[tuple[_Output, bytes]] = []
        register: Any = 0
        try:
            position = 0
            if self.has_value:
                register = self.convert_return(items[0])
                position = 1
            elif self.struct_return:
                assert self.returns is not None
                self.returns(c[1], items[0], undo)
                register = c[1]
                position = 1
            for out, value in zip(self.outputs, items[position:], strict=True):
                target = c[out.c_index]
                if out.iid_is is not None:
                    pointer = int(
                        _expose().reference_for_iid(value, values.get(out.iid_is), self.abi)
                    )
                    ctypes.c_void_p.from_address(target).value = pointer or None
                    if pointer:
                        undo.append(_releaser(pointer, self.abi))
                    continue
                if out.sized is not None:
                    _, expr, fixed = out.sized
                    count = fixed if fixed is not None else evaluate_size(expr, values)
                    if count is None:
                        raise ValueError(f"the size of [out] array {out.name} is not known")
                    if value is not None and len(value) > count:
                        raise ValueError(
                            f"{len(value)} items for [out] array {out.name} of {count}"
                        )
                if out.old_size:
                    olds.append((out, ctypes.string_at(target, out.old_size)))
                assert out.write is not None
                if value is None and out.sized is not None:
                    continue
                out.write(target, value, undo)
        except BaseException:
            for out, old in olds:  # give the caller its [in, out] values back
                ctypes.memmove(c[out.c_index], old, len(old))
            while undo:
                undo.pop()()
            raise
        for out, old in olds:
            if out.dispose is not None:
                buffer = ctypes.create_string_buffer(old, len(old))
                out.dispose(ctypes.addressof(buffer))
        return register

    def refuse(self, c: Sequence[Any], hr: int) -> Any:
        """Zero the [out] pointers; the result register for a failure *hr* (0 from a method
        without an HRESULT, the hidden pointer, zeroed, for a structure)."""
        for out in self.outputs:
            target = c[out.c_index]
            if target and out.size and not out.inout:
                ctypes.memset(target, 0, out.size)
        if self.hresult:
            return hr
        if self.struct_return:
            if c[1]:
                ctypes.memset(c[1], 0, self.return_size)
            return c[1]
        return 0


#: scalar [out] types that own nothing (stored as they are)
_PLAIN = frozenset(FORMATS) - {"bstr", "fn"}


def _releaser(pointer: int, abi: int) -> Callable[[], None]:
    return lambda: _expose().release_reference(pointer, abi)


def _address(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"expected an address (int), got {type(value).__name__}")


def zero_outputs(method: d.Method, scope: Scope, c: Sequence[Any], first: int) -> None:
    """Set the ``[out]`` pointers of a call refused before any plan could be made (*c* as
    for :meth:`CalleePlan.run`)."""
    for offset, p in enumerate(method.params):
        if p.direction != "out":
            continue
        ct = parse_type(p.type)
        if not isinstance(ct, PointerTo):
            continue
        try:
            size = ctypes.sizeof(storage_type(ct.target, scope))
        except (TypeError, ValueError):
            size = _POINTER_SIZE if isinstance(ct.target, PointerTo) else 0
        target = c[first + offset] if first + offset < len(c) else 0
        if target and size:
            ctypes.memset(target, 0, size)


def register_code(method: d.Method) -> str:
    """The type code of what a method leaves in the result register: its scalar return type,
    ``"uptr"`` for a pointer (a structure's hidden result pointer included)."""
    rtype = parse_type(method.returns)
    if isinstance(rtype, Scalar) and not _is_aggregate(rtype):
        return rtype.name
    return "uptr"


def is_aggregate_return(method: d.Method) -> bool:
    """True when the method returns a structure through a hidden pointer after ``this``."""
    return _is_aggregate(parse_type(method.returns))
