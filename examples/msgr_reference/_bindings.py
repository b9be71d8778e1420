"""The one place the reference implementation imports its COM base and the IDL's facts from.

``idlgen.runtime`` (COMError, ByRef, HRESULTs) and the package idlgen generates from
``examples/Msgrpriv.idl``: ``msgrpriv`` from ``sys.path`` when it is there (the generated
suite's output directory, or a package you generated), else generated on first use into
``examples/msgr_reference/generated/`` (ignored by git).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from idlgen import runtime

HERE = Path(__file__).resolve().parent
IDL = HERE.parent / "Msgrpriv.idl"
CACHE = HERE / "generated"


def _generate_stubs() -> ModuleType:
    """Generate ``msgrpriv`` from the example IDL into :data:`CACHE` and import it."""
    from idlgen import api

    for relative, text in api.render([str(IDL)], package="msgrpriv").items():
        target = CACHE / relative
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(CACHE))
    importlib.invalidate_caches()
    return importlib.import_module("msgrpriv")


def _stubs() -> ModuleType:
    try:
        return importlib.import_module("msgrpriv")
    except ImportError:
        return _generate_stubs()


msgrpriv = _stubs()
_rt: Any = runtime
_stub: Any = msgrpriv

COMError = _rt.COMError
ByRef = _rt.ByRef
S_OK = int(_rt.S_OK)
E_NOTIMPL = int(_rt.E_NOTIMPL)
E_NOINTERFACE = int(_rt.E_NOINTERFACE)
E_POINTER = int(_rt.E_POINTER)
E_FAIL = int(_rt.E_FAIL)
E_INVALIDARG = int(_rt.E_INVALIDARG)
SESSION_STATE = _stub.SESSION_STATE
LockStatus = _stub.LockStatus
SESSION_FLAGS = _stub.SESSION_FLAGS
MSGR_E_NOT_LOGGED_ON = int(_stub.MSGR_E_NOT_LOGGED_ON)
SR_INVITATION_DECLINED = int(_stub.SR_INVITATION_DECLINED)
SR_SESSION_NOT_READY = int(_stub.SR_SESSION_NOT_READY)
SR_NOT_INVITEE = int(_stub.SR_NOT_INVITEE)
SR_NOT_INVITER = int(_stub.SR_NOT_INVITER)
SR_APP_ALREADY_REGISTERED = int(_stub.SR_APP_ALREADY_REGISTERED)
SR_APP_NOT_REGISTERED = int(_stub.SR_APP_NOT_REGISTERED)
SR_NOT_VALID_FOR_APP_INVITE = int(_stub.SR_NOT_VALID_FOR_APP_INVITE)
SR_APP_NOT_SPECIFIED = int(_stub.SR_APP_NOT_SPECIFIED)
SR_CONTEXT_DATA_OVER_LIMIT = int(_stub.SR_CONTEXT_DATA_OVER_LIMIT)
SR_INVITED_SELF = int(_stub.SR_INVITED_SELF)
SR_SESSION_STATE_INVALID = int(_stub.SR_SESSION_STATE_INVALID)
MSGR_E_API_NOTINITIALIZED = int(_stub.MSGR_E_API_NOTINITIALIZED)
MSGR_E_API_LOCKED = int(_stub.MSGR_E_API_LOCKED)
MSGR_E_API_ALREADY_UNLOCKED = int(_stub.MSGR_E_API_ALREADY_UNLOCKED)
MSGR_E_API_PENDING_UNLOCK = int(_stub.MSGR_E_API_PENDING_UNLOCK)
MSGR_E_API_DISABLED = int(_stub.MSGR_E_API_DISABLED)
DMsgrSessionManagerEvents = _stub.DMsgrSessionManagerEvents
DMsgrSessionEvents = _stub.DMsgrSessionEvents
DMessengerPrivateEvents = _stub.DMessengerPrivateEvents
MsgrSessionManager = _stub.MsgrSessionManager
MsgrSession = _stub.MsgrSession
MessengerPriv = _stub.MessengerPriv


class Contact(runtime.IDispatch):
    """A Messenger contact (the IDL types it as IDispatch)."""

    def __init__(self, signin_name: str, online: bool) -> None:
        self.SigninName = signin_name
        self.online = online

    def __repr__(self) -> str:
        return f"<Contact {self.SigninName}>"
