"""idlgen.runtime: COM identity, late binding, events and HRESULTs, in pure Python.

The interface, sink and coclass classes below are written the way the generator emits them
(see /work/notes/CONTRACT.md): IID, ``_members_``/``_events_`` metadata, abstract members.
"""

from __future__ import annotations

import abc
import pickle
import re
import textwrap
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest

import idlgen.runtime as rt
from idlgen.runtime import (
    CONNECT_E_ADVISELIMIT,
    CONNECT_E_CANNOTCONNECT,
    CONNECT_E_NOCONNECTION,
    DISP_E_BADPARAMCOUNT,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_UNKNOWNNAME,
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    E_FAIL,
    E_INVALIDARG,
    E_NOINTERFACE,
    E_NOTIMPL,
    E_POINTER,
    NO_DEFAULT,
    S_FALSE,
    S_OK,
    ByRef,
    CoClass,
    COMError,
    ConnectionPoint,
    EventSink,
    IDispatch,
    IID_IConnectionPointContainer,
    IID_IDispatch,
    IID_IUnknown,
    IUnknown,
    MemberInfo,
    ParamInfo,
)
from idlgen.runtime import hresult as hr_module

# --------------------------------------------------------------------------- the "generated" code

SR_SESSION_NOT_READY = 0x81000605


class IMsgrSession(IDispatch):
    """A session (dual)."""

    IID: ClassVar[uuid.UUID] = uuid.UUID("42d7cafc-0167-4941-a5d8-9fd7f104c41a")
    _members_: ClassVar[tuple[MemberInfo, ...]] = (
        MemberInfo("Application", "propget", 0, (ParamInfo("pbstrAppGUID", "out", retval=True),)),
        MemberInfo("Application", "propput", 0, (ParamInfo("pbstrAppGUID", type="BSTR"),)),
        MemberInfo("State", "propget", 1, (ParamInfo("pState", "out", retval=True),)),
        MemberInfo("Invite", "method", 2, (ParamInfo("pUser", type="IDispatch*"),)),
        MemberInfo(
            "SendContextData",
            "method",
            14,
            (
                ParamInfo("bstrData"),
                ParamInfo("lFlags", optional=True),
                ParamInfo("lLevel", default=3),
                ParamInfo("pResult", "out", retval=True),
            ),
        ),
        MemberInfo(
            "Swap", "method", 15, (ParamInfo("pLeft", "in,out"), ParamInfo("pRight", "out"))
        ),
        MemberInfo("Item", "propget", 16, (ParamInfo("index"), ParamInfo("p", "out", retval=True))),
        MemberInfo(
            "Item",
            "propput",
            16,
            (ParamInfo("index"), ParamInfo("value")),
            python_name="set_Item",
        ),
        MemberInfo("Font", "propputref", 17, (ParamInfo("pFont"),)),
        MemberInfo("Font", "propget", 17, (ParamInfo("ppFont", "out", retval=True),)),
        MemberInfo("lambda", "method", 18, python_name="lambda_"),
    )

    @property
    @abc.abstractmethod
    def Application(self) -> str:
        """The application GUID."""

    @Application.setter
    @abc.abstractmethod
    def Application(self, value: str) -> None: ...

    @property
    @abc.abstractmethod
    def State(self) -> int:
        """The session state."""

    @abc.abstractmethod
    def Invite(self, pUser: object) -> None:
        """Invite a user."""

    @abc.abstractmethod
    def SendContextData(self, bstrData: str, lFlags: int = 0, lLevel: int = 3) -> str: ...

    @abc.abstractmethod
    def Swap(self, pLeft: int) -> tuple[int, int]: ...

    @abc.abstractmethod
    def Item(self, index: int) -> str: ...

    @abc.abstractmethod
    def set_Item(self, index: int, value: str) -> None: ...

    @property
    @abc.abstractmethod
    def Font(self) -> object: ...

    @Font.setter
    @abc.abstractmethod
    def Font(self, value: object) -> None: ...

    @abc.abstractmethod
    def lambda_(self) -> str: ...


class IMsgrLock(IUnknown):
    """Custom (not dual): no DISPIDs."""

    IID: ClassVar[uuid.UUID] = uuid.UUID("36602afa-4859-4df5-820b-bf35acaa16ca")
    _members_: ClassVar[tuple[MemberInfo, ...]] = (MemberInfo("Status", "propget", None),)

    @property
    @abc.abstractmethod
    def Status(self) -> int: ...


class IOther(IDispatch):
    IID: ClassVar[uuid.UUID] = uuid.UUID("11111111-2222-3333-4444-555555555555")


class DMsgrSessionEvents(EventSink):
    """Events of a session."""

    IID: ClassVar[uuid.UUID] = uuid.UUID("1847a74f-2e7f-43af-b7f9-55a4de3276f5")
    _events_: ClassVar[dict[int, str]] = {
        103: "OnStateChanged",
        104: "OnAppNotPresent",
        110: "BeforeAppLaunch",
    }

    def OnStateChanged(self, prevState: int) -> None:
        """The state changed."""

    def OnAppNotPresent(self, bstrAppName: str, bstrAppURL: str) -> None:
        """The application is not installed."""

    def BeforeAppLaunch(self, pfEnableDefault: ByRef[bool]) -> None:
        """About to launch the application."""


class DOtherEvents(EventSink):
    IID: ClassVar[uuid.UUID] = uuid.UUID("d21454f8-43e3-4d64-b1e3-84911baf207d")
    _events_: ClassVar[dict[int, str]] = {145: "OnLockChallenge"}

    def OnLockChallenge(self, lCookie: int, bstrChallenge: str) -> None: ...


class MsgrSession(CoClass, IMsgrSession, IMsgrLock):
    """Messenger session (coclass)."""

    CLSID: ClassVar[uuid.UUID] = uuid.UUID("e3a3b1d8-5675-43c0-bf04-37be11939fb7")
    _com_interfaces_ = (IMsgrSession, IMsgrLock)
    _outgoing_interfaces_ = (DMsgrSessionEvents, DOtherEvents)
    _default_interface_ = IMsgrSession
    _default_source_ = DMsgrSessionEvents


class Quiet(CoClass, IMsgrLock):
    """A coclass without outgoing interfaces."""

    CLSID: ClassVar[uuid.UUID] = uuid.UUID("e3a3b1d9-5675-43c0-bf04-37be11939fb7")
    _com_interfaces_ = (IMsgrLock,)

    @property
    def Status(self) -> int:
        return 1


# --------------------------------------------------------------------------- implementations


class Session(MsgrSession):
    def __init__(self) -> None:
        self._app = "{app}"
        self._items = ["a", "b"]
        self._font: object = None
        self.invited: list[object] = []

    @property
    def Application(self) -> str:
        return self._app

    @Application.setter
    def Application(self, value: str) -> None:
        self._app = value

    @property
    def State(self) -> int:
        return 4

    @property
    def Status(self) -> int:
        return 2

    def Invite(self, pUser: object) -> None:
        if pUser is None:
            raise COMError(SR_SESSION_NOT_READY, "no user")
        self.invited.append(pUser)
        self.fire_event(DMsgrSessionEvents, "OnStateChanged", 1)

    def SendContextData(self, bstrData: str, lFlags: int = 0, lLevel: int = 3) -> str:
        return f"{bstrData}/{lFlags}/{lLevel}"

    def Swap(self, pLeft: int) -> tuple[int, int]:
        return pLeft + 1, pLeft - 1

    def Item(self, index: int) -> str:
        return self._items[index]

    def set_Item(self, index: int, value: str) -> None:
        self._items[index] = value

    @property
    def Font(self) -> object:
        return self._font

    @Font.setter
    def Font(self, value: object) -> None:
        self._font = value

    def lambda_(self) -> str:
        return "λ"


class Sink(DMsgrSessionEvents):
    def __init__(self, name: str = "sink", log: list[tuple[str, Any]] | None = None) -> None:
        self.name = name
        self.log = log if log is not None else []

    def OnStateChanged(self, prevState: int) -> None:
        self.log.append((self.name, prevState))

    def BeforeAppLaunch(self, pfEnableDefault: ByRef[bool]) -> None:
        self.log.append((self.name, pfEnableDefault.value))
        pfEnableDefault.value = not pfEnableDefault.value


class ForeignSink:
    """Not a runtime class, but answers the sink IID (as a sink from elsewhere would)."""

    def __init__(self) -> None:
        self.got: list[int] = []

    def QueryInterface(self, iid: object) -> object:
        if iid == DMsgrSessionEvents.IID:
            return self
        raise COMError(E_NOINTERFACE)

    def OnStateChanged(self, prevState: int) -> None:
        self.got.append(prevState)


def hresult(excinfo: pytest.ExceptionInfo[COMError]) -> str | None:
    return rt.hresult_name(excinfo.value.hresult)


# --------------------------------------------------------------------------- HRESULTs


def test_hresult_values_are_the_sdk_ones() -> None:
    assert (S_OK, S_FALSE) == (0, 1)
    assert E_NOINTERFACE == 0x80004002
    assert E_POINTER == 0x80004003
    assert rt.E_UNEXPECTED == 0x8000FFFF
    assert E_INVALIDARG == 0x80070057
    assert DISP_E_MEMBERNOTFOUND == 0x80020003
    assert DISP_E_BADPARAMCOUNT == 0x8002000E
    assert CONNECT_E_NOCONNECTION == 0x80040200
    assert CONNECT_E_CANNOTCONNECT == 0x80040202
    assert rt.REGDB_E_CLASSNOTREG == 0x80040154


def test_signed_unsigned_round_trip() -> None:
    assert rt.to_signed(E_FAIL) == -2147467259
    assert rt.to_unsigned(-2147467259) == E_FAIL
    assert rt.to_signed(S_FALSE) == 1
    assert rt.to_unsigned(rt.to_signed(0xFFFFFFFF)) == 0xFFFFFFFF
    assert rt.to_signed(0x7FFFFFFF) == 0x7FFFFFFF


def test_succeeded_failed() -> None:
    assert rt.succeeded(S_OK) and rt.succeeded(S_FALSE)
    assert rt.failed(E_FAIL) and rt.failed(-2147467259)
    assert not rt.failed(S_FALSE) and not rt.succeeded(E_FAIL)


def test_make_hresult_and_fields() -> None:
    assert rt.make_hresult(1, rt.FACILITY_ITF, 0x200) == CONNECT_E_NOCONNECTION
    assert rt.make_hresult(0, 0, 1) == S_FALSE
    assert rt.hresult_facility(E_INVALIDARG) == rt.FACILITY_WIN32
    assert rt.hresult_code(E_INVALIDARG) == 0x57
    assert rt.hresult_from_win32(5) == rt.E_ACCESSDENIED
    assert rt.hresult_from_win32(0) == S_OK
    for bad in ((2, 0, 0), (1, 0x800, 0), (1, 0, 0x10000), (1, -1, 0)):
        with pytest.raises(ValueError):
            rt.make_hresult(*bad)


def test_hresult_names_standard_and_registered() -> None:
    assert rt.hresult_name(E_NOINTERFACE) == "E_NOINTERFACE"
    assert rt.hresult_name(rt.to_signed(E_NOINTERFACE)) == "E_NOINTERFACE"
    assert rt.hresult_name(0x81000777) is None
    rt.register_hresult_names({"MSGR_E_TEST_ONLY": 0x81000777})
    assert rt.hresult_name(0x81000777) == "MSGR_E_TEST_ONLY"
    rt.register_hresult_names({0x81000778: "MSGR_E_TEST_TWO"})
    assert rt.hresult_name(-2130704520) == "MSGR_E_TEST_TWO"
    rt.register_hresult_names({"NOT_E_FAIL": E_FAIL})  # standard names win
    assert rt.hresult_name(E_FAIL) == "E_FAIL"
    with pytest.raises(TypeError):
        rt.register_hresult_names({1.5: "x"})  # type: ignore[arg-type]


def test_comerror_text_and_value() -> None:
    err = COMError(rt.to_signed(E_NOINTERFACE), "no IFoo")
    assert err.hresult == 0x80004002
    assert str(err) == "0x80004002 E_NOINTERFACE: no IFoo"
    assert str(COMError(E_FAIL)) == "0x80004005 E_FAIL"
    assert str(COMError(0x81000999, "x")) == "0x81000999: x"
    assert err.name == "E_NOINTERFACE"
    assert "E_NOINTERFACE" in repr(err)
    rt.register_hresult_names({"SR_LATE_NAME": 0x81000998})
    assert str(COMError(0x81000998)) == "0x81000998 SR_LATE_NAME"
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.hresult, clone.text, str(clone)) == (err.hresult, err.text, str(err))


def test_check_hresult() -> None:
    assert rt.check_hresult(S_FALSE) == S_FALSE
    with pytest.raises(COMError) as excinfo:
        rt.check_hresult(-2147467259, "boom")
    assert excinfo.value.hresult == E_FAIL


def test_everything_is_exported() -> None:
    for name in rt.__all__:
        assert hasattr(rt, name), name
    assert set(hr_module.__all__) <= set(rt.__all__)


# --------------------------------------------------------------------------- metadata


def test_metadata_defaults_and_validation() -> None:
    m = MemberInfo("Item", "propget", 5)
    assert m.python_name == "Item" and m.params == ()
    p = ParamInfo("x")
    assert (p.direction, p.retval, p.optional, p.default) == ("in", False, False, NO_DEFAULT)
    assert repr(NO_DEFAULT) == "NO_DEFAULT"
    with pytest.raises(ValueError, match="kind"):
        MemberInfo("x", "property", 1)
    with pytest.raises(ValueError, match="direction"):
        ParamInfo("x", "inout")
    with pytest.raises(AttributeError):
        m.name = "y"  # type: ignore[misc]


# --------------------------------------------------------------------------- IUnknown


def test_query_interface_by_iid_class_and_string() -> None:
    s = Session()
    assert s.QueryInterface(IMsgrSession) is s
    assert s.QueryInterface(IMsgrLock.IID) is s
    assert s.QueryInterface(str(IMsgrLock.IID).upper()) is s
    assert s.QueryInterface(IUnknown) is s
    assert s.QueryInterface(IID_IUnknown) is s
    assert s.QueryInterface(IDispatch) is s
    assert s.QueryInterface(IID_IDispatch) is s


def test_query_interface_fails_with_e_nointerface() -> None:
    s = Session()
    for wanted in (IOther, IOther.IID, DMsgrSessionEvents, Session, uuid.uuid4()):
        with pytest.raises(COMError) as excinfo:
            s.QueryInterface(wanted)
        assert excinfo.value.hresult == E_NOINTERFACE, wanted
    with pytest.raises(COMError) as excinfo:
        s.QueryInterface(None)  # type: ignore[call-overload]
    assert excinfo.value.hresult == E_POINTER
    with pytest.raises(COMError) as excinfo:
        s.QueryInterface("not a guid")
    assert excinfo.value.hresult == E_INVALIDARG
    with pytest.raises(COMError) as excinfo:
        s.QueryInterface(42)  # type: ignore[call-overload]
    assert excinfo.value.hresult == E_INVALIDARG


def test_custom_interface_only_object_has_no_idispatch() -> None:
    q = Quiet()
    assert q.QueryInterface(IMsgrLock) is q
    with pytest.raises(COMError) as excinfo:
        q.QueryInterface(IID_IDispatch)
    assert excinfo.value.hresult == E_NOINTERFACE


def test_connection_point_container_only_with_outgoing_interfaces() -> None:
    s = Session()
    assert s.QueryInterface(IID_IConnectionPointContainer) is s
    with pytest.raises(COMError) as excinfo:
        Quiet().QueryInterface(IID_IConnectionPointContainer)
    assert excinfo.value.hresult == E_NOINTERFACE
    with pytest.raises(COMError) as excinfo:
        Quiet().FindConnectionPoint(DMsgrSessionEvents)
    assert excinfo.value.hresult == CONNECT_E_NOCONNECTION


def test_interfaces_of_and_mro() -> None:
    assert rt.interfaces_of(Session) == (IMsgrSession, IDispatch, IMsgrLock, IUnknown)
    assert rt.interfaces_of(Session()) == rt.interfaces_of(Session)
    assert rt.interfaces_of(Sink) == (DMsgrSessionEvents, IDispatch, IUnknown)
    assert rt.is_interface(IMsgrLock) and not rt.is_interface(MsgrSession)
    assert not rt.is_interface(EventSink) and not rt.is_interface(int)
    assert type(MsgrSession) is abc.ABCMeta
    assert Session.__mro__.index(CoClass) < Session.__mro__.index(IMsgrSession)


def test_addref_release_count() -> None:
    s = Session()
    assert s.AddRef() == 2
    assert s.AddRef() == 3
    assert s.Release() == 2
    assert s.Release() == 1
    assert s.Release() == 0
    assert s.Release() == 0


# --------------------------------------------------------------------------- abstract members


def test_incomplete_implementation_refuses_instantiation() -> None:
    class Partial(MsgrSession):
        @property
        def State(self) -> int:
            return 0

    with pytest.raises(TypeError, match="abstract") as excinfo:
        Partial()  # type: ignore[abstract]
    for missing in ("Application", "Invite", "Status"):
        assert missing in str(excinfo.value)
    with pytest.raises(TypeError):
        IMsgrSession()  # type: ignore[abstract]
    with pytest.raises(TypeError):
        MsgrSession()  # type: ignore[abstract]


def test_sink_base_is_instantiable_with_noop_events() -> None:
    sink = DMsgrSessionEvents()
    assert sink.OnStateChanged(1) is None  # type: ignore[func-returns-value]
    assert sink.Invoke(103, DISPATCH_METHOD, [2]) is None


# --------------------------------------------------------------------------- IDispatch


def test_get_ids_of_names() -> None:
    s = Session()
    assert s.GetIDsOfNames("State") == [1]
    assert s.GetIDsOfNames(["state"]) == [1]  # one list, case-insensitive
    assert s.GetIDsOfNames("SENDCONTEXTDATA", "lLevel", "bstrdata") == [14, 2, 0]
    assert s.GetIDsOfNames("lambda") == [18]
    assert s.GetIDsOfNames("Application") == [0]
    for names in (("NoSuchMember",), ("State", "nope"), ("Status",)):
        with pytest.raises(COMError) as excinfo:
            s.GetIDsOfNames(*names)
        assert excinfo.value.hresult == DISP_E_UNKNOWNNAME, names
    with pytest.raises(COMError) as excinfo:
        s.GetIDsOfNames()
    assert excinfo.value.hresult == E_INVALIDARG


def test_invoke_property_get_and_put() -> None:
    s = Session()
    assert s.Invoke(1, DISPATCH_PROPERTYGET) == 4
    assert s.Invoke(1, DISPATCH_METHOD | DISPATCH_PROPERTYGET) == 4
    assert s.Invoke(0, DISPATCH_PROPERTYGET, ()) == "{app}"
    assert s.Invoke(0, DISPATCH_PROPERTYPUT, ["{new}"]) is None
    assert s.Application == "{new}"
    font = object()
    assert s.Invoke(17, DISPATCH_PROPERTYPUTREF, [font]) is None
    assert s.Invoke(17, DISPATCH_PROPERTYGET) is font


def test_invoke_read_only_put_is_member_not_found() -> None:
    s = Session()
    with pytest.raises(COMError) as excinfo:
        s.Invoke(1, DISPATCH_PROPERTYPUT, [3])
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert "read-only" in str(excinfo.value)
    assert s.State == 4
    with pytest.raises(COMError) as excinfo:  # propput only, not putref
        s.Invoke(0, DISPATCH_PROPERTYPUTREF, ["x"])
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND


def test_invoke_methods() -> None:
    s = Session()
    user = object()
    assert s.Invoke(2, DISPATCH_METHOD, [user]) is None
    assert s.invited == [user]
    assert s.Invoke(14, DISPATCH_METHOD, ["d"]) == "d/0/3"
    assert s.Invoke(14, DISPATCH_METHOD, ["d", 1, 2]) == "d/1/2"
    assert s.Invoke(15, DISPATCH_METHOD, [10]) == (11, 9)  # [in,out] passed, [out] not
    assert s.Invoke(18) == "λ"  # python_name differs from the IDL name


def test_invoke_indexed_property() -> None:
    s = Session()
    assert s.Invoke(16, DISPATCH_PROPERTYGET, [1]) == "b"
    s.Invoke(16, DISPATCH_PROPERTYPUT, [1, "z"])
    assert s.Item(1) == "z"
    with pytest.raises(COMError) as excinfo:
        s.Invoke(16, DISPATCH_PROPERTYGET, [])
    assert excinfo.value.hresult == DISP_E_BADPARAMCOUNT


def test_invoke_errors() -> None:
    s = Session()
    with pytest.raises(COMError) as excinfo:
        s.Invoke(99, DISPATCH_METHOD)
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert "99" in str(excinfo.value)
    bad_calls: list[tuple[int, int, list[object]]] = [
        (2, DISPATCH_METHOD, []),
        (2, DISPATCH_METHOD, [1, 2]),
        (14, DISPATCH_METHOD, ["a", 1, 2, 3]),
        (1, DISPATCH_PROPERTYGET, [1]),
        (0, DISPATCH_PROPERTYPUT, []),
        (0, DISPATCH_PROPERTYPUT, ["a", "b"]),
    ]
    for dispid, flags, args in bad_calls:
        with pytest.raises(COMError) as excinfo:
            s.Invoke(dispid, flags, args)
        assert excinfo.value.hresult == DISP_E_BADPARAMCOUNT, (dispid, flags, args)
    # a property is not a method, a method is not a property
    for dispid, flags in ((1, DISPATCH_METHOD), (2, DISPATCH_PROPERTYGET), (2, 0)):
        with pytest.raises(COMError) as excinfo:
            s.Invoke(dispid, flags, [])
        assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    # members without a DISPID (custom interface) are not reachable
    with pytest.raises(COMError):
        s.GetIDsOfNames("Status")


def test_invoke_propagates_implementation_errors() -> None:
    s = Session()
    with pytest.raises(COMError) as excinfo:
        s.Invoke(2, DISPATCH_METHOD, [None])
    assert excinfo.value.hresult == SR_SESSION_NOT_READY
    assert s.GetTypeInfoCount() == 0
    with pytest.raises(COMError) as excinfo:
        s.GetTypeInfo()
    assert excinfo.value.hresult == E_NOTIMPL


def test_default_interface_wins_dispid_clashes() -> None:
    class IFirst(IDispatch):
        IID: ClassVar[uuid.UUID] = uuid.uuid4()
        _members_: ClassVar[tuple[MemberInfo, ...]] = (MemberInfo("A", "method", 1),)

        def A(self) -> str:
            return "first"

    class ISecond(IDispatch):
        IID: ClassVar[uuid.UUID] = uuid.uuid4()
        _members_: ClassVar[tuple[MemberInfo, ...]] = (MemberInfo("B", "method", 1),)

        def B(self) -> str:
            return "second"

    class Both(CoClass, IFirst, ISecond):
        CLSID: ClassVar[uuid.UUID] = uuid.uuid4()
        _default_interface_ = ISecond

    assert Both().Invoke(1) == "second"
    assert Both().GetIDsOfNames("A") == [1]


# --------------------------------------------------------------------------- sinks


def test_sink_invoke_and_unknown_dispid() -> None:
    log: list[tuple[str, Any]] = []
    sink = Sink("s", log)
    assert sink.Invoke(103, DISPATCH_METHOD, [5]) is None
    assert log == [("s", 5)]
    with pytest.raises(COMError) as excinfo:
        sink.Invoke(99, DISPATCH_METHOD, [])
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert "DMsgrSessionEvents has no event with DISPID 99" in str(excinfo.value)
    with pytest.raises(COMError) as excinfo:
        sink.Invoke(103, DISPATCH_METHOD, [])
    assert excinfo.value.hresult == DISP_E_BADPARAMCOUNT
    with pytest.raises(COMError) as excinfo:
        sink.Invoke(103, DISPATCH_PROPERTYGET, [1])
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert sink.GetIDsOfNames("onstatechanged") == [103]
    with pytest.raises(COMError) as excinfo:
        sink.GetIDsOfNames("OnNothing")
    assert excinfo.value.hresult == DISP_E_UNKNOWNNAME


def test_sink_byref_through_invoke() -> None:
    sink = Sink()
    flag = ByRef(True)
    sink.Invoke(110, DISPATCH_METHOD, [flag])
    assert flag.value is False
    assert repr(flag) == "ByRef(False)"


def test_sink_query_interface() -> None:
    sink = Sink()
    assert sink.QueryInterface(DMsgrSessionEvents) is sink
    assert sink.QueryInterface(IID_IDispatch) is sink
    with pytest.raises(COMError):
        sink.QueryInterface(DOtherEvents)


# --------------------------------------------------------------------------- connection points


def test_find_connection_point() -> None:
    s = Session()
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    assert s.FindConnectionPoint(DMsgrSessionEvents.IID) is cp
    assert s.FindConnectionPoint(str(DMsgrSessionEvents.IID)) is cp
    assert cp.GetConnectionInterface() == DMsgrSessionEvents.IID
    assert cp.GetConnectionPointContainer() is s
    assert cp.QueryInterface(rt.IID_IConnectionPoint) is cp
    assert [p.iid for p in s.EnumConnectionPoints()] == [DMsgrSessionEvents.IID, DOtherEvents.IID]
    assert Session().FindConnectionPoint(DMsgrSessionEvents) is not cp  # per instance
    for wanted in (IMsgrSession, uuid.uuid4()):
        with pytest.raises(COMError) as excinfo:
            s.FindConnectionPoint(wanted)
        assert excinfo.value.hresult == CONNECT_E_NOCONNECTION
    with pytest.raises(COMError) as excinfo:
        s.FindConnectionPoint(None)
    assert excinfo.value.hresult == E_POINTER


def test_advise_unadvise_semantics() -> None:
    s = Session()
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    a, b = Sink("a"), Sink("b")
    ca, cb = cp.Advise(a), cp.Advise(b)
    assert ca > 0 and cb > 0 and ca != cb
    assert cp.EnumConnections() == [(ca, a), (cb, b)]
    cp.Unadvise(ca)
    assert cp.EnumConnections() == [(cb, b)]
    with pytest.raises(COMError) as excinfo:
        cp.Unadvise(ca)  # second time
    assert excinfo.value.hresult == CONNECT_E_NOCONNECTION
    for bogus in (0, -1, 123456789):
        with pytest.raises(COMError) as excinfo:
            cp.Unadvise(bogus)
        assert excinfo.value.hresult == CONNECT_E_NOCONNECTION
    # a cookie of another connection point is not valid here
    other = s.FindConnectionPoint(DOtherEvents)
    with pytest.raises(COMError) as excinfo:
        other.Unadvise(cb)
    assert excinfo.value.hresult == CONNECT_E_NOCONNECTION
    assert cp.EnumConnections() == [(cb, b)]


def test_cookies_are_unique_and_not_reused() -> None:
    cp = Session().FindConnectionPoint(DMsgrSessionEvents)
    seen: set[int] = set()
    for _ in range(50):
        cookie = cp.Advise(Sink())
        assert cookie not in seen
        seen.add(cookie)
        cp.Unadvise(cookie)
    seen.add(Session().FindConnectionPoint(DMsgrSessionEvents).Advise(Sink()))
    assert len(seen) == 51


def test_advise_refuses_wrong_sinks() -> None:
    cp = Session().FindConnectionPoint(DMsgrSessionEvents)
    for wrong in (DOtherEvents(), object(), "sink", Session()):
        with pytest.raises(COMError) as excinfo:
            cp.Advise(wrong)
        assert excinfo.value.hresult == CONNECT_E_CANNOTCONNECT, wrong
    with pytest.raises(COMError) as excinfo:
        cp.Advise(None)
    assert excinfo.value.hresult == E_POINTER
    assert cp.EnumConnections() == []


def test_advise_limit() -> None:
    cp = ConnectionPoint(DMsgrSessionEvents.IID, interface=DMsgrSessionEvents, limit=1)
    cp.Advise(Sink())
    with pytest.raises(COMError) as excinfo:
        cp.Advise(Sink())
    assert excinfo.value.hresult == CONNECT_E_ADVISELIMIT
    assert "ConnectionPoint DMsgrSessionEvents: 1 sink" in repr(cp)


def test_fire_reaches_every_sink_in_order() -> None:
    s = Session()
    log: list[tuple[str, Any]] = []
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    cp.Advise(Sink("a", log))
    foreign = ForeignSink()
    cp.Advise(foreign)
    cp.Advise(Sink("b", log))
    s.Invoke(2, DISPATCH_METHOD, ["user"])  # Invite fires OnStateChanged(1)
    assert log == [("a", 1), ("b", 1)]
    assert foreign.got == [1]
    with pytest.raises(COMError) as excinfo:  # the foreign sink has no such method
        s.fire_event(DMsgrSessionEvents, "OnAppNotPresent", "n", "u")
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert "ForeignSink" in str(excinfo.value)
    cp.Unadvise(cp.EnumConnections()[1][0])
    assert s.fire_event(DMsgrSessionEvents, "OnAppNotPresent", "n", "u") == [None, None]
    assert s.fire_event(DOtherEvents, "OnLockChallenge", 1, "c") == []  # nobody listens


def test_fire_byref_round_trip() -> None:
    s = Session()
    log: list[tuple[str, Any]] = []
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(Sink("a", log))
    flag = ByRef(True)
    s.fire_event(DMsgrSessionEvents, "BeforeAppLaunch", flag)
    assert flag.value is False  # set by the handler, seen by the firer
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(Sink("b", log))
    s.fire_event(DMsgrSessionEvents.IID, "BeforeAppLaunch", flag)
    assert log == [("a", True), ("a", False), ("b", True)]  # b sees what a wrote
    assert flag.value is False


def test_fire_by_dispid_goes_through_invoke() -> None:
    s = Session()
    log: list[tuple[str, Any]] = []
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(Sink("a", log))
    flag = ByRef(False)
    s.fire_event(DMsgrSessionEvents, 110, flag)
    assert flag.value is True and log == [("a", False)]
    with pytest.raises(COMError) as excinfo:
        s.fire_event(DMsgrSessionEvents, 99)
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND


def test_fire_unknown_event_name_fails_before_any_sink() -> None:
    s = Session()
    log: list[tuple[str, Any]] = []
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(Sink("a", log))
    with pytest.raises(COMError) as excinfo:
        s.fire_event(DMsgrSessionEvents, "OnStateChange", 1)
    assert excinfo.value.hresult == DISP_E_MEMBERNOTFOUND
    assert "OnStateChange" in str(excinfo.value)
    assert log == []


def test_fire_error_in_one_sink_does_not_stop_the_others() -> None:
    class Failing(DMsgrSessionEvents):
        def __init__(self, hr: int) -> None:
            self.hr = hr

        def OnStateChanged(self, prevState: int) -> None:
            raise COMError(self.hr, "sink failed")

    s = Session()
    log: list[tuple[str, Any]] = []
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    cp.Advise(Failing(E_FAIL))
    cp.Advise(Sink("ok", log))
    cp.Advise(Failing(E_NOTIMPL))
    with pytest.raises(COMError) as excinfo:
        s.fire_event(DMsgrSessionEvents, "OnStateChanged", 7)
    assert excinfo.value.hresult == E_FAIL  # the first one
    assert any("E_NOTIMPL" in note for note in excinfo.value.__notes__)
    assert log == [("ok", 7)]


def test_sink_unadvising_itself_during_fire() -> None:
    s = Session()
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    log: list[tuple[str, Any]] = []

    class OneShot(Sink):
        cookie = 0

        def OnStateChanged(self, prevState: int) -> None:
            super().OnStateChanged(prevState)
            cp.Unadvise(self.cookie)

    one = OneShot("once", log)
    one.cookie = cp.Advise(one)
    cp.Advise(Sink("always", log))
    s.fire_event(DMsgrSessionEvents, "OnStateChanged", 1)
    s.fire_event(DMsgrSessionEvents, "OnStateChanged", 2)
    assert log == [("once", 1), ("always", 1), ("always", 2)]


def test_sinks_of_is_typed_access() -> None:
    s = Session()
    sink = Sink()
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(sink)
    assert s.sinks_of(DMsgrSessionEvents) == [sink]
    assert s.sinks_of(DOtherEvents) == []


def test_lazily_created_points_without_init() -> None:
    class NoInit(MsgrSession):
        Application = "x"
        State = 1
        Status = 2
        Font = None

        def Invite(self, pUser: object) -> None: ...
        def SendContextData(self, bstrData: str, lFlags: int = 0, lLevel: int = 3) -> str:
            return ""

        def Swap(self, pLeft: int) -> tuple[int, int]:
            return (0, 0)

        def Item(self, index: int) -> str:
            return ""

        def set_Item(self, index: int, value: str) -> None: ...
        def lambda_(self) -> str:
            return ""

    obj = NoInit()
    assert obj.FindConnectionPoint(DOtherEvents).EnumConnections() == []


# --------------------------------------------------------------------------- typing


MYPY_SAMPLE = """
from __future__ import annotations

import uuid

from idlgen.runtime import ByRef, CoClass, DISPATCH_PROPERTYGET
from test_runtime_sample_base import DMsgrSessionEvents, IMsgrLock, IMsgrSession, MsgrSession


class Impl(MsgrSession):
    pass


def use(s: MsgrSession) -> None:
    session: IMsgrSession = s.QueryInterface(IMsgrSession)
    lock: IMsgrLock = s.QueryInterface(IMsgrLock)
    anything = s.QueryInterface(uuid.UUID(int=0))
    anything.Whatever()
    state: int = session.State
    cp = s.FindConnectionPoint(DMsgrSessionEvents)
    cookie: int = cp.Advise(object())
    flag = ByRef(False)
    s.fire_event(DMsgrSessionEvents, "BeforeAppLaunch", flag)
    handled: bool = flag.value
    for sink in s.sinks_of(DMsgrSessionEvents):
        sink.OnStateChanged(1)
    value = s.Invoke(1, DISPATCH_PROPERTYGET)
    cp.Unadvise(cookie)
    wrong: IMsgrSession = s.QueryInterface(IMsgrLock)  # error 1
    for sink in s.sinks_of(DMsgrSessionEvents):
        sink.OnStateChanged("no")  # error 2


Impl()  # error 3: abstract
"""


DOCS = Path(__file__).resolve().parents[1] / "docs" / "runtime.md"


def doc_examples() -> str:
    """The Python code blocks of docs/runtime.md, in order, as one module."""
    blocks = re.findall(r"^```python\n(.*?)^```", DOCS.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) >= 4
    return "\n\n".join(blocks)


def test_doc_examples_run() -> None:
    exec(compile(doc_examples(), str(DOCS), "exec"), {"__name__": "doc_examples"})


def test_generated_style_code_type_checks(tmp_path: Path) -> None:
    """The classes above, the docs' examples and code using them pass mypy --strict; misuse
    is caught."""
    api = pytest.importorskip("mypy.api")
    source = Path(__file__).read_text(encoding="utf-8")
    base = source.split("# " + "-" * 75 + " implementations")[0]
    (tmp_path / "test_runtime_sample_base.py").write_text(base, encoding="utf-8")
    (tmp_path / "sample_use.py").write_text(textwrap.dedent(MYPY_SAMPLE), encoding="utf-8")
    (tmp_path / "doc_examples.py").write_text(doc_examples(), encoding="utf-8")
    out, err, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--config-file",
            "",
            str(tmp_path / "test_runtime_sample_base.py"),
            str(tmp_path / "sample_use.py"),
            str(tmp_path / "doc_examples.py"),
        ]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out + err
    assert all("sample_use.py" in line for line in errors), out
    assert len(errors) == 3, out
    assert 'Incompatible types in assignment (expression has type "IMsgrLock"' in out
    assert 'Argument 1 to "OnStateChanged"' in out
    assert 'Cannot instantiate abstract class "Impl"' in out


def test_sink_without_method_gets_the_event_through_invoke() -> None:
    class InvokeOnly:
        def __init__(self) -> None:
            self.calls: list[tuple[int, int, tuple[object, ...]]] = []

        def QueryInterface(self, iid: object) -> object:
            return self

        def Invoke(self, dispid: int, flags: int, args: tuple[object, ...]) -> str:
            self.calls.append((dispid, flags, tuple(args)))
            return "seen"

    s = Session()
    sink = InvokeOnly()
    s.FindConnectionPoint(DMsgrSessionEvents).Advise(sink)
    assert s.fire_event(DMsgrSessionEvents, "OnStateChanged", 3) == ["seen"]
    assert sink.calls == [(103, DISPATCH_METHOD, (3,))]


# --------------------------------------------------------------------------- conformance fit


def test_fits_the_conformance_machinery() -> None:
    """idlgen.conformance's recording sinks, helpers and error reading work with the runtime."""
    conf = pytest.importorskip("idlgen.conformance")
    source = conf.SourceSpec(
        "DMsgrSessionEvents",
        DMsgrSessionEvents.IID,
        (
            conf.EventSpec("OnStateChanged", 103, (conf.ParamSpec("prevState"),)),
            conf.EventSpec("BeforeAppLaunch", 110, (conf.ParamSpec("pfEnableDefault", "in,out"),)),
        ),
    )
    cls = conf.recording_sink_class(source, DMsgrSessionEvents)
    sink = cls.__new__(cls)
    conf.RecordingSink.__init__(sink, {"BeforeAppLaunch": {"pfEnableDefault": False}})
    s = Session()
    cp = conf.find_connection_point(s, DMsgrSessionEvents.IID)
    cookie = cp.Advise(sink)
    flag = ByRef(True)
    s.fire_event(DMsgrSessionEvents, "BeforeAppLaunch", flag)
    s.fire_event(DMsgrSessionEvents, 103, 4)
    assert flag.value is False
    assert [str(e) for e in sink.take()] == ["BeforeAppLaunch(True)", "OnStateChanged(4)"]
    cp.Unadvise(cookie)
    with pytest.raises(COMError) as excinfo:
        cp.Unadvise(cookie)
    assert conf.hresult_of(excinfo.value) == conf.STANDARD_HRESULTS["CONNECT_E_NOCONNECTION"]
    with pytest.raises(COMError) as excinfo:
        conf.query_interface(s, conf.IID_NOBODY)
    assert conf.hresult_of(excinfo.value) == conf.STANDARD_HRESULTS["E_NOINTERFACE"]
    for name, value in conf.STANDARD_HRESULTS.items():
        assert getattr(rt, name) == value, name
    assert (conf.IID_IUnknown, conf.IID_IDispatch) == (IID_IUnknown, IID_IDispatch)
    assert conf.IID_IConnectionPointContainer == IID_IConnectionPointContainer
