"""Reference implementation of the Windows Messenger private API (``Msgrpriv.idl``).

Pure Python, built on the stubs idlgen generates from ``examples/Msgrpriv.idl`` and on
``idlgen.runtime``; the remote user, the Messenger service and its lock server are simulated in
memory (:class:`~msgr_reference.world.World`).  It is the ``--impl`` module of the generated
conformance suite::

    pytest generated/tests --impl=msgr_reference

``new_implementation()`` returns a fresh world: one factory per coclass and the harness object
the behaviour scenarios drive (see ``docs/conformance.md``).
"""

from .objects import MessengerPriv, Session, SessionManager
from .world import Harness, Implementation, World, new_implementation

__all__ = [
    "Harness",
    "Implementation",
    "MessengerPriv",
    "Session",
    "SessionManager",
    "World",
    "new_implementation",
]
