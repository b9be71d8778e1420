"""Outgoing interfaces: event sinks, connection points and the coclass base."""

from __future__ import annotations

import inspect
import itertools
import uuid
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

from idlgen.runtime.hresult import (
    CONNECT_E_ADVISELIMIT,
    CONNECT_E_CANNOTCONNECT,
    CONNECT_E_NOCONNECTION,
    DISP_E_BADPARAMCOUNT,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_UNKNOWNNAME,
    E_INVALIDARG,
    E_POINTER,
    COMError,
)
from idlgen.runtime.interfaces import IDispatch, IUnknown, _flatten_names, to_iid
from idlgen.runtime.metadata import DISPATCH_METHOD

__all__ = [
    "CoClass",
    "ConnectionPoint",
    "ConnectionPointContainer",
    "EventSink",
    "IID_IConnectionPoint",
    "IID_IConnectionPointContainer",
]

IID_IConnectionPoint = uuid.UUID("b196b286-bab4-101a-b69c-00aa00341d07")
IID_IConnectionPointContainer = uuid.UUID("b196b284-bab4-101a-b69c-00aa00341d07")

_S = TypeVar("_S", bound="EventSink")

# Cookies are unique in the process (COM only requires uniqueness per connection point), so a
# cookie given to the wrong connection point is refused instead of dropping someone else's sink.
_cookies = itertools.count(1)


_event_tables: weakref.WeakKeyDictionary[type, tuple[str, dict[int, str]]] = (
    weakref.WeakKeyDictionary()
)


def _events_of(cls: type) -> tuple[str, dict[int, str]]:
    """The sink interface name and the merged ``{dispid: method}`` table over the MRO."""
    cached = _event_tables.get(cls)
    if cached is None:
        cached = _event_tables[cls] = _collect_events(cls)
    return cached


def _collect_events(cls: type) -> tuple[str, dict[int, str]]:
    table: dict[int, str] = {}
    for owner in reversed(cls.__mro__):
        table.update(owner.__dict__.get("_events_", {}))
    declaring = (c for c in cls.__mro__ if "_events_" in c.__dict__ and "IID" in c.__dict__)
    return next((c.__name__ for c in declaring), cls.__name__), table


class EventSink(IDispatch):
    """Base of generated sink classes: ``_events_`` maps each DISPID to the method handling it.

    Generated sinks define one method per event (a no-op by default); an implementation
    overrides the ones it cares about. ``Invoke(dispid, DISPATCH_METHOD, args)`` calls the method;
    a by-reference parameter arrives as a :class:`~idlgen.runtime.ByRef` whose ``value`` the
    handler may set.
    """

    _events_: ClassVar[dict[int, str]] = {}

    def GetIDsOfNames(self, *names: str | Sequence[str]) -> list[int]:
        """DISPIDs of events by name (case-insensitive); unknown → DISP_E_UNKNOWNNAME."""
        flat = _flatten_names(names)
        if not flat:
            raise COMError(E_INVALIDARG, "GetIDsOfNames needs at least one name")
        iface, events = _events_of(type(self))
        by_name = {method.lower(): dispid for dispid, method in events.items()}
        if flat[0].lower() not in by_name:
            raise COMError(DISP_E_UNKNOWNNAME, f"{iface} has no event {flat[0]!r}")
        if len(flat) > 1:
            raise COMError(DISP_E_UNKNOWNNAME, f"named arguments of {flat[0]} are not known")
        return [by_name[flat[0].lower()]]

    def Invoke(self, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[Any] = ()) -> Any:
        """Call the handler of event *dispid* with *args*; return what it returns.

        Unknown DISPID (or flags without DISPATCH_METHOD) → COMError(DISP_E_MEMBERNOTFOUND);
        arguments the handler cannot take → COMError(DISP_E_BADPARAMCOUNT).
        """
        iface, events = _events_of(type(self))
        method_name = events.get(dispid)
        if method_name is None:
            raise COMError(DISP_E_MEMBERNOTFOUND, f"{iface} has no event with DISPID {dispid}")
        if not flags & DISPATCH_METHOD:
            raise COMError(
                DISP_E_MEMBERNOTFOUND, f"{iface}.{method_name} is an event: use DISPATCH_METHOD"
            )
        handler = getattr(self, method_name)
        try:
            inspect.signature(handler).bind(*args)
        except TypeError:
            raise COMError(
                DISP_E_BADPARAMCOUNT,
                f"{iface}.{method_name} cannot take {len(args)} argument(s)",
            ) from None
        except ValueError:  # no signature available (builtins): let the call decide
            pass
        return handler(*args)


class ConnectionPoint(IUnknown):
    """The connection point of one outgoing interface: ``Advise``/``Unadvise`` with COM's errors.

    Sinks are kept in advise order; ``fire`` calls an event on each of them.
    """

    IID: ClassVar[uuid.UUID] = IID_IConnectionPoint

    def __init__(
        self,
        iid: uuid.UUID,
        container: object | None = None,
        interface: type[EventSink] | None = None,
        *,
        limit: int | None = None,
    ) -> None:
        self.iid = iid
        self.container = container
        self.interface = interface
        self.limit = limit
        self._sinks: dict[int, Any] = {}

    def __repr__(self) -> str:
        name = self.interface.__name__ if self.interface else str(self.iid)
        return f"<ConnectionPoint {name}: {len(self._sinks)} sink(s)>"

    def GetConnectionInterface(self) -> uuid.UUID:
        """The IID of the outgoing interface."""
        return self.iid

    def GetConnectionPointContainer(self) -> Any:
        """The object this connection point belongs to (None when free-standing)."""
        return self.container

    def Advise(self, sink: object) -> int:
        """Connect *sink*; return its cookie (> 0, never reused).

        The sink is asked ``QueryInterface(iid)`` and what that returns is kept. None →
        COMError(E_POINTER); a sink that does not implement the interface →
        COMError(CONNECT_E_CANNOTCONNECT); over ``limit`` → COMError(CONNECT_E_ADVISELIMIT).
        """
        if sink is None:
            raise COMError(E_POINTER, "Advise of a None sink")
        name = self.interface.__name__ if self.interface else f"{{{self.iid}}}"
        query = getattr(sink, "QueryInterface", None)
        if not callable(query):
            raise COMError(CONNECT_E_CANNOTCONNECT, f"{type(sink).__name__} is not a COM object")
        try:
            accepted = query(self.iid)
        except Exception:
            accepted = None
        if accepted is None:
            raise COMError(
                CONNECT_E_CANNOTCONNECT, f"{type(sink).__name__} does not implement {name}"
            )
        if self.limit is not None and len(self._sinks) >= self.limit:
            raise COMError(CONNECT_E_ADVISELIMIT, f"{name} takes at most {self.limit} sink(s)")
        cookie = next(_cookies)
        self._sinks[cookie] = accepted
        return cookie

    def Unadvise(self, cookie: int) -> None:
        """Disconnect the sink of *cookie*; unknown (or already used) cookie →
        COMError(CONNECT_E_NOCONNECTION)."""
        if self._sinks.pop(cookie, None) is None:
            raise COMError(CONNECT_E_NOCONNECTION, f"no connection with cookie {cookie!r}")

    def EnumConnections(self) -> list[tuple[int, Any]]:
        """``(cookie, sink)`` of every connection, in advise order."""
        return list(self._sinks.items())

    def sinks(self) -> list[Any]:
        """The advised sinks, in advise order."""
        return list(self._sinks.values())

    def fire(self, event: str | int, *args: Any) -> list[Any]:
        """Call *event* (a method name, or a DISPID sent through ``Invoke``) on every sink.

        Sinks are called in advise order, each with the same *args* (so a
        :class:`~idlgen.runtime.ByRef` set by one sink is seen by the next and by the caller);
        the results come back as a list. A sink that raises does not stop the others: once all
        were called, the first exception is re-raised (the others are added to its notes).
        A sink without a method of that name is sent the event through its ``Invoke`` (by the
        DISPID in the sink class's ``_events_``) or fails with DISP_E_MEMBERNOTFOUND. An event
        name the interface does not declare → COMError(DISP_E_MEMBERNOTFOUND), before any sink
        is called.
        """
        if isinstance(event, str) and self.interface is not None:
            iface, events = _events_of(self.interface)
            if event not in events.values():
                raise COMError(DISP_E_MEMBERNOTFOUND, f"{iface} has no event {event!r}")
        results: list[Any] = []
        errors: list[BaseException] = []
        for sink in list(self._sinks.values()):
            try:
                results.append(self._call(sink, event, args))
            except Exception as exc:
                errors.append(exc)
                results.append(None)
        if errors:
            first = errors[0]
            for other in errors[1:]:
                first.add_note(f"another sink also raised: {type(other).__name__}: {other}")
            raise first
        return results

    def _call(self, sink: Any, event: str | int, args: tuple[Any, ...]) -> Any:
        if isinstance(event, int):
            return sink.Invoke(event, DISPATCH_METHOD, args)
        handler = getattr(sink, event, None)
        if handler is not None:
            return handler(*args)
        if self.interface is not None and callable(getattr(sink, "Invoke", None)):
            _, events = _events_of(self.interface)
            for dispid, name in events.items():
                if name == event:
                    return sink.Invoke(dispid, DISPATCH_METHOD, args)
        raise COMError(DISP_E_MEMBERNOTFOUND, f"{type(sink).__name__} has no handler for {event}")


class ConnectionPointContainer(IUnknown):
    """Mixin giving an object one connection point per class in ``_outgoing_interfaces_``.

    Connection points are created on first use, so subclasses need not call ``__init__``.
    ``QueryInterface(IID_IConnectionPointContainer)`` succeeds when there is at least one.
    """

    _outgoing_interfaces_: ClassVar[tuple[type[EventSink], ...]] = ()

    def _supports_iid(self, iid: uuid.UUID) -> bool:
        if iid == IID_IConnectionPointContainer and self._outgoing_interfaces_:
            return True
        return super()._supports_iid(iid)

    def _connection_points(self) -> dict[uuid.UUID, ConnectionPoint]:
        points: dict[uuid.UUID, ConnectionPoint] | None = self.__dict__.get("_idlgen_points_")
        if points is None:
            points = {
                source.IID: ConnectionPoint(source.IID, self, source)
                for source in self._outgoing_interfaces_
            }
            self.__dict__["_idlgen_points_"] = points
        return points

    def FindConnectionPoint(self, iid: object) -> ConnectionPoint:
        """The connection point for outgoing interface *iid* (an IID, GUID string or sink
        class); one this object does not fire → COMError(CONNECT_E_NOCONNECTION)."""
        wanted = to_iid(iid)
        point = self._connection_points().get(wanted)
        if point is None:
            raise COMError(
                CONNECT_E_NOCONNECTION, f"{type(self).__name__} fires no {{{wanted}}} events"
            )
        return point

    def EnumConnectionPoints(self) -> list[ConnectionPoint]:
        """All connection points, in ``_outgoing_interfaces_`` order."""
        return list(self._connection_points().values())

    def fire_event(self, source: object, event: str | int, *args: Any) -> list[Any]:
        """``FindConnectionPoint(source).fire(event, *args)``."""
        return self.FindConnectionPoint(source).fire(event, *args)

    def sinks_of(self, source: type[_S]) -> list[_S]:
        """The sinks advised on *source*'s connection point, typed as *source*, to call
        events directly (``for s in self.sinks_of(DFooEvents): s.OnBar(1)``)."""
        return cast("list[_S]", self.FindConnectionPoint(source).sinks())


class CoClass(ConnectionPointContainer):
    """Base of generated coclass classes (``class MsgrSession(CoClass, IMsgrSession, ...)``).

    ``CLSID``, the interfaces (``_com_interfaces_``, ``_default_interface_``) and the outgoing
    interfaces (``_outgoing_interfaces_``, ``_default_source_``) come from the IDL.
    """

    CLSID: ClassVar[uuid.UUID]
    _com_interfaces_: ClassVar[tuple[type[IUnknown], ...]] = ()
    _default_interface_: ClassVar[type[IUnknown] | None] = None
    _default_source_: ClassVar[type[EventSink] | None] = None
