"""Calls into the C test object, in both calling conventions: every marshalling case.

Each test gets ``t`` (conftest): the library built with the platform's convention or with
``ms_abi``, bound to the package generated from testobj.idl, with the library's own
allocators in use, and a check at the end that every object, string and array the library
allocated was freed.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime
import decimal
import gc
import threading
import uuid
from typing import Any

import pytest

from idlgen.runtime import ByRef, COMError
from idlgen.runtime.hresult import E_FAIL, E_INVALIDARG, E_NOINTERFACE


def test_integers_of_every_width_and_sign(t: Any) -> None:
    o = t.new()
    values = (-128, 255, -32768, 65535, -(2**31), 2**32 - 1, -(2**63), 2**64 - 1)
    assert o.EchoInts(*values) == values
    values = (127, 0, 32767, 0, 2**31 - 1, 0, 2**63 - 1, 0)
    assert o.EchoInts(*values) == values
    # the C signed/unsigned conversion: -1 fits an unsigned parameter as all ones
    assert o.EchoInts(0, -1, 0, -1, 0, -1, 0, -1)[1::2] == (255, 65535, 2**32 - 1, 2**64 - 1)


def test_floats_bools_and_plain_returns(t: Any) -> None:
    o = t.new()
    assert o.Floats(1.25, 2.5) == (2.5, 5.0)
    assert o.Floats(3, -1) == (6.0, -2.0)  # ints are numbers
    assert o.Bools(True, False, True) == (False, True, False)
    assert o.Bools(0, 1, False) == (True, False, True)
    assert o.Increment(41) == 42  # a LONG return value, not an HRESULT
    assert o.Increment(-(2**31)) == -(2**31) + 1
    assert o.Half(3.0) == 1.5


def test_failed_hresult_raises_comerror_with_the_code(t: Any) -> None:
    o = t.new()
    with pytest.raises(COMError) as info:
        o.Fail(E_FAIL)
    assert info.value.hresult == E_FAIL
    assert "ITestObject.Fail" in str(info.value)
    with pytest.raises(COMError) as info:
        o.Fail(-2147024809)  # E_INVALIDARG as a signed long
    assert info.value.hresult == E_INVALIDARG
    assert o.Fail(1) is None  # S_FALSE succeeds


def test_guids_by_reference_and_by_value(t: Any) -> None:
    o = t.new()
    iid = t.package.ITestObject.IID
    zero = uuid.UUID(int=0)
    assert o.Guids(t.package.ITestObject, zero) == iid  # an interface class is its IID
    assert o.Guids(iid, zero) == iid
    assert o.Guids(str(iid), iid) == zero
    other = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    expected = bytes(a ^ b for a, b in zip(iid.bytes_le, other.bytes_le, strict=True))
    assert o.Guids(iid, other) == uuid.UUID(bytes_le=expected)


def test_strings_in_and_out(t: Any) -> None:
    o = t.new()
    assert o.Strings("abc", "xyz", "ole") == ("ABC|ole", "XYZ")
    assert o.Strings("", "", "") == ("|", "")
    assert o.Strings("é😀", "ü", "x") == ("é😀|x", "ü".encode().decode())
    assert t.api.Describe(42) == "value=42"


def test_bstrs_in_out_inout_and_retval(t: Any) -> None:
    o = t.new()
    assert o.Bstrs("hello", "abc") == ("hello!", "cba", 5)
    assert o.Bstrs("", "") == ("!", "", 0)
    # embedded NULs survive (BSTRs carry their length); the object reverses UTF-16 units
    assert o.Bstrs("a\0b", "😀") == ("a\0b!", "\ude00\ud83d", 3)
    assert o.Name == "test"  # a propget returning a BSTR
    o.Name = "renamed"
    assert o.Name == "renamed"


def test_variants(t: Any) -> None:
    o = t.new()
    assert o.Variants(5, 3) == ("I4:5", 13)
    assert o.Variants(5, None) == ("I4:5", 10)
    assert o.Variants(2.5, None) == ("R8:2.5", 5.0)
    assert o.Variants(True, None) == ("BOOL:-1", True)
    assert o.Variants("hi", None) == ("BSTR:2", "hihi")
    assert o.Variants(None, None) == ("EMPTY", None)
    other = t.new()
    description, same = o.Variants(other, None)
    assert description == "UNKNOWN"
    assert same.QueryInterface(t.package.ITestObject).Increment(1) == 2
    assert t.api.ObjectRefs(other) == 2  # other and same (the QueryInterface result is gone)
    del same
    gc.collect()
    assert t.api.ObjectRefs(other) == 1


def test_safearrays(t: Any) -> None:
    o = t.new()
    assert o.SafeArrays([1, 2, 3], ["a", "bc"]) == ([2, 4, 6], [6, "a bc", 3.0])
    assert o.SafeArrays((), ()) == ([], [0, "", 0.0])


def test_structs_by_value_and_by_pointer(t: Any) -> None:
    o = t.new()
    abi, structs = t.package.abi, t.package.structs
    point = abi.TPoint(1, 2)
    rect = abi.TRect(abi.TPoint(1, 1), abi.TPoint(2, 2))
    total, moved, mixed = o.Structs(
        point, rect, abi.TRect(abi.TPoint(10, 20), abi.TPoint(30, 40)), abi.TPoint(10, 10)
    )
    assert (total.topLeft.x, total.topLeft.y, total.bottomRight.x, total.bottomRight.y) == (
        11,
        21,
        32,
        42,
    )
    assert (moved.x, moved.y) == (11, 12)
    assert (mixed.b, mixed.d, mixed.s, mixed.f) == (7, 1.5, -3, 1.5)
    assert bytes(mixed.tag).decode("utf-16-le").rstrip("\0") == "mixed"
    # the generated dataclasses and plain mappings are accepted too
    as_dataclass = structs.TPoint(x=5, y=6)
    assert dataclasses.is_dataclass(as_dataclass)
    as_mapping = {"topLeft": {"x": 1, "y": 2}, "bottomRight": {"x": 3, "y": 4}}
    total, moved, _ = o.Structs(as_dataclass, as_mapping, rect, {"x": 0, "y": 0})
    assert (total.topLeft.x, total.bottomRight.y) == (2, 6)
    assert (moved.x, moved.y) == (5, 6)


def test_struct_with_pointers_inside(t: Any) -> None:
    o = t.new()
    abi = t.package.abi
    named = {"name": "abc", "count": 2, "points": [abi.TPoint(1, 2), abi.TPoint(3, 4)]}
    assert o.Named(named) == 3 + 1 + 2 + 3 + 4


def test_struct_returns_through_the_hidden_pointer(t: Any) -> None:
    o = t.new()
    bounds = o.Bounds(3)  # 16 bytes
    assert (bounds.topLeft.x, bounds.topLeft.y, bounds.bottomRight.x, bounds.bottomRight.y) == (
        3,
        6,
        9,
        12,
    )
    origin = o.Origin(5)  # 8 bytes: still through the pointer for a method
    assert (origin.x, origin.y) == (5, -5)
    assert isinstance(origin, t.package.abi.TPoint)


def test_struct_returns_of_functions_by_value(t: Any) -> None:
    r = t.api.MakeRect(1, 2, 3, 4)  # 16 bytes: registers (System V) or a hidden pointer (ms)
    assert (r.topLeft.x, r.topLeft.y, r.bottomRight.x, r.bottomRight.y) == (1, 2, 3, 4)
    p = t.api.MakePoint(5, -6)
    assert (p.x, p.y) == (5, -6)


def test_mixed_float_and_integer_arguments(t: Any) -> None:
    # register assignment differs between the conventions: ms counts positions, System V
    # counts integer and float registers apart; 8 arguments spill to the stack on both
    assert t.api.Mix(1.5, 2.5, 3, 4.5, 5.5, 6, 7, 8.5) == 38.5
    assert t.api.PlainAdd(2, 3) == 5  # __cdecl: the platform's convention in either library


def test_unions_by_value(t: Any) -> None:
    o = t.new()
    assert o.Unions(0, t.package.abi.TValue(i=7)) == 7.0
    assert o.Unions(1, {"f": 2.5}) == 2.5


def test_arrays_fixed_sized_and_length_is(t: Any) -> None:
    o = t.new()
    assert o.Arrays([1, 2, 3, 4], 5, [1, 2, 3, 4, 6]) == ([2, 4, 6], 3)
    assert o.Arrays((4, 3, 2, 1), 0, []) == ([], 0)
    with pytest.raises(COMError) as info:
        o.Arrays([1, 1, 1, 1], 1, [2])  # the object checks the fixed array
    assert info.value.hresult == E_INVALIDARG
    with pytest.raises(ValueError, match=r"'items'.*2 item.*size_is asks for 5"):
        o.Arrays([1, 2, 3, 4], 5, [1, 2])


def test_interface_pointers_in_and_out(t: Any) -> None:
    o = t.new()
    assert t.api.ObjectRefs(o) == 1
    clone, dual = o.Interfaces(o, t.package.ITestDual)
    assert isinstance(clone, t.package.ITestObject)
    assert isinstance(dual, t.package.ITestDual)  # [out, iid_is(riid)] void**
    assert t.api.ObjectRefs(o) == 2  # the dual proxy holds the second reference
    assert t.api.ObjectRefs(clone) == 1
    dual.Value = 41
    assert dual.Value == 41
    assert dual.Twice(21) == 42
    _, unknown = o.Interfaces(None, uuid.UUID("00000000-0000-0000-c000-000000000046"))
    assert type(unknown).__name__ == "IUnknownProxy"
    del dual, unknown
    gc.collect()
    assert t.api.ObjectRefs(o) == 1
    with pytest.raises(COMError) as info:
        o.Interfaces(None, uuid.uuid4())
    assert info.value.hresult == E_NOINTERFACE


def test_in_out_interface_pointer(t: Any) -> None:
    o = t.new()
    old = t.new()
    new = o.Swap(old)  # the callee releases what it got and stores a new object
    assert t.api.ObjectRefs(old) == 1  # the proxy's own reference is untouched
    assert t.api.ObjectRefs(new) == 1
    assert new.QueryInterface(t.package.ITestObject).Increment(0) == 1
    assert o.Swap(None) is not None


def test_properties_and_indexed_properties(t: Any) -> None:
    o = t.new()
    assert o.Item(3) == 30
    o.set_Item(3, 99)
    assert o.Item(3) == 99
    with pytest.raises(COMError) as info:
        o.Item(8)
    assert info.value.hresult == E_INVALIDARG
    assert o.RefCount() == 1


def test_optional_and_default_arguments(t: Any) -> None:
    o = t.new()
    assert o.Optional(1) == 1 + 7 + 1000  # a missing VARIANT is VT_ERROR/PARAMNOTFOUND
    assert o.Optional(1, 5) == 1 + 7 + 5
    assert o.Optional(1, 5, 10) == 16
    assert o.Optional(a=1, c=2, b=3) == 6  # keywords, by the stubs' names
    assert o.Optional(1, None) == 8  # None is VT_EMPTY


def test_date_currency_and_decimal(t: Any) -> None:
    o = t.new()
    when = datetime.datetime(2024, 1, 1, 12)
    next_day, doubled, negated = o.Money(when, decimal.Decimal("12.3456"), decimal.Decimal("-1.5"))
    assert next_day == datetime.datetime(2024, 1, 2, 12)
    assert doubled == decimal.Decimal("24.6912")
    assert negated == decimal.Decimal("1.5")
    before = datetime.datetime(1899, 12, 29, 6)
    assert o.Money(before, 0, 0)[0] == datetime.datetime(1899, 12, 30, 6)


def test_raw_pointers_and_buffers(t: Any) -> None:
    o = t.new()
    data = bytearray(b"abcdef")
    address = o.Raw(data, len(data))  # a writable buffer is passed in place
    assert data == b"fedcba"
    array = (ctypes.c_char * 4).from_buffer_copy(b"wxyz")
    assert o.Raw(array, 4) == ctypes.addressof(array)
    assert array.raw == b"zyxw"
    assert isinstance(address, int)
    assert o.Raw(b"read-only", 9) != 0  # bytes are copied first


def test_by_reference_holders_for_unattributed_pointers(t: Any) -> None:
    # Bump has no [in]/[out] attributes (as d3d12.idl): its pointers are [in] by the IDL
    # rules, and a ByRef is how Python passes storage for the callee to fill
    from idlgen.runtime import native

    o = t.new()
    value, made, raw = ByRef(41), ByRef(None), ByRef(None)
    assert o.Bump(value, made, raw) is None
    assert value.value == 42
    assert type(made.value).__name__ == "IUnknownProxy"  # a typed IUnknown** gives a proxy
    assert isinstance(raw.value, int)  # a void** gives the address
    with native.wrap(raw.value, t.package.ITestObject, abi=t.abi) as wrapped:
        assert wrapped.Increment(1) == 2
    counts = (ctypes.c_int32 * 1)(5)
    o.Bump(counts, None, None)  # a ctypes object is passed by address
    assert counts[0] == 6
    o.Bump(7, None, None)  # a plain value for a pointer to a scalar: passed by reference


def test_proxies_are_instances_of_the_generated_classes(t: Any) -> None:
    o = t.new()
    assert isinstance(o, t.package.ITestObject)
    assert type(o).__mro__[1].__name__ == "NativeProxy"
    assert o.Increment(x=1) == 2


def test_create_instance_through_the_class_factory(t: Any) -> None:
    from idlgen.runtime import native
    from idlgen.runtime.hresult import CLASS_E_CLASSNOTAVAILABLE

    with native.create_instance(t.lib, t.package.TestObject, t.package.ITestDual) as dual:
        assert dual.Twice(4) == 8
        assert isinstance(dual, t.package.ITestDual)
        # late binding by the IDL's DISPIDs (the runtime's IDispatch, calling the vtable)
        assert dual.Invoke(dual.GetIDsOfNames("Twice")[0], 1, [5]) == 10
    with pytest.raises(COMError) as info:
        native.create_instance(t.lib, uuid.uuid4(), t.package.ITestObject)
    assert info.value.hresult == CLASS_E_CLASSNOTAVAILABLE
    with pytest.raises(COMError) as info:
        native.create_instance(t.lib, t.package.TestObject, uuid.uuid4())
    assert info.value.hresult == E_NOINTERFACE


def test_calls_from_several_threads(t: Any) -> None:
    o = t.new()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(300):
                assert o.EchoInts(n, i % 256, -i, i, n * i, i, -n, n)[4] == n * i
                assert o.Bstrs(f"{n}-{i}", "ab") == (f"{n}-{i}!", "ba", len(f"{n}-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
