"""The runtime generated code stands on: COM identity, late binding and events in pure Python.

Everything here is importable from ``idlgen.runtime`` (see docs/runtime.md).
"""

from idlgen.runtime.connection import (
    CoClass,
    ConnectionPoint,
    ConnectionPointContainer,
    EventSink,
    IID_IConnectionPoint,
    IID_IConnectionPointContainer,
)
from idlgen.runtime.hresult import *  # noqa: F403
from idlgen.runtime.hresult import __all__ as _hresult_all
from idlgen.runtime.interfaces import (
    ByRef,
    IDispatch,
    IID_IDispatch,
    IID_IUnknown,
    IUnknown,
    interfaces_of,
    is_interface,
    to_iid,
)
from idlgen.runtime.metadata import *  # noqa: F403
from idlgen.runtime.metadata import __all__ as _metadata_all

__all__ = [
    "IID_IConnectionPoint",
    "IID_IConnectionPointContainer",
    "IID_IDispatch",
    "IID_IUnknown",
    "ByRef",
    "CoClass",
    "ConnectionPoint",
    "ConnectionPointContainer",
    "EventSink",
    "IDispatch",
    "IUnknown",
    "interfaces_of",
    "is_interface",
    "to_iid",
    *_hresult_all,
    *_metadata_all,
]
