"""The simulated world around the local client: the remote user B, the Messenger service (with
its lock server), the machine's application registry and processes — and the harness through
which the generated conformance suite drives them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _bindings as b
from .objects import MessengerPriv, Session, SessionManager, md5_hex


@dataclass
class Application:
    """A registered application (RegisterApplication)."""

    guid: str
    name: str
    url: str
    path: str


@dataclass
class RemotePeer:
    """B's side of one session: what B did and what B received."""

    session_id: str
    address: str
    seen_address: str = ""  #: what B reads as RemoteAddress (A's LocalAddress)
    answered: bool = False
    answer: tuple[str, str] = ("", "")  #: what B received as the answer to its invitation
    cancelled: tuple[int, str] | None = None  #: A's Cancel(hr, data), as B received it
    invitation: str = ""  #: the application data B received with A's invitation
    received_context: str = ""


class World:
    """One simulated Messenger world: A signed in locally, B signed in remotely."""

    local_address = "192.168.1.10"
    remote_address = "192.168.1.20"

    def __init__(self) -> None:
        self.local_user = b.Contact("a@example.com", online=True)
        self.remote_user = b.Contact("b@example.com", online=True)
        self.offline_user = b.Contact("c@example.com", online=False)
        self._contacts = {
            c.SigninName: c for c in (self.local_user, self.remote_user, self.offline_user)
        }
        self.applications: dict[str, Application] = {}
        self.processes: dict[int, Session] = {}
        self.process_paths: dict[int, str] = {}
        self.managers: list[SessionManager] = []
        self.app_keys: dict[str, str] = {}
        self.locked_service = False
        self._ids = itertools.count(1)
        self._pids = itertools.count(4000, 4)
        self._challenges = itertools.count(1)

    # -- names and registry

    def new_session_id(self) -> str:
        """A fresh ``{XXXXXXXX-...}`` SessionID (deterministic per world)."""
        n = next(self._ids)
        return "{" + str(uuid.UUID(int=0x5E55_0000_0000_4000_8000_0000_0000_0000 + n)).upper() + "}"

    def contact(self, name: str) -> b.Contact:
        """The contact called *name* (created offline if unknown)."""
        if name not in self._contacts:
            self._contacts[name] = b.Contact(name, online=False)
        return self._contacts[name]

    def application(self, guid: str) -> Application | None:
        """The registered application with this GUID (case-insensitive), if any."""
        return self.applications.get(guid.upper()) if guid else None

    def register(self, guid: str, name: str, url: str, path: str) -> None:
        """Add an application to the registry."""
        self.applications[guid.upper()] = Application(guid, name, url, path)

    def unregister(self, guid: str) -> bool:
        """Remove an application; False if it was not registered."""
        return self.applications.pop(guid.upper(), None) is not None

    def launch(self, session: Session, path: str) -> int:
        """Start the application at *path* for *session*; return its process id."""
        pid = next(self._pids)
        self.processes[pid] = session
        self.process_paths[pid] = path
        return pid

    # -- the remote user B

    def send_invitation(self, session: Session, user: Any, data: str) -> RemotePeer:
        """A invites B: B's client gets the invitation (B's session has the same SessionID)."""
        return RemotePeer(
            session.SessionID,
            self.remote_address,
            seen_address=session.LocalAddress,
            invitation=data,
        )

    def remote_invite(
        self, manager: SessionManager, guid: str, name: str, url: str, data: str
    ) -> Session:
        """B invites A: *manager* fires OnInvitation with a new session."""
        session = manager.session_class(manager, self.new_session_id())
        session._state = b.SESSION_STATE.SS_INVITATION
        session._flags = b.SESSION_FLAGS.SF_INVITEE
        session._application = guid
        session._user = self.remote_user
        session.invite_app_name = name
        session.invite_app_url = url
        session.peer = RemotePeer(session.SessionID, self.remote_address, answered=True)
        handled = manager._invitation(session, data)
        session.window_opened = not handled
        return session

    # -- the Messenger service and its lock server

    def service_challenge(self, target: Any, cookie: int, challenge: str | None) -> None:
        """The service sends a challenge for *cookie* to *target*."""
        if challenge is None:
            challenge = md5_hex(f"challenge-{next(self._challenges)}-{cookie}")[:16]
        target._receive_challenge(cookie, challenge)

    def service_check(self, app_id: str, challenge: str, response: str) -> bool:
        """Whether *response* is MD5(challenge + key) for the key of *app_id*."""
        key = self.app_keys.get(app_id)
        return key is not None and response.lower() == md5_hex(challenge + key)


class Harness:
    """The actions the scenario file declares in its ``[harness.*]`` tables."""

    def __init__(self, world: World) -> None:
        self.world = world

    # contacts and addresses
    def local_user(self) -> Any:
        """The contact of the signed-in local user A."""
        return self.world.local_user

    def remote_user(self) -> Any:
        """The contact of the remote user B (signed in)."""
        return self.world.remote_user

    def offline_user(self) -> Any:
        """The contact of a user who is not signed in."""
        return self.world.offline_user

    def local_address(self) -> str:
        """The local machine's address."""
        return self.world.local_address

    def remote_address(self) -> str:
        """B's machine's address."""
        return self.world.remote_address

    # lock server
    def enable_lock(self, target: Any, enable: bool) -> None:
        """The service fires OnLockEnable(enable) to *target*."""
        target._enable_lock(enable)

    def set_app_key(self, app_id: str, key: str) -> None:
        """The key the service expects for *app_id*."""
        self.world.app_keys[app_id] = key

    def use_locked_service(self) -> None:
        """The service locks the session API until the manager is unlocked."""
        self.world.locked_service = True

    def send_challenge(self, target: Any, cookie: int, challenge: str) -> None:
        """An unprompted challenge."""
        self.world.service_challenge(target, int(cookie), challenge)

    # the remote user B
    def remote_invite(
        self, manager: Any, app_guid: str, app_name: str, app_url: str, data: str
    ) -> None:
        """B invites A."""
        self.world.remote_invite(manager, app_guid, app_name, app_url, data)

    def remote_accept(self, session: Session, data: str) -> None:
        """B accepts A's invitation."""
        if session.peer is not None and not session.ended:
            session.peer.answered = True
        session._remote_accepted(data)

    def remote_decline(self, session: Session, data: str) -> None:
        """B declines A's invitation."""
        if session.peer is not None and not session.ended:
            session.peer.answered = True
        session._remote_declined(data)

    def remote_cancel(self, session: Session, hr: int, data: str) -> None:
        """B, the inviter, cancels."""
        session._remote_cancelled(int(hr), data)

    def remote_app_started(self, session: Session) -> None:
        """B's application is up."""
        session._remote_started()

    def remote_disconnect(self, session: Session, hr: int) -> None:
        """The connection to B ends with reason *hr*."""
        session._remote_disconnected(int(hr))

    def remote_send_context_data(self, session: Session, text: str) -> None:
        """B sends context data."""
        session._remote_context_data(text)

    def remote_received_context_data(self, session: Session) -> str:
        """The context data B received last."""
        return session.peer.received_context if session.peer else ""

    def remote_answer(self, session: Session) -> list[str]:
        """What B received as the answer to its invitation."""
        return list(session.peer.answer) if session.peer else ["", ""]

    def remote_received_invitation(self, session: Session) -> str:
        """The application data B received with A's invitation."""
        return session.peer.invitation if session.peer else ""

    def remote_cancelled(self, session: Session) -> list[object]:
        """What B received when A cancelled: ``[hr, data]``, or ``[]``."""
        cancelled = session.peer.cancelled if session.peer else None
        return list(cancelled) if cancelled is not None else []

    def remote_session_id(self, session: Session) -> str:
        """The SessionID of B's session."""
        return session.peer.session_id if session.peer else ""

    def remote_seen_address(self, session: Session) -> str:
        """What B reads as RemoteAddress."""
        return session.peer.seen_address if session.peer else ""

    # the local client
    def window_opened(self, session: Session) -> bool:
        """Whether the client opened its own window for the invitation."""
        return session.window_opened

    def launched_process(self, session: Session) -> int:
        """The process id launched for the session (0 if none)."""
        return session.launched_pid

    def launched_path(self, session: Session) -> str:
        """The path of the application launched for the session ("" if none)."""
        return self.world.process_paths.get(session.launched_pid, "")

    def shutdown_client(self) -> None:
        """The local client shuts down."""
        for manager in list(self.world.managers):
            manager._shutdown()

    def send_alert(self, target: MessengerPriv, text: str) -> bool:
        """An alert arrives; whether the client showed its default alert."""
        return target._alert(text)


@dataclass
class Implementation:
    """What ``new_implementation()`` returns: one factory per coclass and the harness."""

    factories: Mapping[str, Callable[[], object]]
    harness: Harness
    world: World = field(repr=False, default_factory=World)


def new_implementation(
    manager_class: type[SessionManager] = SessionManager,
    priv_class: type[MessengerPriv] = MessengerPriv,
    harness_class: type[Harness] = Harness,
) -> Implementation:
    """A fresh world with the reference objects (the classes can be swapped, e.g. for tests)."""
    world = World()

    def new_manager() -> SessionManager:
        return manager_class(world)

    def new_session() -> object:
        return new_manager().CreateSession()

    return Implementation(
        factories={
            "MsgrSessionManager": new_manager,
            "MsgrSession": new_session,
            "MessengerPriv": lambda: priv_class(world),
        },
        harness=harness_class(world),
        world=world,
    )
