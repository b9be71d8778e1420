"""native.expose: C code calls Python implementations through vtables (testpeer.c).

Every test runs against both builds of the C library (the platform's convention and
``ms_abi``); the ``t`` fixture checks that the library freed every object, string and array.
"""

from __future__ import annotations

import gc
import logging
import weakref
from types import ModuleType
from typing import Any

import pytest
from implementations import classes

from idlgen.runtime import IUnknown
from idlgen.runtime.native import DescriptionError, exposure


@pytest.fixture(scope="module")
def impl(testobj: ModuleType) -> dict[str, type]:
    return classes(testobj)


def test_native_code_calls_every_kind_of_method(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    obj = impl["object"]()
    with caplog.at_level(logging.ERROR, logger="idlgen.runtime.native"):
        assert t.api.DriveObject(obj) == 0  # 43 checks in testpeer.c
    assert native_refs(t, obj) == 0
    logged = [r.getMessage() for r in caplog.records]
    assert any("ITestObject.Fail raised RuntimeError" in m for m in logged)  # check 6
    assert any("ITestObject.Bstrs returned ('fail!', 'tpek', 'not a number')" in m for m in logged)


def test_native_threads_call_python(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    obj = impl["object"]()
    pointer = native.expose(obj, t.package.ITestObject, abi=t.abi)
    assert t.api.CallFromThreads(pointer, 500) == 2 * sum(range(1, 501))
    assert native.release_pointer(pointer, abi=t.abi) == 0


def native_refs(t: Any, obj: object) -> int:
    from idlgen.runtime import native

    gc.collect()
    return int(native.exposed_refs(obj, abi=t.abi))


def test_exceptions_become_hresults_and_are_logged(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    from idlgen.runtime import native

    obj = impl["object"]()
    pointer = native.expose(obj, t.package.ITestObject, abi=t.abi)
    proxy = _proxy_of_pointer(t, pointer, t.package.ITestObject)
    with caplog.at_level(logging.ERROR, logger="idlgen.runtime.native"):
        with pytest.raises(Exception) as raised:
            proxy.Fail(1)  # RuntimeError in Python: E_FAIL for C
        assert getattr(raised.value, "hresult", None) == 0x80004005
        assert proxy.Half(-1.0) == 0.0  # no HRESULT to return: 0, and the error logged
    messages = [r.getMessage() for r in caplog.records]
    assert any("ITestObject.Fail raised RuntimeError: 1 is no failure code" in m for m in messages)
    assert any("ITestObject.Half raised ValueError: no negative halves" in m for m in messages)
    with caplog.at_level(logging.ERROR, logger="idlgen.runtime.native"):
        caplog.clear()
        with pytest.raises(Exception) as raised:
            proxy.Fail(0x80070005)  # a COMError: its own HRESULT, nothing logged
        assert getattr(raised.value, "hresult", None) == 0x80070005
    assert not caplog.records
    proxy.release()
    assert native_refs(t, obj) == 0


def _proxy_of_pointer(t: Any, pointer: int, interface: type) -> Any:
    """A proxy calling through *pointer* — one of ours — natively (wrap would unwrap it)."""
    from idlgen.runtime.native import _ffi, proxy
    from idlgen.runtime.native.registry import describe

    cls = proxy.proxy_class(describe(interface), _ffi.abi_code(t.abi), interface)
    return cls(pointer)


def test_native_references_keep_the_object_alive(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    obj = impl["object"]()
    gone = weakref.ref(obj)
    pointer = native.expose(obj, t.package.ITestObject, abi=t.abi)
    assert native.exposed_refs(obj, abi=t.abi) == 1
    assert native.exposed_object(pointer) is obj
    t.api.Hold(obj)  # C keeps a reference of its own
    assert native.exposed_refs(obj, abi=t.abi) == 2
    assert t.api.CountRefs(obj) == 3  # and the call holds one while it runs
    assert native.exposed_refs(obj, abi=t.abi) == 2
    del obj
    gc.collect()
    assert gone() is not None  # native code holds it
    assert native.release_pointer(pointer, abi=t.abi) == 1
    gc.collect()
    assert gone() is not None
    t.api.Drop()  # the last native reference
    gc.collect()
    assert gone() is None


def test_a_call_after_the_last_release_is_refused_not_a_crash(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    obj = impl["object"]()
    t.api.Hold(obj)
    t.api.Drop()
    with (
        caplog.at_level(logging.ERROR, logger="idlgen.runtime.native"),
        pytest.raises(Exception) as raised,
    ):
        t.api.CallDropped()  # its QueryInterface through the dangling pointer
    assert getattr(raised.value, "hresult", None) == exposure.RPC_E_DISCONNECTED
    assert any("after its last Release" in r.getMessage() for r in caplog.records)


def test_identity_proxies_passed_back_unwrap_to_the_same_object(
    t: Any, impl: dict[str, type]
) -> None:
    from idlgen.runtime import native

    obj = impl["object"]()
    pointer = native.expose(obj, t.package.ITestObject, abi=t.abi)
    assert native.wrap(pointer, t.package.ITestObject, abi=t.abi) is obj  # takes the reference
    assert native.exposed_refs(obj, abi=t.abi) == 0
    other = t.new()
    clone, asked = other.Interfaces(obj, t.package.ITestObject)  # C gets obj and gives a clone
    assert isinstance(clone, native.NativeProxy)
    with clone, asked:
        pass
    # a C object's [in] pointer to a Python object comes back as the object itself
    first = impl["dual"]()
    second = impl["dual"]()
    source = t.api.CreateTestSource(t.package.ITestSource)
    sink = impl["events"]()
    cookie = t.api.ConnectSink(source, t.package.events.DTestEvents, sink)
    source.Ping(first)
    source.Ping(second)
    assert [r[1] for r in sink.received if r[0] == "OnObject"] == [first, second]
    t.api.DisconnectSink(source, t.package.events.DTestEvents, cookie)
    source.release()
    other.release()
    assert native_refs(t, sink) == 0


def test_query_interface_answers_what_the_object_implements(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import IID_IDispatch, IID_IUnknown, native

    obj = impl["object"]()
    pointer = native.expose(obj, t.package.ITestObject, abi=t.abi)
    proxy = _proxy_of_pointer(t, pointer, t.package.ITestObject)
    unknown = proxy.QueryInterface(IID_IUnknown)
    assert unknown is obj  # ours: unwrapped
    with pytest.raises(Exception) as raised:
        proxy.QueryInterface(t.package.ITestDual)
    assert getattr(raised.value, "hresult", None) == 0x80004002  # E_NOINTERFACE
    with pytest.raises(Exception) as raised:
        proxy.QueryInterface(IID_IDispatch)
    assert getattr(raised.value, "hresult", None) == 0x80004002
    assert native.exposed_refs(obj, abi=t.abi) == 1
    proxy.release()
    assert native.exposed_refs(obj, abi=t.abi) == 0


def test_bad_use_is_a_python_error(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    with pytest.raises(TypeError, match="is not a COM object"):
        native.expose(object(), t.package.ITestObject, abi=t.abi)
    with pytest.raises(TypeError, match="PyDual does not implement ITestObject"):
        native.expose(impl["dual"](), t.package.ITestObject, abi=t.abi)
    with pytest.raises(TypeError, match="expected an interface class"):
        native.expose(impl["object"](), "ITestObject", abi=t.abi)  # type: ignore[arg-type]

    class Undescribed(IUnknown):
        IID = __import__("uuid").uuid4()

    with pytest.raises(DescriptionError):
        native.expose(impl["object"](), Undescribed, abi=t.abi)
    with pytest.raises(TypeError, match="non-null address"):
        native.release_pointer(0)
    with pytest.raises(ValueError, match="abi must be"):
        native.expose(impl["object"](), t.package.ITestObject, abi="pascal")


def test_python_objects_in_variants_and_in_out_pointers(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    obj = impl["object"]()
    other = t.new()
    # a VARIANT holding a Python object: VT_UNKNOWN for C, the object itself when it comes back
    described, doubled = other.Variants(obj, None)
    assert described == "UNKNOWN"
    assert doubled is obj
    # an [in, out] IUnknown**: C releases the Python object's reference and gives its own
    swapped = other.Swap(obj)
    assert isinstance(swapped, native.NativeProxy)
    swapped.release()
    other.release()
    assert native_refs(t, obj) == 0


def test_a_slot_that_cannot_be_served_answers_e_notimpl(
    t: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import types
    import uuid

    from idlgen.runtime import COMError, native
    from idlgen.runtime.native import description as d
    from idlgen.runtime.native.registry import load_descriptions

    iid = uuid.uuid4()
    module = types.ModuleType(f"odd_{iid.hex}.vtables")
    module.IOdd = d.Interface(  # type: ignore[attr-defined]
        "IOdd",
        str(iid),
        d.IUNKNOWN,
        (
            d.Method(3, "Borrowed", "*iface:IUnknown"),  # an interface as a return value
            d.Method(4, "Fine", "hresult", (d.Param("x", "i32"),)),
        ),
    )
    load_descriptions(module)

    class IOdd(IUnknown):
        IID = iid

    class Odd(IOdd):
        def Borrowed(self) -> object:
            return self

        def Fine(self, x: int) -> None:
            if x < 0:
                raise COMError(0x80070057)

    obj = Odd()
    pointer = native.expose(obj, IOdd, abi=t.abi)
    proxy = _proxy_of_pointer(t, pointer, IOdd)
    with caplog.at_level(logging.WARNING, logger="idlgen.runtime.native"):
        assert proxy.Borrowed() is None  # NULL: the slot answers without calling Python
    assert any("IOdd.Borrowed cannot be" in r.getMessage() for r in caplog.records)
    proxy.Fine(1)
    with pytest.raises(COMError) as raised:
        proxy.Fine(-1)
    assert raised.value.hresult == 0x80070057
    proxy.release()
    assert native_refs(t, obj) == 0
