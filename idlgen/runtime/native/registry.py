"""Where descriptions, generated classes and ctypes layouts are found.

A generated package ``pkg`` holds ``pkg/interfaces.py`` (the classes), ``pkg/vtables.py``
(their descriptions: :mod:`idlgen.runtime.native.description`) and ``pkg/abi.py`` (ctypes
layouts of its structs and unions).  A :class:`Scope` is what the names used in one
``vtables`` module resolve to.  Descriptions are also registered by IID, so a class whose
own package has no ``vtables`` module (an imported file's package) is still found when a
loaded ``vtables`` module describes it.
"""

from __future__ import annotations

import importlib
import threading
import types
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from idlgen.runtime.interfaces import IDispatch, IUnknown, is_interface
from idlgen.runtime.native import description as d

__all__ = [
    "BUILTIN_SCOPE",
    "DescriptionError",
    "Scope",
    "class_for",
    "describe",
    "load_descriptions",
    "scope_of",
]


class DescriptionError(TypeError):
    """No vtable description (or no layout) for what was asked."""


class Scope:
    """The interfaces and layouts the type codes of one ``vtables`` module refer to."""

    def __init__(
        self,
        package: str | None,
        interfaces: Iterable[d.Interface],
        layout_packages: Mapping[str, str] | None = None,
    ) -> None:
        self.package = package
        #: the package whose ``abi`` module has a layout another IDL file declares
        self.layout_packages = dict(layout_packages or {})
        self.interfaces: dict[str, d.Interface] = {}
        for builtin in d.BUILTINS:
            self.interfaces[builtin.name] = builtin
        for i in interfaces:
            self.interfaces[i.name] = i
        self._layouts: types.ModuleType | None = None
        self._layouts_loaded = False

    def interface(self, name: str) -> d.Interface:
        """The description called *name* (DescriptionError when there is none)."""
        found = self.interfaces.get(name)
        if found is None:
            raise DescriptionError(f"no description of interface {name} in {self.where}")
        return found

    @property
    def where(self) -> str:
        """The describing package, for messages."""
        return f"package {self.package}" if self.package else "idlgen's built-in descriptions"

    def layout(self, kind: str, name: str) -> Any:
        """The ctypes class of ``struct``/``union`` *name*: from the package's ``abi`` module,
        else (a layout of an imported file) from the ``abi`` module of that file's package."""
        if not self._layouts_loaded:
            self._layouts_loaded = True
            self._layouts = _abi_module(self.package)
        found = getattr(self._layouts, name, None) if self._layouts is not None else None
        if not isinstance(found, type) and name in self.layout_packages:
            found = getattr(_abi_module(self.layout_packages[name]), name, None)
        if not isinstance(found, type):
            if self._layouts is None:
                raise DescriptionError(
                    f"{kind} {name}: {self.where} has no ctypes layouts (its 'abi' module); "
                    "generate it with --emit abi"
                )
            raise DescriptionError(f"{kind} {name}: no ctypes layout in {self._layouts.__name__}")
        return found


def _abi_module(package: str | None) -> types.ModuleType | None:
    if not package:
        return None
    try:
        return importlib.import_module(f"{package}.abi")
    except ImportError:
        return None


BUILTIN_SCOPE = Scope(None, ())

_lock = threading.RLock()
_scopes: dict[int, Scope] = {id(i): BUILTIN_SCOPE for i in BUILTIN_SCOPE.interfaces.values()}
_by_iid: dict[uuid.UUID, d.Interface] = {
    uuid.UUID(i.iid): i for i in BUILTIN_SCOPE.interfaces.values()
}
_modules: dict[str, Scope] = {}
_described: dict[type, d.Interface] = {IUnknown: d.IUNKNOWN, IDispatch: d.IDISPATCH}
_classes: dict[tuple[str | None, uuid.UUID], type | None] = {}


def load_descriptions(module: types.ModuleType) -> Scope:
    """Register the descriptions of a generated ``vtables`` module (once) and return its scope."""
    with _lock:
        scope = _modules.get(module.__name__)
        if scope is not None:
            return scope
        interfaces = [v for v in vars(module).values() if isinstance(v, d.Interface)]
        scope = Scope(
            module.__package__ or None, interfaces, getattr(module, "LAYOUT_PACKAGES", None)
        )
        for i in interfaces:
            _scopes.setdefault(id(i), scope)
            _by_iid.setdefault(uuid.UUID(i.iid), i)
        _modules[module.__name__] = scope
        return scope


def scope_of(info: d.Interface) -> Scope:
    """The scope an interface description was loaded with."""
    return _scopes.get(id(info), BUILTIN_SCOPE)


def _vtables_of(cls: type) -> types.ModuleType | None:
    package = cls.__module__.rpartition(".")[0]
    if not package:
        return None
    try:
        return importlib.import_module(f"{package}.vtables")
    except ImportError:
        return None


def describe(cls: type) -> d.Interface:
    """The description of a generated interface class (or the runtime's IUnknown/IDispatch).

    Looked up in the ``vtables`` module of the class's package, then among every loaded
    description by IID.  Raises :class:`DescriptionError` when there is none.
    """
    found = _described.get(cls)
    if found is not None:
        return found
    if not is_interface(cls):
        raise DescriptionError(f"{getattr(cls, '__name__', cls)!r} is not an interface class")
    iid: uuid.UUID = cls.__dict__["IID"]
    module = _vtables_of(cls)
    if module is not None:
        load_descriptions(module)
    with _lock:
        found = _by_iid.get(iid)
        if found is None:
            raise DescriptionError(
                f"no vtable description of {cls.__qualname__} ({{{iid}}}): generate its package "
                "with --emit abi (it writes vtables.py)"
            )
        _described[cls] = found
        return found


def by_iid(iid: uuid.UUID) -> d.Interface | None:
    """A loaded description with this IID, if any."""
    return _by_iid.get(iid)


def class_for(info: d.Interface) -> type | None:
    """The generated class of a description (found by IID in its package's ``interfaces``
    and ``events`` modules), or None when that package is not importable."""
    if info is d.IUNKNOWN:
        return IUnknown
    if info is d.IDISPATCH:
        return IDispatch
    scope = scope_of(info)
    package = info.package or scope.package
    iid = uuid.UUID(info.iid)
    key = (package, iid)
    with _lock:
        if key in _classes:
            return _classes[key]
        found: type | None = None
        for module_name in ("interfaces", "events"):
            if package is None:
                break
            try:
                module = importlib.import_module(f"{package}.{module_name}")
            except ImportError:
                continue
            for value in vars(module).values():
                if is_interface(value) and value.__dict__["IID"] == iid:
                    found = value
                    break
            if found is not None:
                break
        _classes[key] = found
        if found is not None:
            _described.setdefault(found, info)
        return found
