"""ctypes layouts as libffi types, and Python values as ctypes structures."""

from __future__ import annotations

import ctypes
import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from idlgen.runtime.native import _ffi
from idlgen.runtime.native.ctypes_map import ffi_scalar

__all__ = ["is_layout", "same_layout", "struct_ffi_type", "to_layout"]

_CData: Any = ctypes.c_int.__mro__[-2]  # ctypes' private _CData base
_lock = threading.Lock()
_ffi_types: dict[type, tuple[int, Any]] = {}

_SIGNED = {1: "sint8", 2: "sint16", 4: "sint32", 8: "sint64"}
_UNSIGNED = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def _subclass(cls: object, base: type) -> bool:
    """issubclass for anything (no type narrowing: ctypes classes stay ``Any``)."""
    return isinstance(cls, type) and issubclass(cls, base)


def is_layout(cls: object) -> bool:
    """True for a ctypes Structure or Union class."""
    return isinstance(cls, type) and issubclass(cls, ctypes.Structure | ctypes.Union)


def _simple_ffi(ctype: Any) -> str:
    code = getattr(ctype, "_type_", "")
    size = ctypes.sizeof(ctype)
    if code in ("f",):
        return "float"
    if code in ("d", "g") and size == 8:
        return "double"
    if code in ("P", "z", "Z", "O"):
        return "pointer"
    if isinstance(code, str) and code in "bhilqc":
        return _SIGNED[size]
    return _UNSIGNED.get(size, "uint8")


def _elements(ctype: Any) -> list[tuple[int, int, int]] | None:
    """(ffi type, size, alignment) of the parts of one field's type, None for unions."""
    if _subclass(ctype, ctypes.Union):
        return None
    if _subclass(ctype, ctypes.Structure):
        address = struct_ffi_type(ctype)
        return [(address, ctypes.sizeof(ctype), ctypes.alignment(ctype))]
    if _subclass(ctype, ctypes.Array):
        inner = _elements(ctype._type_)
        return None if inner is None else inner * ctype._length_
    name = _simple_ffi(ctype)
    return [(ffi_scalar(name), ctypes.sizeof(ctype), ctypes.alignment(ctype))]


def _chunks(cls: Any) -> list[int]:
    """Integer parts of the class's size and alignment (for unions, packed and bit-field
    layouts: right for the Microsoft convention, which looks only at the size)."""
    size, align = ctypes.sizeof(cls), ctypes.alignment(cls)
    unit = max(u for u in (1, 2, 4, 8) if u <= align and size % u == 0)
    return [ffi_scalar(_UNSIGNED[unit])] * (size // unit)


def struct_ffi_type(cls: Any) -> int:
    """The libffi type of a ctypes Structure/Union class (built once, kept)."""
    known = _ffi_types.get(cls)
    if known is not None:
        return known[0]
    parts: list[int] | None = None
    offset = align = 0
    if issubclass(cls, ctypes.Structure):
        found: list[int] = []
        for field in cls._fields_:
            sub = None if len(field) > 2 else _elements(field[1])
            if sub is None:
                break
            for address, size, alignment in sub:
                offset = (offset + alignment - 1) // alignment * alignment + size
                align = max(align, alignment)
                found.append(address)
        else:
            parts = found
    if parts is not None and align:
        natural = (offset + align - 1) // align * align
        if natural != ctypes.sizeof(cls) or align != ctypes.alignment(cls) or not parts:
            parts = None
    if parts is None:
        parts = _chunks(cls)
    with _lock:
        if cls not in _ffi_types:
            _ffi_types[cls] = _ffi.struct_type(parts)
        return _ffi_types[cls][0]


def same_layout(value: object, cls: Any) -> bool:
    """True when *value* is a ctypes instance of *cls*, or of a class with its name and size
    (the same layout generated into another package)."""
    kind: Any = type(value)
    return kind is cls or (
        is_layout(kind)
        and kind.__name__ == cls.__name__
        and ctypes.sizeof(kind) == ctypes.sizeof(cls)
    )


def to_layout(cls: Any, value: object, keep: list[Any]) -> Any:
    """*value* as an instance of the ctypes layout *cls*.

    Takes an instance (of *cls* or a same-named, same-sized layout), a dataclass (the
    generated ``structs`` module's) or a mapping of field names; nested structures, arrays
    (sequences), strings and pointed-to structures are converted too.  Memory the result
    points into is appended to *keep*.  Raises TypeError for anything else.
    """
    if type(value) is cls:
        return value
    if same_layout(value, cls):
        keep.append(value)
        return cls.from_address(ctypes.addressof(value))  # type: ignore[arg-type]
    names = _dataclass_names.get(type(value), ()) or _dataclass_fields(type(value))
    if names is not None:
        items: Any = [(name, getattr(value, name)) for name in names]
    elif isinstance(value, Mapping):
        items = value.items()
    else:
        raise TypeError(
            f"expected {cls.__name__} (ctypes), a dataclass or a mapping, "
            f"got {type(value).__name__}"
        )
    handlers = _handlers(cls)
    result = cls()
    for name, item in items:
        if item is None:
            continue  # a NULL pointer, or an absent member: left zeroed
        handler = handlers.get(name) or handlers.get(name.rstrip("_"))
        if handler is None:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        field, convert = handler
        try:
            setattr(result, field, item if convert is None else convert(item, keep))
        except (TypeError, ValueError, OverflowError) as exc:
            raise type(exc)(f"field {name!r} of {cls.__name__}: {exc}") from None
    keep.append(result)
    return result


_dataclass_names: dict[type, tuple[str, ...] | None] = {}
_field_handlers: dict[type, dict[str, tuple[str, Any]]] = {}


def _dataclass_fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type (None for other types), cached."""
    if kind not in _dataclass_names:
        _dataclass_names[kind] = (
            tuple(f.name for f in dataclasses.fields(kind))
            if dataclasses.is_dataclass(kind)
            else None
        )
    return _dataclass_names[kind]


def _handlers(cls: Any) -> dict[str, tuple[str, Any]]:
    """{field name: (name, converter or None for values ctypes takes as they are)}."""
    found = _field_handlers.get(cls)
    if found is None:
        found = {}
        for field in cls._fields_:
            name, ctype = field[0], field[1]
            plain = len(field) > 2 or (
                not is_layout(ctype)
                and not _subclass(ctype, ctypes.Array)
                and not _is_pointer(ctype)
            )
            found[name] = (name, None if plain else _field_converter(ctype))
        for anonymous in getattr(cls, "_anonymous_", ()):
            inner = dict(cls._fields_)[anonymous]
            for name, handler in _handlers(inner).items():
                found.setdefault(name, handler)
        _field_handlers[cls] = found
    return found


def _field_converter(ctype: Any) -> Any:
    if is_layout(ctype):
        return lambda value, keep: to_layout(ctype, value, keep)
    return lambda value, keep: _field_value(ctype, value, keep)


def _field_value(ctype: Any, value: object, keep: list[Any]) -> object:
    if is_layout(ctype):
        return to_layout(ctype, value, keep)
    if _subclass(ctype, ctypes.Array):
        if isinstance(value, ctypes.Array):
            return value
        if isinstance(value, str) and ctype._type_ in (ctypes.c_char, ctypes.c_wchar):
            return value
        if not isinstance(value, Sequence) or isinstance(value, str | bytes):
            raise TypeError(f"expected a sequence, got {type(value).__name__}")
        if len(value) > ctype._length_:
            raise ValueError(f"{len(value)} items for an array of {ctype._length_}")
        return ctype(*(_field_value(ctype._type_, v, keep) for v in value))
    if _is_pointer(ctype):
        return _pointer_value(ctype, value, keep)
    return value


def _is_pointer(ctype: Any) -> bool:
    return isinstance(ctype, type) and (
        issubclass(ctype, ctypes._Pointer) or getattr(ctype, "_type_", "") in ("P", "z", "Z")
    )


def _pointer_value(ctype: Any, value: object, keep: list[Any]) -> object:
    if isinstance(value, int) or value is None:
        return ctypes.cast(value or 0, ctype) if issubclass(ctype, ctypes._Pointer) else value
    target: Any = getattr(ctype, "_type_", None)
    if isinstance(value, str | bytes):
        wide = target in (ctypes.c_uint16, ctypes.c_int16, ctypes.c_wchar)
        data = value.encode("utf-16-le" if wide else "utf-8") if isinstance(value, str) else value
        buffer = ctypes.create_string_buffer(data, len(data) + 2)
        keep.append(buffer)
        return (
            ctypes.cast(buffer, ctype)
            if issubclass(ctype, ctypes._Pointer)
            else ctypes.addressof(buffer)
        )
    if isinstance(value, _CData):
        keep.append(value)
        if issubclass(ctype, ctypes._Pointer):
            return (
                ctypes.cast(ctypes.pointer(value), ctype)
                if not isinstance(value, ctypes._Pointer)
                else value
            )
        return ctypes.addressof(value)
    if issubclass(ctype, ctypes._Pointer) and is_layout(target):
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            array = (target * max(len(value), 1))(*(to_layout(target, v, keep) for v in value))
            keep.append(array)
            return ctypes.cast(array, ctype)
        inner = to_layout(target, value, keep)
        return ctypes.pointer(inner)
    raise TypeError(f"expected a pointer value, got {type(value).__name__}")
