"""Reference counting of proxies, and bad use: clear Python errors, never a crash.

The C test object counts its references (``ObjectRefs``) and its live objects
(``LiveObjects``); the ``t`` fixture also fails a test that leaves anything alive.
"""

from __future__ import annotations

import gc
import uuid
from typing import Any

import pytest

from idlgen.runtime import COMError, IUnknown
from idlgen.runtime.hresult import E_NOINTERFACE


def test_a_proxy_owns_one_reference_released_once(t: Any) -> None:
    from idlgen.runtime import native

    o = t.new()
    assert t.api.LiveObjects() == 1
    assert t.api.ObjectRefs(o) == 1
    assert o.AddRef() == 2  # the raw native calls are there, and pair up
    assert o.Release() == 1
    assert o.release() == 0  # the object is gone
    assert t.api.LiveObjects() == 0
    assert o.release() == 0  # a second release does nothing
    assert native.is_released(o)
    with pytest.raises(native.ReleasedProxyError, match="ITestObject proxy was released"):
        o.Increment(1)
    with pytest.raises(native.ReleasedProxyError):
        o.QueryInterface(IUnknown)
    with pytest.raises(native.ReleasedProxyError):
        _ = o.Name
    with pytest.raises(native.ReleasedProxyError):
        native.address_of(o)
    with pytest.raises(native.ReleasedProxyError):
        t.api.ObjectRefs(o)  # a released proxy as an argument
    assert "released" in repr(o)


def test_with_block_and_garbage_collection_release(t: Any) -> None:
    with t.new() as o:
        assert o.Increment(1) == 2
        assert t.api.LiveObjects() == 1
    assert t.api.LiveObjects() == 0
    o = t.new()
    q = o.QueryInterface(t.package.ITestDual)
    assert t.api.ObjectRefs(q) == 2
    del o
    gc.collect()
    assert t.api.ObjectRefs(q) == 1
    del q
    gc.collect()
    assert t.api.LiveObjects() == 0


def test_query_interface(t: Any) -> None:
    o = t.new()
    for asked in (t.package.ITestDual, t.package.ITestDual.IID, str(t.package.ITestDual.IID)):
        dual = o.QueryInterface(asked)
        assert isinstance(dual, t.package.ITestDual)
        assert dual.Twice(2) == 4
    unknown = o.QueryInterface(IUnknown)
    assert type(unknown).__name__ == "IUnknownProxy"
    with pytest.raises(COMError) as info:
        o.QueryInterface(uuid.uuid4())  # a wrong IID
    assert info.value.hresult == E_NOINTERFACE
    with pytest.raises(TypeError, match="GUID"):
        o.QueryInterface(42)


def test_refcounts_return_to_the_start_after_every_kind_of_call(t: Any) -> None:
    o = t.new()
    other = t.new()
    start = (t.api.ObjectRefs(o), t.api.ObjectRefs(other))
    clone, asked = o.Interfaces(other, t.package.ITestObject)
    del clone, asked
    o.Variants(other, None)
    o.SafeArrays([1], ["x"])
    o.Swap(None)
    gc.collect()
    assert (t.api.ObjectRefs(o), t.api.ObjectRefs(other)) == start


def test_wrong_argument_types_name_the_parameter(t: Any) -> None:
    o = t.new()
    with pytest.raises(
        TypeError, match=r"ITestObject\.Increment\(\) argument 'x': expected an int, got str"
    ):
        o.Increment("1")
    with pytest.raises(OverflowError, match=r"argument 'e'.*does not fit i32"):
        o.EchoInts(0, 0, 0, 0, 2**32, 0, 0, 0)
    with pytest.raises(TypeError, match=r"argument 'd': expected a number"):
        o.Floats(1.0, "2")
    with pytest.raises(TypeError, match=r"argument 'text': expected a str"):
        o.Bstrs(5, "x")
    with pytest.raises(
        TypeError, match=r"argument 'other': expected a ITestObject proxy, got ITestDual"
    ):
        o.Interfaces(o.QueryInterface(t.package.ITestDual), IUnknown)
    with pytest.raises(
        TypeError, match=r"argument 'other': _PythonObject does not implement ITestObject"
    ):
        o.Interfaces(_PythonObject(), IUnknown)
    with pytest.raises(TypeError, match=r"argument 'other': expected a ITestObject proxy or"):
        o.Interfaces(object(), IUnknown)
    with pytest.raises(TypeError, match=r"argument 'point'"):
        o.Structs(5, {}, {}, {})
    with pytest.raises(TypeError, match=r"TPoint has no field 'z'"):
        o.Structs({"z": 1}, {}, {}, {})
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\), 2 given"):
        o.Increment(1, 2)
    with pytest.raises(TypeError, match=r"missing argument 'x'"):
        o.Increment()
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'y'"):
        o.Increment(y=1)
    assert o.Increment(1) == 2  # nothing was left half done


class _PythonObject(IUnknown):
    """A pure-Python object of no described interface (exposed, it answers only IUnknown)."""


def test_bad_pointers_and_libraries(t: Any, tmp_path: Any) -> None:
    from idlgen.runtime import native

    with pytest.raises(native.NullPointerError):
        native.wrap(0, t.package.ITestObject)
    with pytest.raises(native.NullPointerError):
        native.wrap(None, t.package.ITestObject)
    with pytest.raises(TypeError, match="expected an address"):
        native.wrap("0x1234", t.package.ITestObject)
    with pytest.raises(native.DescriptionError, match="not an interface class"):
        native.wrap(1, int)
    with pytest.raises(ValueError, match="abi must be"):
        native.load(str(tmp_path / "x.so"), abi="stdcall")
    with pytest.raises(OSError):
        native.load(str(tmp_path / "missing.so"))
    api = t.lib.bind(t.package)
    with pytest.raises(AttributeError, match="no function 'Nope'"):
        _ = api.Nope
    assert "CreateTestObject" in dir(api)


def test_a_missing_export_is_an_error_when_called(t: Any, testobj: Any) -> None:
    from idlgen.runtime import native
    from idlgen.runtime.native import description as d

    f = t.lib.function(d.Function("NotExported", "i32", ()))
    with pytest.raises(OSError, match="does not export NotExported"):
        f()
    del native


def test_interfaces_without_description_are_refused() -> None:
    from idlgen.runtime import native

    class IUndescribed(IUnknown):
        IID = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")

    with pytest.raises(native.DescriptionError, match=r"no vtable description of .*IUndescribed"):
        native.wrap(1, IUndescribed)


def test_a_pointer_to_a_type_without_layout(t: Any) -> None:
    from idlgen.runtime import native
    from idlgen.runtime.native import description as d

    # PlainAdd(LONG, LONG) described with a pointer to an unknown struct as its first
    # parameter: NULL (low half 0) still goes through, a value to convert cannot
    add = t.lib.function(
        d.Function("PlainAdd", "i32", (d.Param("a", "*struct:Nope"), d.Param("b", "i32")), "cdecl")
    )
    assert add(None, 5) == 5
    with pytest.raises(native.DescriptionError, match=r"PlainAdd\(\) argument 'a': struct Nope"):
        add({"x": 1}, 5)
