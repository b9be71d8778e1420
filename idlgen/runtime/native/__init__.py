"""Calling binary COM objects and exported functions from generated bindings.

``idlgen.runtime.native`` is imported only by code that uses it (``import idlgen.runtime``
does not load it), and loads ctypes' libffi only when a library is loaded or a pointer
wrapped.  See docs/native.md.

>>> from idlgen.runtime import native                             # doctest: +SKIP
>>> lib = native.load("libvkd3d-utils.so.1", abi="ms")            # doctest: +SKIP
>>> api = lib.bind(vkd3d)          # a package generated with --emit abi  # doctest: +SKIP
>>> device = api.D3D12CreateDevice(None, 0xB000, d3d12.ID3D12Device)      # doctest: +SKIP
>>> device.GetNodeCount()                                          # doctest: +SKIP
1
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idlgen.runtime.native._ffi import NativeUnavailableError
    from idlgen.runtime.native.automation import use_library_functions
    from idlgen.runtime.native.dispatch import Dispatch
    from idlgen.runtime.native.errors import NullPointerError, ReleasedProxyError
    from idlgen.runtime.native.exposure import (
        expose,
        exposed_object,
        exposed_refs,
        release_pointer,
    )
    from idlgen.runtime.native.library import (
        BoundModule,
        Library,
        NativeFunction,
        create_instance,
        load,
    )
    from idlgen.runtime.native.proxy import NativeProxy, address_of, is_released, wrap
    from idlgen.runtime.native.registry import DescriptionError

__all__ = [
    "BoundModule",
    "DescriptionError",
    "Dispatch",
    "Library",
    "NativeFunction",
    "NativeProxy",
    "NativeUnavailableError",
    "NullPointerError",
    "ReleasedProxyError",
    "address_of",
    "create_instance",
    "expose",
    "exposed_object",
    "exposed_refs",
    "is_released",
    "load",
    "release_pointer",
    "use_library_functions",
    "wrap",
]

_WHERE = {
    "NativeUnavailableError": "_ffi",
    "use_library_functions": "automation",
    "Dispatch": "dispatch",
    "expose": "exposure",
    "exposed_object": "exposure",
    "exposed_refs": "exposure",
    "release_pointer": "exposure",
    "NullPointerError": "errors",
    "ReleasedProxyError": "errors",
    "BoundModule": "library",
    "Library": "library",
    "NativeFunction": "library",
    "create_instance": "library",
    "load": "library",
    "NativeProxy": "proxy",
    "address_of": "proxy",
    "is_released": "proxy",
    "wrap": "proxy",
    "DescriptionError": "registry",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
