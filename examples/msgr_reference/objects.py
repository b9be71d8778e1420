"""The Messenger objects: MsgrSessionManager, MsgrSession and MessengerPriv, in pure Python.

Each class implements the coclass the stubs generated from ``Msgrpriv.idl`` declare
(``class Session(msgrpriv.MsgrSession)``) and follows the rules of
``../shared/reference/winmessenger/OVERVIEW.md``, including the ones marked *(adopted)* there.
The other party (the remote user B, the Messenger service and its lock server) is simulated by
:class:`msgr_reference.world.World`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from . import _bindings as b

if TYPE_CHECKING:
    from .world import RemotePeer, World

SS = b.SESSION_STATE
LS = b.LockStatus

#: States a session never leaves (adopted: OVERVIEW.md, Session invite 9).
FINAL_STATES = frozenset({SS.SS_CANCELLED, SS.SS_DECLINED, SS.SS_TERMINATED})

MAX_INVITE_DATA_BYTES = 512
MAX_CONTEXT_DATA_CHARS = 300
MAX_CONTEXT_DATA_SENDS = 5
#: RegisterApplication's string limits (API.md).
LIMITS = {"bstrAppGUID": 39, "bstrAppName": 256, "bstrAppURL": 256, "bstrPath": 260}


def fail(hresult: int, text: str = "") -> b.COMError:
    """The exception a failed call raises."""
    return b.COMError(hresult, text)


# --------------------------------------------------------------------------- lock and key


class LockMixin:
    """IMsgrLock: the lock-and-key state of one object (OVERVIEW.md, Lock and key)."""

    world: World
    _lock_source: Any  #: the outgoing interface the lock events go to
    _lock_status: b.LockStatus
    _pending: dict[int, str]  #: cookie -> challenge

    def _init_lock(self) -> None:
        self._lock_status = LS.LOCK_NOTINITIALIZED
        self._pending = {}

    def _lock_event(self, event: str, *args: Any) -> list[Any]:
        return self.fire_event(self._lock_source, event, *args)  # type: ignore[attr-defined,no-any-return]

    def _set_lock_status(self, status: b.LockStatus) -> None:
        if status != self._lock_status:
            self._lock_status = status
            # adopted: OnLockStatusChanged carries the new status
            self._lock_event("OnLockStatusChanged", status)

    @property
    def Status(self) -> b.LockStatus:
        """The LockStatus of this object (read-only)."""
        return self._lock_status

    def _lock_refusal(self) -> int | None:
        status = self._lock_status
        if status == LS.LOCK_NOTINITIALIZED:
            return b.MSGR_E_API_NOTINITIALIZED
        if status == LS.LOCK_DISABLED:
            return b.MSGR_E_API_DISABLED  # adopted
        return None

    def RequestChallenge(self, lCookie: int) -> None:
        """Start an unlock transaction; the service answers with OnLockChallenge."""
        refusal = self._lock_refusal()
        if refusal is not None:
            raise fail(refusal)
        if self._lock_status == LS.LOCK_UNLOCKED:
            raise fail(b.MSGR_E_API_ALREADY_UNLOCKED, "already unlocked in this session")
        if self._lock_status == LS.LOCK_PENDINGRESULT:
            raise fail(b.MSGR_E_API_PENDING_UNLOCK, "a challenge is pending")  # adopted
        self.world.service_challenge(self, int(lCookie), None)

    def _receive_challenge(self, cookie: int, challenge: str) -> None:
        """The service sends *challenge* for *cookie* (requested or unprompted)."""
        self._pending[cookie] = challenge
        self._set_lock_status(LS.LOCK_PENDINGRESULT)
        self._lock_event("OnLockChallenge", cookie, challenge)

    def SendResponse(
        self,
        bstrAppStrId: str,
        bstrResponse: str,
        lCookie: int,
    ) -> None:
        """Answer a challenge with MD5(challenge + key); the service answers OnLockResult."""
        refusal = self._lock_refusal()
        if refusal is not None:
            raise fail(refusal)
        challenge = self._pending.pop(int(lCookie), None)
        if challenge is None:
            raise fail(b.E_INVALIDARG, f"no pending challenge with cookie {lCookie}")  # adopted
        ok = self.world.service_check(bstrAppStrId, challenge, bstrResponse)
        self._lock_event("OnLockResult", int(lCookie), ok)
        self._set_lock_status(LS.LOCK_UNLOCKED if ok else LS.LOCK_UNLOCKFAILED)

    def _enable_lock(self, enable: bool) -> None:
        """The service fires OnLockEnable(enable) to this object."""
        self._lock_event("OnLockEnable", bool(enable))
        self._set_lock_status(LS.LOCK_INITIALIZED if enable else LS.LOCK_DISABLED)

    @property
    def unlocked(self) -> bool:
        """True once this object's API was unlocked."""
        return self._lock_status == LS.LOCK_UNLOCKED


# --------------------------------------------------------------------------- session


class Session(LockMixin, b.MsgrSession):
    """One side of an invitation (OVERVIEW.md, Session invite)."""

    _lock_source = b.DMsgrSessionEvents

    def __init__(self, manager: SessionManager, session_id: str) -> None:
        self.world = manager.world
        self.manager = manager
        self._init_lock()
        self._state = SS.SS_READY
        self._flags = b.SESSION_FLAGS.SF_NONE
        self._application = ""
        self._session_id = session_id
        self._local_address = self.world.local_address
        self._context_data = ""
        self._sends = 0
        self._user: Any = None
        self.peer: RemotePeer | None = None
        self.invite_app_name = ""
        self.invite_app_url = ""
        self.window_opened = False
        self.launched_pid = 0

    # -- events and state

    def _event(self, event: str, *args: Any) -> list[Any]:
        return self.fire_event(b.DMsgrSessionEvents, event, *args)

    def _move(self, state: b.SESSION_STATE) -> None:
        """Change state; every change fires exactly one OnStateChanged(previous state)."""
        previous = self._state
        if previous in FINAL_STATES or state == previous:
            return
        self._state = state
        self._event("OnStateChanged", previous)

    def _terminate(self, state: b.SESSION_STATE, hr: int, data: str) -> None:
        if self._state in FINAL_STATES:
            return
        self._move(state)
        self._event("OnTermination", b_signed(hr), data)

    @property
    def ended(self) -> bool:
        """True in a final state."""
        return self._state in FINAL_STATES

    # -- IMsgrSession properties

    @property
    def Application(self) -> str:
        """The GUID of the session's application."""
        return self._application

    @Application.setter
    def Application(self, value: str) -> None:
        if not isinstance(value, str):
            raise fail(b.E_INVALIDARG)
        self._application = value

    @property
    def State(self) -> b.SESSION_STATE:
        """The current SESSION_STATE (read-only)."""
        return self._state

    @property
    def RemoteAddress(self) -> str:
        """The other side's LocalAddress ("" until it is known)."""
        return self.peer.address if self.peer is not None and self.peer.answered else ""

    @property
    def SessionID(self) -> str:
        """``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}``, the same on both sides."""
        return self._session_id

    @property
    def ContextData(self) -> str:
        """The context data received last."""
        return self._context_data

    @property
    def ApplicationName(self) -> str:
        """The registered name of the session's application."""
        app = self.world.application(self._application)
        return app.name if app is not None else self.invite_app_name

    @property
    def ApplicationURL(self) -> str:
        """The registered download URL of the session's application."""
        app = self.world.application(self._application)
        return app.url if app is not None else self.invite_app_url

    @property
    def Flags(self) -> int:
        """SESSION_FLAGS bits."""
        return int(self._flags)

    @property
    def User(self) -> Any:
        """The contact on the other side (None before Invite)."""
        return self._user

    @property
    def LocalAddress(self) -> str:
        """This side's address; the other side reads it as RemoteAddress."""
        return self._local_address

    @LocalAddress.setter
    def LocalAddress(self, value: str) -> None:
        if not isinstance(value, str):
            raise fail(b.E_INVALIDARG)
        self._local_address = value

    # -- IMsgrSession methods

    def Invite(self, pUser: Any, bstrAppData: str) -> None:
        """Invite *pUser* to the session's application (inviter side)."""
        if self.world.locked_service and not self.manager.unlocked:
            raise fail(b.MSGR_E_API_LOCKED)  # adopted for Invite
        if self._state != SS.SS_READY:
            raise fail(b.SR_SESSION_NOT_READY)
        if not self._application:
            raise fail(b.SR_APP_NOT_SPECIFIED)
        if pUser is None:
            raise fail(b.E_INVALIDARG, "null user")
        if len(str(bstrAppData).encode("utf-8")) > MAX_INVITE_DATA_BYTES:
            raise fail(b.E_INVALIDARG, "application data over 512 bytes")
        if pUser is self.world.local_user:
            raise fail(b.SR_INVITED_SELF)
        if not getattr(pUser, "online", False):
            raise fail(b.MSGR_E_NOT_LOGGED_ON)
        self._user = pUser
        self._flags |= b.SESSION_FLAGS.SF_INVITER  # adopted: set at Invite
        self.peer = self.world.send_invitation(self, pUser, bstrAppData)
        self._move(SS.SS_INVITATION)

    def Accept(self, bstrAppData: str) -> None:
        """Accept a received invitation; then check and launch the application."""
        if self._state != SS.SS_INVITATION or not self._flags & b.SESSION_FLAGS.SF_INVITEE:
            raise fail(b.SR_SESSION_STATE_INVALID)
        assert self.peer is not None
        self.peer.answer = ("accepted", bstrAppData)
        self.peer.seen_address = self._local_address
        self._move(SS.SS_ACCEPTED)
        app = self.world.application(self._application)
        if app is None:
            self._event("OnAppNotPresent", self.invite_app_name, self.invite_app_url)
            self.peer.answer = ("declined", "")
            self._terminate(SS.SS_DECLINED, b.SR_INVITATION_DECLINED, "")  # adopted sequence
            return
        enable = b.ByRef(True)
        self._event("BeforeAppLaunch", enable)
        if enable.value:
            self.launched_pid = self.world.launch(self, app.path)
        self._event("OnReadyToLaunch")
        self._move(SS.SS_CONNECTED)

    def Decline(self, bstrAppData: str) -> None:
        """Decline a received invitation."""
        if self._flags & b.SESSION_FLAGS.SF_INVITER:
            raise fail(b.SR_NOT_INVITEE)
        if self._state != SS.SS_INVITATION:
            raise fail(b.SR_SESSION_STATE_INVALID)
        assert self.peer is not None
        self.peer.answer = ("declined", bstrAppData)
        # adopted: hr = SR_INVITATION_DECLINED
        self._terminate(SS.SS_DECLINED, b.SR_INVITATION_DECLINED, bstrAppData)

    def Cancel(self, hr: int, bstrAppData: str) -> None:
        """Cancel the invitation (or the session) with reason *hr*."""
        if self._state in FINAL_STATES or self._state == SS.SS_READY:
            raise fail(b.E_FAIL, "nothing to cancel")  # adopted
        if self._state == SS.SS_INVITATION and self._flags & b.SESSION_FLAGS.SF_INVITEE:
            raise fail(b.SR_NOT_INVITER)
        assert self.peer is not None
        self.peer.cancelled = (int(hr), bstrAppData)
        self._terminate(SS.SS_CANCELLED, int(hr), bstrAppData)

    def SendContextData(self, bstrData: str) -> None:
        """Send *bstrData* to the other side (after acceptance; at most five times)."""
        if self._state not in (SS.SS_ACCEPTED, SS.SS_CONNECTED):
            raise fail(b.SR_SESSION_STATE_INVALID)  # adopted
        if len(bstrData) > MAX_CONTEXT_DATA_CHARS:
            raise fail(b.SR_CONTEXT_DATA_OVER_LIMIT)
        if self._sends >= MAX_CONTEXT_DATA_SENDS:
            raise fail(b.SR_NOT_VALID_FOR_APP_INVITE)  # adopted: the sixth call
        self._sends += 1
        assert self.peer is not None
        self.peer.received_context = bstrData

    # -- what the other side does (called by the world)

    def _remote_accepted(self, data: str) -> None:
        if self._state != SS.SS_INVITATION:
            return
        self._event("OnAccepted", data)
        self._move(SS.SS_ACCEPTED)

    def _remote_declined(self, data: str) -> None:
        if self._state != SS.SS_INVITATION:
            return
        self._event("OnDeclined", data)
        self._terminate(SS.SS_DECLINED, b.SR_INVITATION_DECLINED, data)

    def _remote_cancelled(self, hr: int, data: str) -> None:
        if self._state in FINAL_STATES:
            return
        self._event("OnCancelled", data)
        self._terminate(SS.SS_DECLINED, hr, data)  # "cancelled by the other side"

    def _remote_started(self) -> None:
        if self._state == SS.SS_ACCEPTED:
            self._move(SS.SS_CONNECTED)

    def _remote_disconnected(self, hr: int) -> None:
        if self._state in (SS.SS_ACCEPTED, SS.SS_CONNECTED):
            self._terminate(SS.SS_TERMINATED, hr, "")

    def _remote_context_data(self, text: str) -> None:
        self._context_data = text
        self._event("OnContextData", text)


def b_signed(hr: int) -> int:
    """An HRESULT as the signed ``long`` events carry."""
    hr &= 0xFFFFFFFF
    return hr - 0x100000000 if hr & 0x80000000 else hr


# --------------------------------------------------------------------------- session manager


class SessionManager(LockMixin, b.MsgrSessionManager):
    """The local client's MsgrSessionManager."""

    _lock_source = b.DMsgrSessionManagerEvents
    #: The class of the sessions this manager creates and receives.
    session_class: type[Session] = Session

    def __init__(self, world: World) -> None:
        self.world = world
        self._init_lock()
        world.managers.append(self)

    def _event(self, event: str, *args: Any) -> list[Any]:
        return self.fire_event(b.DMsgrSessionManagerEvents, event, *args)

    def CreateSession(self) -> Session:
        """A new session in SS_READY with a fresh SessionID."""
        if self.world.locked_service and not self.unlocked:
            raise fail(b.MSGR_E_API_LOCKED)  # adopted for CreateSession
        return self.session_class(self, self.world.new_session_id())

    def GetLaunchingSession(self, lProcessID: int) -> Session:
        """The session whose acceptance launched process *lProcessID*."""
        if not isinstance(lProcessID, int) or lProcessID <= 0:
            raise fail(b.E_INVALIDARG)
        session = self.world.processes.get(lProcessID)
        if session is None:
            raise fail(b.E_FAIL, f"no session launched process {lProcessID}")
        return session

    def RegisterApplication(
        self,
        bstrAppGUID: str,
        bstrAppName: str,
        bstrAppURL: str,
        bstrPath: str,
        ulFlags: int,
    ) -> None:
        """Register an application for invitations; fires OnAppRegistered."""
        values = {
            "bstrAppGUID": bstrAppGUID,
            "bstrAppName": bstrAppName,
            "bstrAppURL": bstrAppURL,
            "bstrPath": bstrPath,
        }
        if ulFlags != 0 or not bstrAppGUID:
            raise fail(b.E_INVALIDARG)
        for name, value in values.items():
            if not isinstance(value, str) or len(value) > LIMITS[name]:
                raise fail(b.E_INVALIDARG, f"{name} over {LIMITS[name]} characters")
        if self.world.application(bstrAppGUID) is not None:
            raise fail(b.SR_APP_ALREADY_REGISTERED)
        self.world.register(bstrAppGUID, bstrAppName, bstrAppURL, bstrPath)
        self._event("OnAppRegistered", bstrAppGUID)

    def UnRegisterApplication(self, bstrAppGUID: str) -> None:
        """Remove a registration; fires OnAppUnRegistered."""
        if not bstrAppGUID:
            raise fail(b.E_INVALIDARG)
        if not self.world.unregister(bstrAppGUID):
            raise fail(b.SR_APP_NOT_REGISTERED)
        self._event("OnAppUnRegistered", bstrAppGUID)

    @property
    def Applications(self) -> Any:
        """Documented as not implemented."""
        raise fail(b.E_NOTIMPL, "IMsgrSessionManager.Applications is not implemented")

    # -- from the world

    def _invitation(self, session: Session, data: str) -> bool:
        """Fire OnInvitation; True when a handler set pfHandled."""
        handled = b.ByRef(False)
        self._event("OnInvitation", session, data, handled)
        return bool(handled.value)

    def _shutdown(self) -> None:
        self._event("OnAppShutdown")


# --------------------------------------------------------------------------- MessengerPriv


class MessengerPriv(LockMixin, b.MessengerPriv):
    """IMessengerPrivate: alerts and contact-list additions; unlocked separately."""

    _lock_source = b.DMessengerPrivateEvents

    def __init__(self, world: World) -> None:
        self.world = world
        self._init_lock()
        self.alert_sites: list[Any] | None = None

    def EnableAlertEvents(self, ppsaSiteIds: Any) -> Any:
        """Turn on OnAlertReceived for the given sites (returned unchanged)."""
        self.alert_sites = list(ppsaSiteIds or [])
        return ppsaSiteIds

    def AddContact(self, bstrSiginName: str, vService: Any) -> None:
        """Add a contact; the result comes as OnContactListAdd(hr, contact)."""
        if not bstrSiginName:
            raise fail(b.E_INVALIDARG)
        contact = self.world.contact(bstrSiginName)
        self.fire_event(b.DMessengerPrivateEvents, "OnContactListAdd", b.S_OK, contact)

    def _alert(self, text: str) -> bool:
        """An alert arrives; True when the client shows its default alert."""
        enable = b.ByRef(True)
        if self.alert_sites is not None:
            self.fire_event(b.DMessengerPrivateEvents, "OnAlertReceived", text, enable)
        return bool(enable.value)


def md5_hex(text: str) -> str:
    """Lowercase hex MD5 of *text* (UTF-8)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()
