"""Deliberately broken variants of the reference implementation, one rule each.

They show that the generated suite catches real mistakes::

    MSGR_BROKEN=state_writable pytest generated/msgrpriv_conformance --impl=msgr_reference.broken

:data:`VARIANTS` maps a variant name to the rule it breaks (a numbered rule of
``OVERVIEW.md``, listed in :data:`OVERVIEW_RULES`, or ``IDL`` for the structural facts), what
it does wrong and the test expected to catch it; ``tests/test_conformance.py`` runs the suite
against every one and checks that every rule of :data:`OVERVIEW_RULES` has one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _bindings as b
from .objects import MessengerPriv, Session, SessionManager, b_signed, md5_hex
from .world import Harness, Implementation, World
from .world import new_implementation as _reference

ENV = "MSGR_BROKEN"
SS = b.SESSION_STATE
LS = b.LockStatus
FLAGS = b.SESSION_FLAGS

#: The rules of ``../shared/reference/winmessenger/OVERVIEW.md``: its numbered rules, the
#: per-object lock, and the parts of its (unnumbered) Registration paragraph.
OVERVIEW_RULES = (
    *(f"Lock and key {n}" for n in range(1, 8)),
    "Lock and key (per object)",
    *(f"Session invite {n}" for n in range(1, 11)),
    "Registration (register)",
    "Registration (register again)",
    "Registration (arguments)",
    "Registration (unregister)",
    "Registration (names on sessions)",
    "Registration (shutdown)",
)


@dataclass(frozen=True)
class Variant:
    """A broken variant: the rule it breaks (an :data:`OVERVIEW_RULES` entry or ``IDL``), how,
    the test that must catch it, words the failure message must contain, and how to build it."""

    rule: str
    breaks: str
    caught_by: str
    words: tuple[str, ...]
    build: Callable[[], Implementation]


def _build(
    manager_class: type[SessionManager] = SessionManager,
    priv_class: type[MessengerPriv] = MessengerPriv,
) -> Callable[[], Implementation]:
    """The reference, with these classes for the manager and MessengerPriv."""

    def build() -> Implementation:
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

    return build


def _with_session(session_class: type[Session]) -> Callable[[], Implementation]:
    """The reference, with sessions of *session_class* (created and received alike)."""

    class Manager(SessionManager):
        pass

    Manager.session_class = session_class
    return _build(Manager)


# --------------------------------------------------------------------------- structural (IDL)


class _WrongDispid(Session):
    def GetIDsOfNames(self, *names: str) -> list[int]:
        ids: list[int] = super().GetIDsOfNames(*names)
        return [99 if n.lower() == "state" else i for n, i in zip(names, ids, strict=True)]


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


class _QueryAnything(Session):
    def QueryInterface(self, iid: Any) -> Any:
        try:
            return super().QueryInterface(iid)
        except b.COMError:
            return self  # answers every IID, declared or not


class _KeepsSinks(Session):
    def FindConnectionPoint(self, iid: Any) -> Any:
        return _LeakyPoint(super().FindConnectionPoint(iid))


class _LeakyPoint:
    """Unadvise says yes and keeps the sink connected."""

    def __init__(self, point: Any) -> None:
        self._point = point

    def __getattr__(self, name: str) -> Any:
        return getattr(self._point, name)

    def Unadvise(self, cookie: int) -> None:
        return None


# --------------------------------------------------------------------------- lock and key


class _LockBeforeEnable(SessionManager):
    def _lock_refusal(self) -> int | None:
        if self._lock_status == LS.LOCK_NOTINITIALIZED:
            return None  # usable before OnLockEnable(true)
        return super()._lock_refusal()


class _DisabledLockUsable(SessionManager):
    def _lock_refusal(self) -> int | None:
        if self._lock_status == LS.LOCK_DISABLED:
            return None  # OnLockEnable(false) changes nothing
        return super()._lock_refusal()


class _ChallengeWrongCookie(SessionManager):
    def _receive_challenge(self, cookie: int, challenge: str) -> None:
        super()._receive_challenge(cookie + 1, challenge)  # not the cookie of the request


class _WrongUnlockedValue(SessionManager):
    def _set_lock_status(self, status: b.LockStatus) -> None:
        if status == LS.LOCK_UNLOCKED:
            status = LS.LOCK_UNLOCKFAILED  # the wrong enumerator
        super()._set_lock_status(status)


class _NoLockStatusEvent(SessionManager):
    def _set_lock_status(self, status: b.LockStatus) -> None:
        self._lock_status = status  # forgets OnLockStatusChanged


class _AnyResponseUnlocks(SessionManager):
    def SendResponse(self, bstrAppStrId: str, bstrResponse: str, lCookie: int) -> None:
        key = self.world.app_keys.get(bstrAppStrId, "")
        right = md5_hex(self._pending.get(int(lCookie), "") + key)
        super().SendResponse(bstrAppStrId, right, lCookie)  # whatever the caller answered


class _UnlockTwice(SessionManager):
    def RequestChallenge(self, lCookie: int) -> None:
        if self._lock_status == LS.LOCK_UNLOCKED:
            self._lock_status = LS.LOCK_INITIALIZED  # starts a second transaction
        super().RequestChallenge(lCookie)


class _UnpromptedRefused(SessionManager):
    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.requested: set[int] = set()

    def RequestChallenge(self, lCookie: int) -> None:
        self.requested.add(int(lCookie))
        super().RequestChallenge(lCookie)

    def SendResponse(self, bstrAppStrId: str, bstrResponse: str, lCookie: int) -> None:
        if int(lCookie) not in self.requested:
            raise b.COMError(b.E_INVALIDARG)  # only answers challenges it asked for
        super().SendResponse(bstrAppStrId, bstrResponse, lCookie)


class _LockedServiceOpen(SessionManager):
    def CreateSession(self) -> Session:
        return self.session_class(self, self.world.new_session_id())  # ignores the lock


class _InviteIgnoresLock(Session):
    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        locked, self.world.locked_service = self.world.locked_service, False
        try:
            super().Invite(pUser, bstrAppData)
        finally:
            self.world.locked_service = locked


class _LockStatusWritable(SessionManager):
    @property
    def Status(self) -> b.LockStatus:
        return self._lock_status

    @Status.setter
    def Status(self, value: b.LockStatus) -> None:
        self._lock_status = value


class _SharedLock(MessengerPriv):
    def _enable_lock(self, enable: bool) -> None:
        super()._enable_lock(enable)
        for manager in self.world.managers:
            manager._enable_lock(enable)  # one lock for every object


# --------------------------------------------------------------------------- session invite


class _SessionIdLowercase(Session):
    def __init__(self, manager: SessionManager, session_id: str) -> None:
        super().__init__(manager, session_id.lower())


class _SessionIdsRepeat(SessionManager):
    def CreateSession(self) -> Session:
        session = super().CreateSession()
        session._session_id = "{5E550000-0000-4000-8000-000000000001}"  # the same every time
        return session


class _InviterFlagAtCreation(Session):
    def __init__(self, manager: SessionManager, session_id: str) -> None:
        super().__init__(manager, session_id)
        self._flags = FLAGS.SF_INVITER  # before any Invite


class _InviteWithoutApplication(Session):
    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        if not self._application:
            self._application = "{00000000-0000-0000-0000-000000000000}"
        super().Invite(pUser, bstrAppData)


class _InviteTwice(Session):
    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        if self._state == SS.SS_INVITATION:
            return  # a second Invite "succeeds"
        super().Invite(pUser, bstrAppData)


class _InviteSelf(Session):
    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        if pUser is self.world.local_user:
            pUser = self.world.remote_user  # invites someone else instead of refusing
        super().Invite(pUser, bstrAppData)


class _NoStateEvent(Session):
    def _move(self, state: b.SESSION_STATE) -> None:
        if self._state not in (SS.SS_CANCELLED, SS.SS_DECLINED):
            self._state = state  # forgets OnStateChanged


class _NewStateInEvent(Session):
    def _move(self, state: b.SESSION_STATE) -> None:
        if self._state != state:
            self._state = state
            self._event("OnStateChanged", state)  # the new state, not the previous one


class _InviteeFlagMissing(SessionManager):
    def _invitation(self, session: Session, data: str) -> bool:
        session._flags = FLAGS.SF_NONE  # a received session without SF_INVITEE
        return super()._invitation(session, data)


class _HandledIgnored(SessionManager):
    def _invitation(self, session: Session, data: str) -> bool:
        super()._invitation(session, data)
        return False  # whatever the handler said, the client opens its window


class _RemoteAcceptSilent(Session):
    def _remote_accepted(self, data: str) -> None:
        if self._state == SS.SS_INVITATION:
            self._move(SS.SS_ACCEPTED)  # forgets OnAccepted


class _AcceptNoLaunchEvents(Session):
    def _event(self, event: str, *args: Any) -> list[Any]:
        if event == "BeforeAppLaunch":
            return []  # launches without asking the handlers
        return super()._event(event, *args)


class _DeclineCancels(Session):
    def _terminate(self, state: b.SESSION_STATE, hr: int, data: str) -> None:
        if state == SS.SS_DECLINED and hr == b.SR_INVITATION_DECLINED:
            state = SS.SS_CANCELLED  # Decline ends in the wrong state
        super()._terminate(state, hr, data)


class _CancelKeepsState(Session):
    def Cancel(self, hr: int, bstrAppData: str) -> None:
        if self._state != SS.SS_INVITATION:
            super().Cancel(hr, bstrAppData)
            return
        self._event("OnTermination", b_signed(hr), bstrAppData)  # State stays SS_INVITATION


class _AcceptAnyState(Session):
    def Accept(self, bstrAppData: str) -> None:
        if self._flags & FLAGS.SF_INVITER and self._state == SS.SS_INVITATION:
            self._move(SS.SS_ACCEPTED)  # the inviter must not accept
            return
        super().Accept(bstrAppData)


class _DeclineByInviter(Session):
    def Decline(self, bstrAppData: str) -> None:
        if self._flags & FLAGS.SF_INVITER:
            self._terminate(SS.SS_DECLINED, b.SR_INVITATION_DECLINED, bstrAppData)
            return  # the inviter must not decline
        super().Decline(bstrAppData)


class _AnswerWithoutInvitation(Session):
    def Accept(self, bstrAppData: str) -> None:
        if self._state != SS.SS_READY:
            super().Accept(bstrAppData)  # in SS_READY: S_OK, nothing happens

    def Decline(self, bstrAppData: str) -> None:
        if self._state != SS.SS_READY:
            super().Decline(bstrAppData)


class _CancelAfterEnd(Session):
    def Cancel(self, hr: int, bstrAppData: str) -> None:
        if not self.ended:
            super().Cancel(hr, bstrAppData)  # ended: S_OK instead of E_FAIL


class _InviteeCancels(Session):
    def Cancel(self, hr: int, bstrAppData: str) -> None:
        if self._flags & FLAGS.SF_INVITEE and self._state == SS.SS_INVITATION:
            self._terminate(SS.SS_CANCELLED, int(hr), bstrAppData)  # only the inviter cancels
            return
        super().Cancel(hr, bstrAppData)


class _NoContextLimit(Session):
    def SendContextData(self, bstrData: str) -> None:
        super().SendContextData(bstrData[:300])  # accepts any length


class _ContextDataEarly(Session):
    def SendContextData(self, bstrData: str) -> None:
        if self._state in (SS.SS_ACCEPTED, SS.SS_CONNECTED):
            super().SendContextData(bstrData)  # before acceptance: S_OK, sent nowhere


class _ContextDataUncounted(Session):
    def SendContextData(self, bstrData: str) -> None:
        self._sends = 0  # no limit on the number of calls
        super().SendContextData(bstrData)


class _ContextDataSilent(Session):
    def _remote_context_data(self, text: str) -> None:
        self._context_data = text  # forgets OnContextData


class _LocalAddressIgnored(Session):
    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        super().Invite(pUser, bstrAppData)
        assert self.peer is not None
        self.peer.seen_address = self.world.local_address  # not the LocalAddress set


class _FinalNotFinal(Session):
    def _remote_accepted(self, data: str) -> None:
        if self._state not in (SS.SS_INVITATION, SS.SS_CANCELLED):
            return
        self._event("OnAccepted", data)
        previous, self._state = self._state, SS.SS_ACCEPTED  # a late answer revives it
        self._event("OnStateChanged", previous)


class _LaunchingSessionWrong(SessionManager):
    def GetLaunchingSession(self, lProcessID: int) -> Session:
        super().GetLaunchingSession(lProcessID)
        return self.CreateSession()  # a new session, not the one that launched the process


# --------------------------------------------------------------------------- registration


class _RegisterSilent(SessionManager):
    def _event(self, event: str, *args: Any) -> list[Any]:
        if event == "OnAppRegistered":
            return []  # forgets OnAppRegistered
        return super()._event(event, *args)


class _RegisterTwice(SessionManager):
    def RegisterApplication(
        self, bstrAppGUID: str, bstrAppName: str, bstrAppURL: str, bstrPath: str, ulFlags: int
    ) -> None:
        self.world.unregister(bstrAppGUID)  # replaces a registration silently
        super().RegisterApplication(bstrAppGUID, bstrAppName, bstrAppURL, bstrPath, ulFlags)


class _RegisterFlagsIgnored(SessionManager):
    def RegisterApplication(
        self, bstrAppGUID: str, bstrAppName: str, bstrAppURL: str, bstrPath: str, ulFlags: int
    ) -> None:
        super().RegisterApplication(bstrAppGUID, bstrAppName, bstrAppURL, bstrPath, 0)


class _UnregisterSilent(SessionManager):
    def UnRegisterApplication(self, bstrAppGUID: str) -> None:
        if not self.world.unregister(bstrAppGUID):
            raise b.COMError(b.SR_APP_NOT_REGISTERED)  # forgets OnAppUnRegistered


class _AppNameNotRegistered(Session):
    @property
    def ApplicationName(self) -> str:
        return self.invite_app_name  # ignores the registration


class _NoShutdownEvent(SessionManager):
    def _shutdown(self) -> None:
        return None  # forgets OnAppShutdown


_S = "test_scenario_"

VARIANTS: dict[str, Variant] = {
    # -- structural facts of the IDL
    "wrong_dispid": Variant(
        "IDL",
        "IMsgrSession.State has DISPID 1",
        "test_MsgrSession_IMsgrSession_GetIDsOfNames_gives_IDL_DISPIDs",
        ("IMsgrSession.State", "DISPID 1"),
        _with_session(_WrongDispid),
    ),
    "state_writable": Variant(
        "IDL",
        "IMsgrSession.State is read-only",
        "test_MsgrSession_IMsgrSession_State_read_only",
        ("IMsgrSession.State is read-only", "setting it must fail"),
        _with_session(_StateWritable),
    ),
    "state_not_enum": Variant(
        "IDL",
        "IMsgrSession.State returns a SESSION_STATE member",
        "test_MsgrSession_IMsgrSession_return_types",
        ("IMsgrSession.State returns", "not a member of the enum SESSION_STATE"),
        _with_session(_StatePlainInt),
    ),
    "qi_undeclared": Variant(
        "IDL",
        "QueryInterface fails with E_NOINTERFACE for undeclared interfaces",
        "test_MsgrSession_QueryInterface_refuses_undeclared",
        ("MsgrSession does not implement", "E_NOINTERFACE"),
        _with_session(_QueryAnything),
    ),
    "unadvise_keeps_sink": Variant(
        "IDL",
        "Unadvise disconnects the sink",
        "test_MsgrSession_DMsgrSessionEvents_connection_point",
        ("second Unadvise", "CONNECT_E_NOCONNECTION"),
        _with_session(_KeepsSinks),
    ),
    # -- lock and key
    "lock_before_enable": Variant(
        "Lock and key 1",
        "before OnLockEnable(true) RequestChallenge fails with MSGR_E_API_NOTINITIALIZED",
        _S + "lock_not_initialized_before_enable",
        ("IMsgrLock.RequestChallenge", "MSGR_E_API_NOTINITIALIZED", "but it succeeded"),
        _build(_LockBeforeEnable),
    ),
    "disabled_lock_usable": Variant(
        "Lock and key 1",
        "after OnLockEnable(false) calls fail with MSGR_E_API_DISABLED",
        _S + "lock_disabled",
        ("IMsgrLock.RequestChallenge", "MSGR_E_API_DISABLED"),
        _build(_DisabledLockUsable),
    ),
    "missing_lock_status_event": Variant(
        "Lock and key 1",
        "OnLockEnable(true) moves Status to LOCK_INITIALIZED with OnLockStatusChanged",
        _S + "lock_enable_initializes",
        ("OnLockStatusChanged", "never fired"),
        _build(_NoLockStatusEvent),
    ),
    "challenge_wrong_cookie": Variant(
        "Lock and key 2",
        "OnLockChallenge carries the cookie of the RequestChallenge",
        _S + "lock_challenge_response_unlocks",
        ("OnLockChallenge(4242", "OnLockChallenge(4243"),
        _build(_ChallengeWrongCookie),
    ),
    "wrong_enum_value": Variant(
        "Lock and key 3",
        "a correct response unlocks: Status LOCK_UNLOCKED",
        _S + "lock_challenge_response_unlocks",
        ("OnLockStatusChanged", "LOCK_UNLOCKED"),
        _build(_WrongUnlockedValue),
    ),
    "any_response_unlocks": Variant(
        "Lock and key 3",
        "a wrong response gives OnLockResult(cookie, false) and LOCK_UNLOCKFAILED",
        _S + "lock_wrong_response_fails",
        ("OnLockResult(7, False)", "OnLockResult(7, True)"),
        _build(_AnyResponseUnlocks),
    ),
    "unlock_twice": Variant(
        "Lock and key 4",
        "RequestChallenge after LOCK_UNLOCKED fails with MSGR_E_API_ALREADY_UNLOCKED",
        _S + "lock_second_unlock_refused",
        ("IMsgrLock.RequestChallenge", "MSGR_E_API_ALREADY_UNLOCKED"),
        _build(_UnlockTwice),
    ),
    "unprompted_challenge_refused": Variant(
        "Lock and key 5",
        "a challenge the service sends unprompted is answered like a requested one",
        _S + "lock_unprompted_challenge",
        ("IMsgrLock.SendResponse", "must succeed", "E_INVALIDARG"),
        _build(_UnpromptedRefused),
    ),
    "locked_service_open": Variant(
        "Lock and key 6",
        "on a locked service CreateSession fails with MSGR_E_API_LOCKED until unlocked",
        _S + "locked_service_requires_unlock",
        ("IMsgrSessionManager.CreateSession", "MSGR_E_API_LOCKED"),
        _build(_LockedServiceOpen),
    ),
    "locked_service_invite": Variant(
        "Lock and key 6",
        "on a locked service Invite fails with MSGR_E_API_LOCKED",
        _S + "locked_service_refuses_invite",
        ("IMsgrSession.Invite", "MSGR_E_API_LOCKED"),
        _with_session(_InviteIgnoresLock),
    ),
    "lock_status_writable": Variant(
        "Lock and key 7",
        "IMsgrLock.Status is read-only",
        _S + "lock_status_read_only",
        ("setting IMsgrLock.Status", "DISP_E_MEMBERNOTFOUND"),
        _build(_LockStatusWritable),
    ),
    "shared_lock": Variant(
        "Lock and key (per object)",
        "MessengerPriv and the manager are unlocked separately",
        _S + "messenger_priv_lock_events",
        ("sink 'mev'", "OnLockEnable(True)"),
        _build(priv_class=_SharedLock),
    ),
    # -- session invite
    "session_id_lowercase": Variant(
        "Session invite 1",
        "a SessionID is {XXXXXXXX-...} in uppercase hex",
        _S + "create_session_is_ready",
        ("IMsgrSession.SessionID", "a string matching"),
        _with_session(_SessionIdLowercase),
    ),
    "session_ids_repeat": Variant(
        "Session invite 1",
        "every session gets a fresh SessionID",
        _S + "sessions_have_distinct_ids",
        ("IMsgrSession.SessionID", "anything but"),
        _build(_SessionIdsRepeat),
    ),
    "inviter_flag_at_creation": Variant(
        "Session invite 1",
        "SF_INVITER is set at Invite, not before (adopted)",
        _S + "flags_inviter_set_at_invite",
        ("IMsgrSession.Flags", "without SF_INVITER"),
        _with_session(_InviterFlagAtCreation),
    ),
    "invite_without_application": Variant(
        "Session invite 2",
        "Invite without Application fails with SR_APP_NOT_SPECIFIED",
        _S + "invite_requires_application",
        ("IMsgrSession.Invite", "SR_APP_NOT_SPECIFIED"),
        _with_session(_InviteWithoutApplication),
    ),
    "invite_twice": Variant(
        "Session invite 3",
        "a second Invite fails with SR_SESSION_NOT_READY",
        _S + "invite_twice_not_ready",
        ("IMsgrSession.Invite", "SR_SESSION_NOT_READY"),
        _with_session(_InviteTwice),
    ),
    "invite_self": Variant(
        "Session invite 3",
        "inviting oneself fails with SR_INVITED_SELF",
        _S + "invite_errors",
        ("IMsgrSession.Invite", "SR_INVITED_SELF"),
        _with_session(_InviteSelf),
    ),
    "invitee_flag_missing": Variant(
        "Session invite 4",
        "a received invitation's session has SF_INVITEE",
        _S + "invitation_received",
        ("IMsgrSession.Flags", "with SF_INVITEE"),
        _build(_InviteeFlagMissing),
    ),
    "byref_ignored": Variant(
        "Session invite 4",
        "a handler setting pfHandled = true stops the client's own window",
        _S + "invitation_handled_by_sink",
        ("harness.window_opened", "False"),
        _build(_HandledIgnored),
    ),
    "remote_accept_silent": Variant(
        "Session invite 5",
        "when B accepts, A's session fires OnAccepted(B's data)",
        _S + "remote_accept_then_connect",
        ("OnAccepted", "never fired"),
        _with_session(_RemoteAcceptSilent),
    ),
    "accept_skips_before_app_launch": Variant(
        "Session invite 5",
        "Accept fires BeforeAppLaunch(pfEnableDefault=true) before the launch",
        _S + "accept_received_invitation_launches",
        ("BeforeAppLaunch", "never fired"),
        _with_session(_AcceptNoLaunchEvents),
    ),
    "wrong_transition": Variant(
        "Session invite 5",
        "Decline moves the invitee's session to SS_DECLINED",
        _S + "decline_received_invitation",
        ("IMsgrSession.State", "SS_DECLINED"),
        _with_session(_DeclineCancels),
    ),
    "cancel_keeps_state": Variant(
        "Session invite 5",
        "Cancel moves the inviter's session to SS_CANCELLED",
        _S + "cancel_pending_invitation",
        ("IMsgrSession.State", "SS_CANCELLED"),
        _with_session(_CancelKeepsState),
    ),
    "accept_wrong_state": Variant(
        "Session invite 6",
        "Accept on the inviter's session fails with SR_SESSION_STATE_INVALID",
        _S + "inviter_cannot_accept_or_decline",
        ("IMsgrSession.Accept", "SR_SESSION_STATE_INVALID"),
        _with_session(_AcceptAnyState),
    ),
    "decline_by_inviter": Variant(
        "Session invite 6",
        "Decline on the inviter's session fails with SR_NOT_INVITEE",
        _S + "inviter_cannot_accept_or_decline",
        ("IMsgrSession.Decline", "SR_NOT_INVITEE"),
        _with_session(_DeclineByInviter),
    ),
    "answer_without_invitation": Variant(
        "Session invite 6",
        "Accept/Decline with no pending invitation fail with SR_SESSION_STATE_INVALID",
        _S + "accept_decline_need_pending_invitation",
        ("IMsgrSession.Accept", "SR_SESSION_STATE_INVALID"),
        _with_session(_AnswerWithoutInvitation),
    ),
    "cancel_after_end": Variant(
        "Session invite 6",
        "Cancel on a session that has ended fails with E_FAIL (adopted)",
        _S + "cancel_after_end_fails",
        ("IMsgrSession.Cancel", "E_FAIL"),
        _with_session(_CancelAfterEnd),
    ),
    "invitee_cancels": Variant(
        "Session invite 6",
        "Cancel on a received invitation fails with SR_NOT_INVITER (adopted)",
        _S + "invitee_cannot_cancel",
        ("IMsgrSession.Cancel", "SR_NOT_INVITER"),
        _with_session(_InviteeCancels),
    ),
    "context_data_unlimited": Variant(
        "Session invite 7",
        "SendContextData over 300 characters fails with SR_CONTEXT_DATA_OVER_LIMIT",
        _S + "context_data_limits",
        ("IMsgrSession.SendContextData", "SR_CONTEXT_DATA_OVER_LIMIT"),
        _with_session(_NoContextLimit),
    ),
    "context_data_early": Variant(
        "Session invite 7",
        "SendContextData before acceptance fails with SR_SESSION_STATE_INVALID (adopted)",
        _S + "context_data_before_acceptance",
        ("IMsgrSession.SendContextData", "SR_SESSION_STATE_INVALID"),
        _with_session(_ContextDataEarly),
    ),
    "context_data_uncounted": Variant(
        "Session invite 7",
        "the sixth SendContextData fails with SR_NOT_VALID_FOR_APP_INVITE (adopted)",
        _S + "context_data_five_per_side",
        ("IMsgrSession.SendContextData", "SR_NOT_VALID_FOR_APP_INVITE"),
        _with_session(_ContextDataUncounted),
    ),
    "context_data_silent": Variant(
        "Session invite 7",
        "data from the other side fires OnContextData(text)",
        _S + "context_data_both_ways",
        ("OnContextData", "never fired"),
        _with_session(_ContextDataSilent),
    ),
    "local_address_ignored": Variant(
        "Session invite 8",
        "the LocalAddress A set before Invite is what B reads as RemoteAddress",
        _S + "addresses",
        ("harness.remote_seen_address", "10.0.0.7"),
        _with_session(_LocalAddressIgnored),
    ),
    "missing_state_event": Variant(
        "Session invite 9",
        "every State change fires OnStateChanged",
        _S + "invite_moves_to_invitation",
        ("OnStateChanged", "never fired"),
        _with_session(_NoStateEvent),
    ),
    "wrong_event_argument": Variant(
        "Session invite 9",
        "OnStateChanged carries the previous state",
        _S + "invite_moves_to_invitation",
        ("OnStateChanged", "SS_READY"),
        _with_session(_NewStateInEvent),
    ),
    "final_state_not_final": Variant(
        "Session invite 9",
        "a session in a final state never changes state again (adopted)",
        _S + "final_state_is_final",
        ("IMsgrSession.State", "SS_CANCELLED", "SS_ACCEPTED"),
        _with_session(_FinalNotFinal),
    ),
    "launching_session_wrong": Variant(
        "Session invite 10",
        "GetLaunchingSession(pid) gives the session that launched the process",
        _S + "accept_received_invitation_launches",
        ("IMsgrSession.SessionID", "must give"),
        _build(_LaunchingSessionWrong),
    ),
    # -- registration
    "register_no_event": Variant(
        "Registration (register)",
        "RegisterApplication fires OnAppRegistered(guid)",
        _S + "register_and_unregister_application",
        ("OnAppRegistered", "never fired"),
        _build(_RegisterSilent),
    ),
    "register_twice": Variant(
        "Registration (register again)",
        "registering a GUID again fails with SR_APP_ALREADY_REGISTERED",
        _S + "register_and_unregister_application",
        ("IMsgrSessionManager.RegisterApplication", "SR_APP_ALREADY_REGISTERED"),
        _build(_RegisterTwice),
    ),
    "register_flags_ignored": Variant(
        "Registration (arguments)",
        "RegisterApplication with ulFlags != 0 fails with E_INVALIDARG",
        _S + "register_application_invalid_arguments",
        ("IMsgrSessionManager.RegisterApplication", "E_INVALIDARG"),
        _build(_RegisterFlagsIgnored),
    ),
    "unregister_silent": Variant(
        "Registration (unregister)",
        "UnRegisterApplication fires OnAppUnRegistered(guid)",
        _S + "register_and_unregister_application",
        ("OnAppUnRegistered", "never fired"),
        _build(_UnregisterSilent),
    ),
    "app_name_not_registered": Variant(
        "Registration (names on sessions)",
        "a registered application's name is the ApplicationName of its sessions",
        _S + "registered_application_name_on_session",
        ("IMsgrSession.ApplicationName", "'Chess'"),
        _with_session(_AppNameNotRegistered),
    ),
    "no_shutdown_event": Variant(
        "Registration (shutdown)",
        "when the client shuts down the manager fires OnAppShutdown()",
        _S + "client_shutdown_event",
        ("OnAppShutdown", "never fired"),
        _build(_NoShutdownEvent),
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
