"""Deliberately broken variants of the reference implementation, one documented rule each.

They show that the generated suite catches real mistakes::

    MSGR_BROKEN=state_writable pytest generated/msgrpriv_conformance --impl=msgr_reference.broken

:data:`VARIANTS` maps a variant name to what it breaks and the test expected to catch it
(``tests/test_conformance.py`` checks every one).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _bindings as b
from .objects import MessengerPriv, Session, SessionManager
from .world import Harness, Implementation, World
from .world import new_implementation as _reference

ENV = "MSGR_BROKEN"


@dataclass(frozen=True)
class Variant:
    """A broken variant: the rule it breaks, the test that must catch it, words the failure
    message must contain, and how to build it."""

    breaks: str
    caught_by: str
    words: tuple[str, ...]
    build: Callable[[], Implementation]


def _with_session(session_class: type[Session]) -> Callable[[], Implementation]:
    """The reference, with sessions of *session_class* (created and received alike)."""

    class Manager(SessionManager):
        pass

    Manager.session_class = session_class
    return lambda: _build(Manager, MessengerPriv)


def _build(
    manager_class: type[SessionManager],
    priv_class: type[MessengerPriv],
) -> Implementation:
    world = World()

    def new_manager() -> SessionManager:
        return manager_class(world)

    return Implementation(
        factories={
            "MsgrSessionManager": new_manager,
            "MsgrSession": lambda: new_manager().CreateSession(),
            "MessengerPriv": lambda: priv_class(world),
        },
        harness=Harness(world),
        world=world,
    )


# --------------------------------------------------------------------------- the variants


class _WrongDispid(Session):
    def GetIDsOfNames(self, *names: str) -> list[int]:
        ids: list[int] = super().GetIDsOfNames(*names)
        return [99 if n.lower() == "state" else i for n, i in zip(names, ids, strict=True)]


class _NoStateEvent(Session):
    def _move(self, state: b.SESSION_STATE) -> None:
        if self._state not in (b.SESSION_STATE.SS_CANCELLED, b.SESSION_STATE.SS_DECLINED):
            self._state = state  # forgets OnStateChanged


class _NewStateInEvent(Session):
    def _move(self, state: b.SESSION_STATE) -> None:
        if self._state != state:
            self._state = state
            self._event("OnStateChanged", state)  # the new state, not the previous one


class _DeclineCancels(Session):
    def Decline(self, bstrAppData: str) -> None:
        if self._flags & b.SESSION_FLAGS.SF_INVITER:
            raise b.COMError(b.SR_NOT_INVITEE)
        if self._state != b.SESSION_STATE.SS_INVITATION:
            raise b.COMError(b.SR_SESSION_STATE_INVALID)
        self._terminate(b.SESSION_STATE.SS_CANCELLED, b.SR_INVITATION_DECLINED, bstrAppData)


class _StateWritable(Session):
    @property
    def State(self) -> b.SESSION_STATE:
        return self._state

    @State.setter
    def State(self, value: b.SESSION_STATE) -> None:
        self._state = value


class _StatePlainInt(Session):
    @property
    def State(self) -> Any:
        return int(self._state)  # a bare number, not a SESSION_STATE member


class _AcceptAnyState(Session):
    def Accept(self, bstrAppData: str) -> None:
        if self._state in (b.SESSION_STATE.SS_CANCELLED, b.SESSION_STATE.SS_DECLINED):
            raise b.COMError(b.SR_SESSION_STATE_INVALID)
        if self._flags & b.SESSION_FLAGS.SF_INVITER:
            self._move(b.SESSION_STATE.SS_ACCEPTED)  # the inviter must not accept
            return
        super().Accept(bstrAppData)


class _QueryAnything(Session):
    def QueryInterface(self, iid: Any) -> Any:
        try:
            return super().QueryInterface(iid)
        except b.COMError:
            return self  # answers every IID, declared or not


class _KeepsSinks(Session):
    def FindConnectionPoint(self, iid: Any) -> Any:
        point = super().FindConnectionPoint(iid)
        return _LeakyPoint(point)


class _LeakyPoint:
    """Unadvise says yes and keeps the sink connected."""

    def __init__(self, point: Any) -> None:
        self._point = point

    def __getattr__(self, name: str) -> Any:
        return getattr(self._point, name)

    def Unadvise(self, cookie: int) -> None:
        return None


class _HandledIgnored(SessionManager):
    def _invitation(self, session: Session, data: str) -> bool:
        self._event("OnInvitation", session, data, b.ByRef(False))
        return False  # whatever the handler said, the client opens its window


class _WrongUnlockedValue(SessionManager):
    def _set_lock_status(self, status: b.LockStatus) -> None:
        if status == b.LockStatus.LOCK_UNLOCKED:
            status = b.LockStatus.LOCK_UNLOCKFAILED  # the wrong enumerator
        super()._set_lock_status(status)


class _NoLockStatusEvent(SessionManager):
    def _set_lock_status(self, status: b.LockStatus) -> None:
        self._lock_status = status  # forgets OnLockStatusChanged


class _NoContextLimit(Session):
    def SendContextData(self, bstrData: str) -> None:
        super().SendContextData(bstrData[:300])  # accepts any length


VARIANTS: dict[str, Variant] = {
    "wrong_dispid": Variant(
        "IMsgrSession.State has DISPID 1",
        "test_MsgrSession_IMsgrSession_GetIDsOfNames_gives_IDL_DISPIDs",
        ("IMsgrSession.State", "DISPID 1"),
        _with_session(_WrongDispid),
    ),
    "missing_state_event": Variant(
        "every State change fires OnStateChanged",
        "test_scenario_invite_moves_to_invitation",
        ("OnStateChanged", "never fired"),
        _with_session(_NoStateEvent),
    ),
    "wrong_event_argument": Variant(
        "OnStateChanged carries the previous state",
        "test_scenario_invite_moves_to_invitation",
        ("OnStateChanged", "SS_READY"),
        _with_session(_NewStateInEvent),
    ),
    "wrong_transition": Variant(
        "Decline moves the invitee's session to SS_DECLINED",
        "test_scenario_decline_received_invitation",
        ("IMsgrSession.State", "SS_DECLINED"),
        _with_session(_DeclineCancels),
    ),
    "state_writable": Variant(
        "IMsgrSession.State is read-only",
        "test_MsgrSession_IMsgrSession_State_read_only",
        ("IMsgrSession.State is read-only", "setting it must fail"),
        _with_session(_StateWritable),
    ),
    "state_not_enum": Variant(
        "IMsgrSession.State returns a SESSION_STATE member",
        "test_MsgrSession_IMsgrSession_return_types",
        ("IMsgrSession.State returns", "not a member of the enum SESSION_STATE"),
        _with_session(_StatePlainInt),
    ),
    "accept_wrong_state": Variant(
        "Accept on the inviter's session fails with SR_SESSION_STATE_INVALID",
        "test_scenario_inviter_cannot_accept_or_decline",
        ("IMsgrSession.Accept", "SR_SESSION_STATE_INVALID"),
        _with_session(_AcceptAnyState),
    ),
    "qi_undeclared": Variant(
        "QueryInterface fails with E_NOINTERFACE for undeclared interfaces",
        "test_MsgrSession_QueryInterface_refuses_undeclared",
        ("MsgrSession does not implement", "E_NOINTERFACE"),
        _with_session(_QueryAnything),
    ),
    "unadvise_keeps_sink": Variant(
        "Unadvise disconnects the sink",
        "test_MsgrSession_DMsgrSessionEvents_connection_point",
        ("second Unadvise", "CONNECT_E_NOCONNECTION"),
        _with_session(_KeepsSinks),
    ),
    "byref_ignored": Variant(
        "a handler setting pfHandled = true stops the client's own window",
        "test_scenario_invitation_handled_by_sink",
        ("harness.window_opened", "False"),
        lambda: _build(_HandledIgnored, MessengerPriv),
    ),
    "wrong_enum_value": Variant(
        "a correct response unlocks: Status LOCK_UNLOCKED",
        "test_scenario_lock_challenge_response_unlocks",
        ("OnLockStatusChanged", "LOCK_UNLOCKED"),
        lambda: _build(_WrongUnlockedValue, MessengerPriv),
    ),
    "missing_lock_status_event": Variant(
        "each lock Status change fires OnLockStatusChanged(new status)",
        "test_scenario_lock_enable_initializes",
        ("OnLockStatusChanged", "never fired"),
        lambda: _build(_NoLockStatusEvent, MessengerPriv),
    ),
    "context_data_unlimited": Variant(
        "SendContextData over 300 characters fails with SR_CONTEXT_DATA_OVER_LIMIT",
        "test_scenario_context_data_limits",
        ("IMsgrSession.SendContextData", "SR_CONTEXT_DATA_OVER_LIMIT"),
        _with_session(_NoContextLimit),
    ),
}


def new_implementation() -> Implementation:
    """The variant named by ``$MSGR_BROKEN`` (the reference itself when unset)."""
    name = os.environ.get(ENV, "")
    if not name:
        return _reference()
    if name not in VARIANTS:
        raise ValueError(f"{ENV}={name!r}: no such variant (known: {', '.join(VARIANTS)})")
    return VARIANTS[name].build()
