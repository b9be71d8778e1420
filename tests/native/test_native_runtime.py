"""Pieces of ``idlgen.runtime.native`` on their own: libffi, type codes, layouts, automation."""

from __future__ import annotations

import ctypes
import datetime
import decimal
import subprocess
import sys
import uuid
from typing import Any

import pytest
from conftest import ABIS, X86_64

from idlgen.runtime.native import _ffi
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native.layouts import struct_ffi_type, to_layout
from idlgen.runtime.native.typecodes import (
    ArrayOf,
    Named,
    PointerTo,
    SafeArrayOf,
    Scalar,
    parse_type,
)


def test_importing_the_runtime_does_not_load_native_code() -> None:
    script = (
        "import sys, idlgen.runtime\n"
        "import idlgen.runtime.native.description\n"
        "print(sorted(m for m in sys.modules if m == 'ctypes' or '.native.' in m))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['idlgen.runtime.native.description']"


def test_type_codes() -> None:
    assert parse_type("**iface:IFoo") == PointerTo(PointerTo(Named("iface", "IFoo")))
    assert parse_type("[4]i32") == ArrayOf(4, Scalar("i32"))
    assert parse_type("safearray(*iface:IUnknown)") == SafeArrayOf(
        PointerTo(Named("iface", "IUnknown"))
    )
    for bad in ("", "i33", "struct:", "struct:a-b", "[x]i32", "thing:X", "safearray(i32"):
        with pytest.raises(ValueError, match="not a type code"):
            parse_type(bad)


def test_abi_codes() -> None:
    assert _ffi.abi_code("default") == (2 if X86_64 and sys.platform != "win32" else 1)
    with pytest.raises(ValueError, match="abi must be"):
        _ffi.abi_code("fastcall")
    if X86_64 and sys.platform != "win32":
        assert _ffi.abi_code("ms") == 3  # FFI_WIN64 in ffitarget.h of x86-64 Unix


@pytest.mark.parametrize("abi", ABIS)
def test_a_python_callback_called_in_each_convention(abi: str) -> None:
    # The ground part 2 (native.expose) stands on: a libffi closure in the chosen convention
    # calling Python, called back through ffi_call in the same convention.
    ffi = _ffi.libffi()
    code = _ffi.abi_code(abi)
    i32, f64 = ffi.types["sint32"], ffi.types["double"]
    cif = _ffi.prepare(code, f64, [i32, f64])
    seen: list[tuple[int, float]] = []

    @ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
    def handler(cif_: Any, result: Any, args: Any, user: Any) -> None:
        pointers = ctypes.cast(args, ctypes.POINTER(ctypes.c_void_p))
        a = ctypes.c_int32.from_address(pointers[0]).value
        b = ctypes.c_double.from_address(pointers[1]).value
        seen.append((a, b))
        ctypes.c_double.from_address(result).value = a * b

    code_address = ctypes.c_void_p()
    closure = ffi.closure_alloc(64, ctypes.byref(code_address))
    assert closure
    try:
        status = ffi.prep_closure_loc(
            closure, cif.address, ctypes.cast(handler, ctypes.c_void_p), None, code_address
        )
        assert status == 0
        a, b = ctypes.c_int32(6), ctypes.c_double(7.5)
        args = (ctypes.c_void_p * 2)(ctypes.addressof(a), ctypes.addressof(b))
        result = ctypes.c_double()
        ffi.call(cif.address, code_address.value, ctypes.addressof(result), ctypes.addressof(args))
        assert result.value == 45.0 and seen == [(6, 7.5)]
    finally:
        ffi.closure_free(closure)


def test_struct_ffi_types_follow_the_layout() -> None:
    class Natural(ctypes.Structure):
        _fields_ = [("a", ctypes.c_uint8), ("b", ctypes.c_double), ("c", ctypes.c_int16 * 3)]

    class Packed(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("a", ctypes.c_uint8), ("b", ctypes.c_uint32)]

    class Bits(ctypes.Structure):
        _fields_ = [("a", ctypes.c_uint32, 3), ("b", ctypes.c_uint32, 5)]

    ffi = _ffi.libffi()
    for cls in (Natural, Packed, Bits):
        address = struct_ffi_type(cls)
        assert struct_ffi_type(cls) == address  # built once
        # preparing a cif computes the ffi_type's size: it must be the C size
        _ffi.prepare(_ffi.abi_code("default"), address, [address])
        described = _ffi.FFIType.from_address(address)
        assert (described.size, described.alignment) == (ctypes.sizeof(cls), ctypes.alignment(cls))
    del ffi


def test_struct_conversion_from_mappings_and_dataclasses() -> None:
    import dataclasses

    class Point(ctypes.Structure):
        _fields_ = [("x", ctypes.c_int32), ("y", ctypes.c_int32)]

    class Shape(ctypes.Structure):
        _fields_ = [
            ("origin", Point),
            ("corners", Point * 2),
            ("name", ctypes.c_char_p),
            ("next", ctypes.POINTER(Point)),
        ]

    @dataclasses.dataclass
    class PointData:
        x: int
        y: int

    keep: list[Any] = []
    shape = to_layout(
        Shape,
        {"origin": PointData(1, 2), "corners": [{"x": 3, "y": 4}, Point(5, 6)], "name": "n",
         "next": {"x": 7, "y": 8}},
        keep,
    )  # fmt: skip
    assert (shape.origin.x, shape.corners[1].y, shape.name, shape.next.contents.y) == (
        1,
        6,
        b"n",
        8,
    )
    with pytest.raises(TypeError, match="Point has no field 'z'"):
        to_layout(Point, {"z": 1}, keep)
    with pytest.raises(ValueError, match="3 items for an array of 2"):
        to_layout(Shape, {"corners": [Point(), Point(), Point()]}, keep)
    with pytest.raises(TypeError, match="expected Point"):
        to_layout(Point, 5, keep)


def test_own_bstr_layout() -> None:
    own = ole.OwnAutomation()
    address = own.bstr_alloc("hé😀")
    try:
        assert ctypes.c_uint32.from_address(address - 4).value == 8  # bytes, not characters
        assert ctypes.string_at(address, 10) == "hé😀".encode("utf-16-le") + b"\0\0"
        assert ole.read_bstr(address) == "hé😀"
    finally:
        own.bstr_free(address)
    assert ole.read_bstr(0) == ""
    array = own.safearray_create(ole.VT_I4, 3, 4)
    try:
        sa = ole.SAFEARRAY.from_address(array)
        assert (sa.cDims, sa.cbElements, sa.rgsabound[0].cElements) == (1, 4, 3)
        assert ctypes.c_uint32.from_address(array - 4).value == ole.VT_I4
    finally:
        own.safearray_destroy_memory(array)


def test_automation_values() -> None:
    for when in (
        datetime.datetime(2024, 2, 29, 18, 30),
        datetime.datetime(1899, 12, 30),
        datetime.datetime(1899, 12, 28, 18),
        datetime.datetime(1800, 1, 1, 6),
    ):
        assert ole.date_to_python(ole.date_from_python(when)) == when
    assert ole.date_from_python(datetime.datetime(1899, 12, 28, 18)) == -2.75  # OLE's rule
    assert ole.cy_from_python(decimal.Decimal("1.23456")) == 12346  # rounded to 1/10000
    assert ole.cy_to_python(-5) == decimal.Decimal("-0.0005")
    d = ole.DECIMAL()
    for value in ("0", "-1.5", "79228162514264337593543950335", "0.0000000000000000000000000001"):
        ole.decimal_from_python(decimal.Decimal(value), d)
        assert ole.decimal_to_python(d) == decimal.Decimal(value)
    with pytest.raises(OverflowError):
        ole.decimal_from_python(decimal.Decimal("1e40"), d)
    g = ole.guid_struct(uuid.UUID("00112233-4455-6677-8899-aabbccddeeff"))
    assert (g.Data1, g.Data2, g.Data3, bytes(g.Data4)) == (
        0x00112233, 0x4455, 0x6677, bytes.fromhex("8899aabbccddeeff"),
    )  # fmt: skip
    assert g.to_uuid() == uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    assert ctypes.sizeof(ole.VARIANT) == (24 if ctypes.sizeof(ctypes.c_void_p) == 8 else 16)


def test_the_c_object_with_idlgens_own_allocator(testobj: Any, testobj_paths: Any) -> None:
    # Strings, variants and arrays the library and idlgen free for each other: both sides use
    # the layout of idlgen's own implementation (the default where oleaut32 is absent).
    from conftest import TestLibrary

    for abi in ABIS:
        t = TestLibrary(abi, testobj_paths[abi], testobj)
        o = t.new()
        assert o.Bstrs("abc", "xy") == ("abc!", "yx", 3)
        assert o.Variants("hi", None) == ("BSTR:2", "hihi")
        assert o.SafeArrays([1, 2], ["a"]) == ([2, 4], [3, "a", 2.0])
        assert o.Strings("a", "b", "c") == ("A|c", "B")
        o.release()
        assert t.api.LiveObjects() == 0
