"""IDispatch both ways: C drives a Python object by GetIDsOfNames/Invoke, Python drives the
C object's ITestDual by name (testobj.c implements its Invoke)."""

from __future__ import annotations

import gc
import logging
from types import ModuleType
from typing import Any

import pytest
from implementations import classes

from idlgen.runtime import (
    DISP_E_BADPARAMCOUNT,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_PARAMNOTFOUND,
    DISP_E_TYPEMISMATCH,
    DISP_E_UNKNOWNNAME,
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    E_INVALIDARG,
    ByRef,
    COMError,
)


@pytest.fixture(scope="module")
def impl(testobj: ModuleType) -> dict[str, type]:
    return classes(testobj)


def test_native_client_invokes_a_python_object(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    dual = impl["dual"]()
    assert t.api.DriveDispatch(dual) == 0  # 18 checks in testpeer.c
    assert dual.Value == 7  # set by a DISPATCH_PROPERTYPUT
    gc.collect()
    assert native.exposed_refs(dual, abi=t.abi) == 0


def test_the_idispatch_of_a_dual_implementation_is_its_dual_vtable(
    t: Any, impl: dict[str, type]
) -> None:
    from idlgen.runtime import IDispatch, native
    from idlgen.runtime.native import _ffi, proxy
    from idlgen.runtime.native.registry import describe

    dual = impl["dual"]()
    pointer = native.expose(dual, IDispatch, abi=t.abi)
    interface = t.package.ITestDual
    through = proxy.proxy_class(describe(interface), _ffi.abi_code(t.abi), interface)(pointer)
    assert through.Twice(21) == 42  # slot 9: the IDispatch pointer has the dual's vtable
    through.release()
    assert native.exposed_refs(dual, abi=t.abi) == 0


def test_a_dual_proxy_invokes_natively(t: Any) -> None:
    dual = t.new(t.package.ITestDual)
    assert dual.GetIDsOfNames("Twice") == [2]
    assert dual.GetIDsOfNames("Value") == [1]
    with pytest.raises(COMError) as raised:
        dual.GetIDsOfNames("Missing")
    assert raised.value.hresult == DISP_E_UNKNOWNNAME
    assert "no member 'Missing'" in str(raised.value)
    assert dual.GetTypeInfoCount() == 0
    dual.Invoke(1, DISPATCH_PROPERTYPUT, [41])  # the value named DISPID_PROPERTYPUT
    assert dual.Value == 41  # through the vtable: the same object
    assert dual.Invoke(1, DISPATCH_PROPERTYGET) == 41
    assert dual.Invoke(2, DISPATCH_METHOD, [5]) == 10
    with pytest.raises(COMError) as raised:
        dual.Invoke(2, DISPATCH_METHOD, [])
    assert raised.value.hresult == DISP_E_BADPARAMCOUNT
    with pytest.raises(COMError) as raised:
        dual.Invoke(77, DISPATCH_METHOD, [])
    assert raised.value.hresult == DISP_E_MEMBERNOTFOUND
    with pytest.raises(COMError) as raised:
        dual.Invoke(2, DISPATCH_METHOD, ["x"])
    assert raised.value.hresult == DISP_E_TYPEMISMATCH
    assert "argument 0" in str(raised.value)
    dual.release()


def test_excepinfo_becomes_the_error(t: Any) -> None:
    dual = t.new(t.package.ITestDual)
    with pytest.raises(COMError) as raised:
        dual.Invoke(2, DISPATCH_METHOD, [-3])
    assert raised.value.hresult == E_INVALIDARG  # EXCEPINFO's scode, not DISP_E_EXCEPTION
    assert "negative (from TestObject)" in str(raised.value)
    dual.release()  # and the EXCEPINFO strings were freed: the fixture counts them


def test_by_reference_arguments(t: Any) -> None:
    dual = t.new(t.package.ITestDual)
    x = ByRef(21)
    assert dual.Invoke(2, DISPATCH_METHOD, [x]) == 42
    assert x.value == 42  # testobj.c doubles a VT_BYREF|VT_I4 in place
    dual.release()


def test_late_binding_by_name(t: Any) -> None:
    from idlgen.runtime import native

    obj = t.new()  # an ITestObject proxy: Dispatch asks it for IDispatch
    with native.Dispatch(obj) as late:
        late.Value = 12  # a put
        assert late.Value() == 12  # a member to call without an interface
        assert late.Twice(4) == 8
        assert late.get("Value") == 12
        late.put("Value", 3)
        assert late.invoke("Twice", 3) == 6
        assert late.dispid("twice") == 2
        with pytest.raises(COMError) as raised:
            late.Nothing()
        assert raised.value.hresult == DISP_E_UNKNOWNNAME
    with native.Dispatch(obj, t.package.ITestDual) as typed:
        assert typed.Value == 3  # a property, read as such with the interface's members
        assert typed.Twice(5) == 10
    with pytest.raises(TypeError, match="expected a native proxy"):
        native.Dispatch(object())
    obj.release()


def test_python_server_errors_as_windows_gives_them(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    from idlgen.runtime import native
    from idlgen.runtime.native import _ffi, proxy
    from idlgen.runtime.native import description as d

    class Failing(impl["dual"]):  # type: ignore[misc,valid-type]
        def Twice(self, x: int) -> int:
            raise KeyError("surprise")

    obj = Failing()
    pointer = native.expose(obj, t.package.ITestDual, abi=t.abi)
    # a proxy of plain IDispatch over our own pointer: Invoke goes through native code
    late = proxy.proxy_class(d.IDISPATCH, _ffi.abi_code(t.abi))(pointer)
    assert late.GetIDsOfNames("twice", "X") == [2, 0]
    with (
        caplog.at_level(logging.ERROR, logger="idlgen.runtime.native"),
        pytest.raises(COMError) as raised,
    ):
        late.Invoke(2, DISPATCH_METHOD, [1])
    assert raised.value.hresult == 0x80004005  # E_FAIL in EXCEPINFO's scode
    assert "KeyError" in str(raised.value) and "(from Failing)" in str(raised.value)
    assert any("raised KeyError" in r.getMessage() for r in caplog.records)
    with pytest.raises(COMError) as raised:
        late.Invoke(1, DISPATCH_PROPERTYPUT, [])  # no value: no DISPID_PROPERTYPUT argument
    assert raised.value.hresult == DISP_E_PARAMNOTFOUND
    late.Invoke(1, DISPATCH_PROPERTYPUT, ["9"])  # coerced to the LONG of the propput
    assert obj.Value == 9
    with pytest.raises(COMError) as raised:
        late.Invoke(1, DISPATCH_PROPERTYPUT, [2**40])
    assert raised.value.hresult == 0x8002000A  # DISP_E_OVERFLOW
    late.release()
    gc.collect()
    assert native.exposed_refs(obj, abi=t.abi) == 0
