"""A minimal stand-in for ``idlgen.runtime`` and the generated ``msgrpriv`` package.

Used by :mod:`._bindings` only where idlgen's stubs generator or runtime is not installed; it has
the shapes CONTRACT.md gives them (COMError, ByRef, coclass bases with QueryInterface,
GetIDsOfNames/Invoke by DISPID, connection points and ``fire_event``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")

# --------------------------------------------------------------------------- HRESULTs

S_OK = 0
E_NOTIMPL = 0x80004001
E_NOINTERFACE = 0x80004002
E_POINTER = 0x80004003
E_FAIL = 0x80004005
E_INVALIDARG = 0x80070057
DISP_E_MEMBERNOTFOUND = 0x80020003
DISP_E_UNKNOWNNAME = 0x80020006
DISP_E_BADPARAMCOUNT = 0x8002000E
CONNECT_E_NOCONNECTION = 0x80040200
CONNECT_E_CANNOTCONNECT = 0x80040202
MSGR_E_NOT_LOGGED_ON = 0x8100031E

DISPATCH_METHOD = 1
DISPATCH_PROPERTYGET = 2
DISPATCH_PROPERTYPUT = 4

IID_IUnknown = uuid.UUID("00000000-0000-0000-c000-000000000046")
IID_IDispatch = uuid.UUID("00020400-0000-0000-c000-000000000046")
IID_IConnectionPointContainer = uuid.UUID("b196b284-bab4-101a-b69c-00aa00341d07")


class COMError(Exception):
    """A failed HRESULT."""

    def __init__(self, hresult: int, text: str = "") -> None:
        super().__init__(f"HRESULT 0x{hresult & 0xFFFFFFFF:08X}" + (f": {text}" if text else ""))
        self.hresult = hresult & 0xFFFFFFFF


class SESSION_STATE(enum.IntEnum):
    SS_UNKNOWN = 0
    SS_READY = 1
    SS_INVITATION = 2
    SS_ACCEPTED = 3
    SS_CONNECTED = 4
    SS_CANCELLED = 5
    SS_DECLINED = 6
    SS_TERMINATED = 7
    SS_FALLBACK_INVITER = 8
    SS_FALLBACK_INVITEE = 9


class LockStatus(enum.IntEnum):
    LOCK_NOTINITIALIZED = 1
    LOCK_INITIALIZED = 2
    LOCK_PENDINGRESULT = 3
    LOCK_UNLOCKED = 4
    LOCK_UNLOCKFAILED = 5
    LOCK_DISABLED = 6


class SESSION_FLAGS(enum.IntFlag):
    SF_NONE = 0
    SF_INVITER = 1
    SF_INVITEE = 2
    SF_APP_INVITE_COMPATIBLE = 4


SR_INVITATION_DECLINED = 0x81000602
SR_SESSION_NOT_READY = 0x81000605
SR_NOT_INVITEE = 0x8100060B
SR_NOT_INVITER = 0x8100060C
SR_APP_ALREADY_REGISTERED = 0x8100060D
SR_APP_NOT_REGISTERED = 0x8100060E
SR_NOT_VALID_FOR_APP_INVITE = 0x8100060F
SR_APP_NOT_SPECIFIED = 0x81000610
SR_CONTEXT_DATA_OVER_LIMIT = 0x81000611
SR_INVITED_SELF = 0x81000613
SR_SESSION_STATE_INVALID = 0x81000614
MSGR_E_API_NOTINITIALIZED = 0x81000751
MSGR_E_API_LOCKED = 0x81000752
MSGR_E_API_ALREADY_UNLOCKED = 0x81000754
MSGR_E_API_PENDING_UNLOCK = 0x81000755
MSGR_E_API_DISABLED = 0x81000756

# --------------------------------------------------------------------------- COM base


class ByRef(Generic[T]):
    """A by-reference event argument: the handler may set ``value``."""

    def __init__(self, value: T) -> None:
        self.value = value


class _Source:
    """An outgoing (event) interface: its IID."""

    IID: ClassVar[uuid.UUID]


class DMsgrSessionManagerEvents(_Source):
    IID = uuid.UUID("52ac8b62-8f88-46ca-902a-1f9106b0a9f4")


class DMsgrSessionEvents(_Source):
    IID = uuid.UUID("1847a74f-2e7f-43af-b7f9-55a4de3276f5")


class DMessengerPrivateEvents(_Source):
    IID = uuid.UUID("d21454f8-43e3-4d64-b1e3-84911baf207d")


class IMsgrSessionManager:
    IID = uuid.UUID("305d86c6-6896-4099-91f5-cb7ba7733563")
    DISPIDS: ClassVar[dict[str, int]] = {
        "CreateSession": 0,
        "GetLaunchingSession": 1,
        "RegisterApplication": 2,
        "UnRegisterApplication": 3,
        "Applications": 4,
    }


class IMsgrSession:
    IID = uuid.UUID("42d7cafc-0167-4941-a5d8-9fd7f104c41a")
    DISPIDS: ClassVar[dict[str, int]] = {
        "Application": 0,
        "State": 1,
        "Invite": 2,
        "Decline": 3,
        "Cancel": 4,
        "Accept": 5,
        "RemoteAddress": 6,
        "SessionID": 7,
        "ContextData": 8,
        "ApplicationName": 9,
        "ApplicationURL": 10,
        "Flags": 11,
        "User": 12,
        "LocalAddress": 13,
        "SendContextData": 14,
    }


class IMsgrLock:
    IID = uuid.UUID("36602afa-4859-4df5-820b-bf35acaa16ca")
    DISPIDS: ClassVar[dict[str, int]] = {}


class IMessengerPrivate:
    IID = uuid.UUID("7c95459b-c8e7-4605-b641-45eb06866659")
    DISPIDS: ClassVar[dict[str, int]] = {"EnableAlertEvents": 1408, "AddContact": 1409}


class ConnectionPoint:
    """Advise/Unadvise for one source interface, with COM's errors."""

    def __init__(self, iid: uuid.UUID) -> None:
        self.iid = iid
        self.sinks: dict[int, Any] = {}
        self._next = 1

    def Advise(self, sink: Any) -> int:
        try:
            accepted = sink.QueryInterface(self.iid)
        except Exception:
            raise COMError(CONNECT_E_CANNOTCONNECT) from None
        cookie = self._next
        self._next += 1
        self.sinks[cookie] = accepted
        return cookie

    def Unadvise(self, cookie: int) -> None:
        if cookie not in self.sinks:
            raise COMError(CONNECT_E_NOCONNECTION)
        del self.sinks[cookie]

    def fire(self, event: str, *args: Any) -> list[Any]:
        return [getattr(sink, event)(*args) for sink in list(self.sinks.values())]


class _CoClass:
    """IUnknown + IDispatch (for the default dual interface) + IConnectionPointContainer."""

    CLSID: ClassVar[uuid.UUID]
    _com_interfaces_: ClassVar[tuple[type, ...]] = ()
    _outgoing_interfaces_: ClassVar[tuple[type[_Source], ...]] = ()

    def _points(self) -> dict[uuid.UUID, ConnectionPoint]:
        points: dict[uuid.UUID, ConnectionPoint] | None = self.__dict__.get("_cp")
        if points is None:
            points = {s.IID: ConnectionPoint(s.IID) for s in self._outgoing_interfaces_}
            self.__dict__["_cp"] = points
        return points

    def QueryInterface(self, iid: Any) -> Any:
        iid = getattr(iid, "IID", iid)
        known = {IID_IUnknown, IID_IDispatch, *(i.IID for i in self._com_interfaces_)}
        if self._outgoing_interfaces_:
            known.add(IID_IConnectionPointContainer)
        if iid in known:
            return self
        raise COMError(E_NOINTERFACE)

    def AddRef(self) -> int:
        return 1

    def Release(self) -> int:
        return 1

    def FindConnectionPoint(self, iid: Any) -> ConnectionPoint:
        point = self._points().get(getattr(iid, "IID", iid))
        if point is None:
            raise COMError(CONNECT_E_NOCONNECTION)
        return point

    def _dispids(self) -> dict[str, int]:
        table: dict[str, int] = {}
        for interface in self._com_interfaces_:
            table.update(getattr(interface, "DISPIDS", {}))
        return table

    def GetIDsOfNames(self, *names: str) -> list[int]:
        table = {k.lower(): v for k, v in self._dispids().items()}
        try:
            return [table[n.lower()] for n in names]
        except KeyError:
            raise COMError(DISP_E_UNKNOWNNAME) from None

    def Invoke(self, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[Any] = ()) -> Any:
        name = next((n for n, d in self._dispids().items() if d == dispid), None)
        if name is None:
            raise COMError(DISP_E_MEMBERNOTFOUND)
        if flags & DISPATCH_PROPERTYGET and not args:
            return getattr(self, name)
        if flags & DISPATCH_PROPERTYPUT:
            setattr(self, name, args[0])
            return None
        return getattr(self, name)(*args)

    def fire_event(self, source: Any, event: str, *args: Any) -> list[Any]:
        return self._points()[getattr(source, "IID", source)].fire(event, *args)


class MsgrSessionManager(_CoClass):
    CLSID = uuid.UUID("e3a3b1d9-5675-43c0-bf04-37be11939fb7")
    _com_interfaces_ = (IMsgrSessionManager, IMsgrLock)
    _outgoing_interfaces_ = (DMsgrSessionManagerEvents,)


class MsgrSession(_CoClass):
    CLSID = uuid.UUID("e3a3b1d8-5675-43c0-bf04-37be11939fb7")
    _com_interfaces_ = (IMsgrSession, IMsgrLock)
    _outgoing_interfaces_ = (DMsgrSessionEvents,)


class MessengerPriv(_CoClass):
    CLSID = uuid.UUID("ab1d8565-40e9-4616-984d-98465687e82c")
    _com_interfaces_ = (IMessengerPrivate,)
    _outgoing_interfaces_ = (DMessengerPrivateEvents,)


class Contact:
    """A Messenger contact (the IDL types it as IDispatch)."""

    def __init__(self, signin_name: str, online: bool) -> None:
        self.SigninName = signin_name
        self.online = online

    def QueryInterface(self, iid: Any) -> Any:
        if getattr(iid, "IID", iid) in (IID_IUnknown, IID_IDispatch):
            return self
        raise COMError(E_NOINTERFACE)

    def __repr__(self) -> str:
        return f"<Contact {self.SigninName}>"
