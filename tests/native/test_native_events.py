"""Connection points across the boundary: a C source fires into Python sinks (the generated
sink classes, by Invoke and by vtable), a Python source fires into a C sink."""

from __future__ import annotations

import gc
import logging
import weakref
from types import ModuleType
from typing import Any

import pytest
from implementations import classes

from idlgen.runtime import (
    CONNECT_E_CANNOTCONNECT,
    CONNECT_E_NOCONNECTION,
    ByRef,
    COMError,
    IID_IConnectionPointContainer,
    IUnknown,
)


@pytest.fixture(scope="module")
def impl(testobj: ModuleType) -> dict[str, type]:
    return classes(testobj)


def _point(source: Any, events: type) -> Any:
    """The connection point of a native source for sink class *events* (through
    IConnectionPointContainer, as COM clients find it)."""
    container = source.QueryInterface(IID_IConnectionPointContainer)
    with container:
        return container.FindConnectionPoint(events)


def test_native_source_fires_into_python_sinks(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    events = t.package.events
    source = t.api.CreateTestSource(t.package.ITestSource)
    point = _point(source, events.DTestEvents)
    assert point.GetConnectionInterface() == events.DTestEvents.IID
    sinks = [impl["events"](), impl["events"]()]
    cookies = [point.Advise(sink) for sink in sinks]
    assert cookies == [1, 2]
    assert source.SinkCount() == 2
    # OnValue(value, text, [in, out] VARIANT_BOOL*) by IDispatch::Invoke: a ByRef to set
    assert source.Fire(3, "three") == 2  # both handled it
    assert source.Fire(4, "four") == 0
    assert sinks[0].received == [("OnValue", 3, "three", False), ("OnValue", 4, "four", False)]
    assert sinks[1].received == sinks[0].received
    point.Unadvise(cookies[0])
    assert source.Fire(9, "nine") == 1
    assert len(sinks[0].received) == 2 and len(sinks[1].received) == 3
    with pytest.raises(COMError) as raised:
        point.Unadvise(cookies[0])
    assert raised.value.hresult == CONNECT_E_NOCONNECTION
    point.Unadvise(cookies[1])
    point.release()
    source.release()
    gc.collect()
    assert [native.exposed_refs(s, abi=t.abi) for s in sinks] == [0, 0]


def test_vtable_events_into_a_python_sink(t: Any, impl: dict[str, type]) -> None:
    events = t.package.events
    source = t.api.CreateTestSource(t.package.ITestSource)
    point = _point(source, events.ITestEvents)
    sink = impl["ticks"]()
    cookie = point.Advise(sink)
    # OnTick(n, label, [out] LONG*): the handler sets a ByRef
    assert source.Tick(5, "five") == 15
    assert sink.received == [("OnTick", 5, "five", 0)]
    point.Unadvise(cookie)
    point.release()
    source.release()


def test_a_sink_raising_gives_excepinfo(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    from idlgen.runtime import E_ACCESSDENIED

    class Refusing(impl["events"]):  # type: ignore[misc,valid-type]
        def OnObject(self, sender: object) -> None:
            raise COMError(E_ACCESSDENIED, "not from you")

    source = t.api.CreateTestSource(t.package.ITestSource)
    point = _point(source, t.package.events.DTestEvents)
    cookie = point.Advise(Refusing())
    with pytest.raises(COMError) as raised:
        source.Ping(impl["dual"]())  # testpeer.c returns the scode of the EXCEPINFO
    assert raised.value.hresult == E_ACCESSDENIED
    point.Unadvise(cookie)
    point.release()
    source.release()


def test_sinks_are_released_with_the_source(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    sink = impl["events"]()
    gone = weakref.ref(sink)
    source = t.api.CreateTestSource(t.package.ITestSource)
    point = _point(source, t.package.events.DTestEvents)
    point.Advise(sink)
    del sink
    gc.collect()
    assert gone() is not None  # the C source holds it
    assert native.exposed_refs(gone(), abi=t.abi) == 1
    point.release()
    source.release()  # the source's last reference: it releases its sinks
    gc.collect()
    assert gone() is None


def test_advise_of_a_wrong_sink_cannot_connect(t: Any) -> None:
    class NotASink(IUnknown):
        pass

    class DuckSink:  # not even an IUnknown: only QueryInterface, as the conformance suite has
        def QueryInterface(self, iid: object) -> object:
            raise COMError(0x80004002)

    source = t.api.CreateTestSource(t.package.ITestSource)
    point = _point(source, t.package.events.DTestEvents)
    for wrong in (NotASink(), DuckSink()):
        with pytest.raises(COMError) as raised:
            point.Advise(wrong)
        assert raised.value.hresult == CONNECT_E_CANNOTCONNECT
    point.release()
    source.release()


def test_python_source_fires_into_a_native_sink(t: Any, impl: dict[str, type]) -> None:
    from idlgen.runtime import native

    events = t.package.events
    source = impl["source"]()
    sink = t.api.CreateTestSink(t.package.ITestSink)
    # C finds the connection points of the Python source and advises its own sink
    value_cookie = t.api.ConnectSink(source, events.DTestEvents, sink)
    tick_cookie = t.api.ConnectSink(source, events.ITestEvents, sink)
    assert source.SinkCount() == 2
    # the Python source fires through proxies of the C sink
    assert source.Fire(6, "six") == 1  # the C sink handles even values
    assert source.Fire(7, "seven") == 0
    assert sink.Received() == (2, 7, "seven")
    assert source.Tick(8, "eight") == 16  # ITestEvents by vtable: [out] doubled
    assert sink.Received() == (3, 8, "eight")
    handled = ByRef(False)
    source.fire_event(events.DTestEvents, "OnValue", 10, "ten", handled)
    assert handled.value is True
    doubled = ByRef(0)
    source.fire_event(events.ITestEvents, "OnTick", 4, "four", doubled)
    assert doubled.value == 8
    source.Ping(impl["dual"]())
    assert sink.Received()[0] == 7  # OnObject and OnNothing arrived
    t.api.DisconnectSink(source, events.DTestEvents, value_cookie)
    with pytest.raises(COMError) as raised:
        t.api.DisconnectSink(source, events.DTestEvents, value_cookie)
    assert raised.value.hresult == CONNECT_E_NOCONNECTION
    t.api.DisconnectSink(source, events.ITestEvents, tick_cookie)
    assert source.SinkCount() == 0
    gc.collect()
    assert native.exposed_refs(source, abi=t.abi) == 0
    sink.release()


def test_python_source_refuses_a_sink_of_the_wrong_interface(
    t: Any, impl: dict[str, type], caplog: pytest.LogCaptureFixture
) -> None:
    source = impl["source"]()
    other = t.new()  # an ITestObject: no DTestEvents
    with pytest.raises(COMError) as raised:
        t.api.ConnectSink(source, t.package.events.DTestEvents, other)
    assert raised.value.hresult == CONNECT_E_CANNOTCONNECT
    with pytest.raises(COMError) as raised:
        t.api.ConnectSink(source, t.package.ITestObject, other)  # fires no such events
    assert raised.value.hresult == CONNECT_E_NOCONNECTION
    other.release()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
