"""Native libraries: exported functions of IDL ``module`` declarations, and class objects."""

from __future__ import annotations

import ctypes
import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

from idlgen.runtime.native import _ffi
from idlgen.runtime.native import description as d
from idlgen.runtime.native.marshal import Plan, python_names
from idlgen.runtime.native.proxy import wrap
from idlgen.runtime.native.registry import BUILTIN_SCOPE, Scope, load_descriptions

__all__ = ["BoundModule", "Library", "NativeFunction", "create_instance", "load"]

_DLL_GET_CLASS_OBJECT = d.Function(
    "DllGetClassObject",
    "hresult",
    (
        d.Param("rclsid", "*guid"),
        d.Param("riid", "*guid"),
        d.Param("ppv", "**void", "out", iid_is="riid"),
    ),
    "stdcall",
)
_CO_CREATE_INSTANCE = d.Function(
    "CoCreateInstance",
    "hresult",
    (
        d.Param("rclsid", "*guid"),
        d.Param("pUnkOuter", "*iface:IUnknown"),
        d.Param("dwClsContext", "u32"),
        d.Param("riid", "*guid"),
        d.Param("ppv", "**void", "out", iid_is="riid"),
    ),
    "stdcall",
)
IID_ICLASSFACTORY = d.ICLASSFACTORY.iid
CLSCTX_INPROC_SERVER = 0x1
CLSCTX_LOCAL_SERVER = 0x4


class NativeFunction:
    """An exported function called with the stubs' conventions (like a method)."""

    def __init__(
        self, library: Library, description: d.Function, scope: Scope, address: int | None
    ) -> None:
        self.library = library
        self.description = description
        self.scope = scope
        self.address = address
        self.__name__ = description.name
        self._plan: Plan | None = None

    def _get_plan(self) -> Plan:
        if self._plan is None:
            abi = self.library.abi_code
            if self.description.convention == "cdecl":
                abi = _ffi.abi_code(_ffi.ABI_DEFAULT)
            self._plan = Plan(
                self.description.name,
                self.description.returns,
                self.description.params,
                self.scope,
                abi,
                method=False,
            )
        return self._plan

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.address:
            raise OSError(f"{self.library.path} does not export {self.description.name}")
        plan = self._plan or self._get_plan()
        if kwargs or len(args) != len(plan.py_names):
            args = tuple(plan.bind(args, kwargs))
        return plan.invoke(None, self.address, args)

    def __repr__(self) -> str:
        return f"<native function {self.description.name} of {self.library.path}>"


class BoundModule:
    """The functions of the IDL ``module`` declarations of a generated package, bound to
    one library: each is an attribute (its IDL name; ``_`` appended to a keyword)."""

    def __init__(self, library: Library, functions: dict[str, NativeFunction]) -> None:
        self._library = library
        self._functions = functions
        for name, function in functions.items():
            setattr(self, name, function)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"no function {name!r} in the modules bound to {self._library.path} "
            f"(known: {', '.join(sorted(self._functions)) or 'none'})"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __dir__(self) -> list[str]:
        return sorted(self._functions)


def _vtables_module(target: object) -> types.ModuleType:
    """The generated ``vtables`` module for a package, one of its modules, or itself."""
    if not isinstance(target, types.ModuleType):
        raise TypeError(f"expected a generated package or module, got {type(target).__name__}")
    if hasattr(target, "MODULES") or target.__name__.endswith(".vtables"):
        return target
    package = target.__name__ if hasattr(target, "__path__") else target.__name__.rpartition(".")[0]
    try:
        return importlib.import_module(f"{package}.vtables")
    except ImportError:
        raise TypeError(
            f"{target.__name__} has no vtable descriptions: generate it with --emit abi"
        ) from None


class Library:
    """A loaded shared library and the calling convention of its COM methods and functions.

    ``abi="ms"`` (x86-64 only) is the Microsoft x64 convention: the exported functions and
    the methods of objects the library returns use it, except functions the IDL declares
    ``__cdecl`` (they use the platform's).
    """

    def __init__(self, path: str, *, abi: str = _ffi.ABI_DEFAULT) -> None:
        self.abi = abi
        self.abi_code = _ffi.abi_code(abi)
        _ffi.libffi()  # fail here, clearly, when native calls are impossible
        self.path = path
        self.dll = ctypes.CDLL(path)

    def symbol_address(self, name: str) -> int | None:
        """The address of an exported symbol, or None."""
        try:
            return ctypes.cast(getattr(self.dll, name), ctypes.c_void_p).value
        except AttributeError:
            return None

    def function(self, description: d.Function, scope: Scope = BUILTIN_SCOPE) -> NativeFunction:
        """A callable for one described function (its address looked up by name)."""
        return NativeFunction(self, description, scope, self.symbol_address(description.name))

    def bind(self, target: object) -> BoundModule:
        """The functions of the IDL ``module`` declarations of a generated package (or its
        ``vtables`` module), marshalled like methods.  A function the library does not
        export raises OSError when called."""
        module = _vtables_module(target)
        scope = load_descriptions(module)
        modules: tuple[d.Module, ...] = getattr(module, "MODULES", ())
        functions: dict[str, NativeFunction] = {}
        for m in modules:
            names = python_names([f.name for f in m.functions])
            for name, f in zip(names, m.functions, strict=True):
                functions.setdefault(name, self.function(f, scope))
        return BoundModule(self, functions)

    def wrap(self, pointer: object, interface: type, *, addref: bool = False) -> Any:
        """:func:`~idlgen.runtime.native.wrap` in this library's calling convention."""
        return wrap(pointer, interface, abi=self.abi, addref=addref)

    def __repr__(self) -> str:
        return f"<native library {self.path} abi={self.abi}>"


def load(path: str, *, abi: str = _ffi.ABI_DEFAULT) -> Library:
    """Load a shared library (``ctypes.CDLL`` rules for *path*).

    *abi* is ``"default"`` (the platform's C convention) or ``"ms"`` (the Microsoft x64
    convention, ``__attribute__((ms_abi))``, on x86-64; what Wine-derived libraries such
    as vkd3d use).  Raises OSError when the library cannot be loaded,
    :class:`~idlgen.runtime.native.NativeUnavailableError` when native calls are not
    possible here, ValueError for an unknown *abi*.
    """
    return Library(path, abi=abi)


def create_instance(library: Library | None, clsid: object, interface: type) -> Any:
    """Create a COM object of class *clsid* (a ``uuid.UUID``, a GUID string or a generated
    coclass) and return it as a proxy of *interface*.

    With a :class:`Library`: the in-process server convention — its ``DllGetClassObject``
    gives the class factory, whose ``CreateInstance`` makes the object (the same on every
    OS).  With None, on Windows only: ``CoCreateInstance`` through ole32 (COM must be
    initialised on the thread: ``CoInitializeEx``).  A failure raises COMError
    (``CLASS_E_CLASSNOTAVAILABLE``, ``E_NOINTERFACE``, ...).
    """
    if library is None:
        if sys.platform != "win32":
            raise OSError("create_instance without a library needs Windows (CoCreateInstance)")
        ole32 = Library("ole32")  # pragma: no cover - Windows only
        create = ole32.function(_CO_CREATE_INSTANCE)
        return create(clsid, None, CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER, interface)
    get_class_object = library.function(_DLL_GET_CLASS_OBJECT)
    factory = get_class_object(clsid, IID_ICLASSFACTORY)
    with factory:
        return factory.CreateInstance(None, interface)
