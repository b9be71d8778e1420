"""Vtable and function descriptions: the data a generated ``<pkg>/vtables.py`` holds.

Pure data (frozen dataclasses of strings, ints and tuples; no ctypes here), written by
``idlgen generate --emit abi``, read by :mod:`idlgen.runtime.native` to call through
vtables and exported functions.  C types are spelled as type codes
(:mod:`idlgen.runtime.native.typecodes`); the facts that decide how a value is marshalled
(direction, ``retval``, ``iid_is``, ``size_is``/``length_is``, ``optional``/``defaultvalue``)
come from the IDL's attributes.

An :class:`Interface` lists the methods it declares itself, each with its absolute slot
in the vtable; its ``base`` is the description of its base interface, so the full vtable
is the base's, then these (:meth:`Interface.vtable`).  IUnknown and IDispatch are the
:data:`IUNKNOWN` and :data:`IDISPATCH` defined here, with IClassFactory and the two
interfaces of connection points (:data:`ICONNECTIONPOINTCONTAINER`, :data:`ICONNECTIONPOINT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from idlgen.runtime.metadata import MEMBER_KINDS, NO_DEFAULT, PARAM_DIRECTIONS

__all__ = [
    "BUILTINS",
    "ICLASSFACTORY",
    "ICONNECTIONPOINT",
    "ICONNECTIONPOINTCONTAINER",
    "IDISPATCH",
    "IUNKNOWN",
    "Function",
    "Interface",
    "Method",
    "Module",
    "Param",
    "SizeExpr",
]

#: A ``size_is``/``length_is`` expression: a number, a parameter name, ``("*", e)`` (the
#: value a pointer parameter points to) or ``(op, left, right)`` with op one of ``+ - * /``.
SizeExpr: TypeAlias = "int | str | tuple[str, SizeExpr] | tuple[str, SizeExpr, SizeExpr]"


@dataclass(frozen=True)
class Param:
    """One parameter: IDL name, type code and the attributes that drive marshalling."""

    name: str
    type: str
    direction: str = "in"
    retval: bool = False
    optional: bool = False
    default: object = NO_DEFAULT
    iid_is: str | None = None
    size_is: SizeExpr | None = None
    length_is: SizeExpr | None = None

    def __post_init__(self) -> None:
        if self.direction not in PARAM_DIRECTIONS:
            raise ValueError(f"parameter {self.name!r}: bad direction {self.direction!r}")


@dataclass(frozen=True)
class Method:
    """One vtable slot (``slot`` counts from IUnknown's QueryInterface = 0).

    ``kind`` is ``method``/``propget``/``propput``/``propputref``; ``returns`` the C return
    type code.  A method returning a struct or union by value receives a hidden result
    pointer after ``this`` (what widl's headers spell ``__ret``) and returns it.
    """

    slot: int
    name: str
    returns: str
    params: tuple[Param, ...] = ()
    kind: str = "method"
    dispid: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise ValueError(f"method {self.name!r}: bad kind {self.kind!r}")


@dataclass(frozen=True)
class Interface:
    """An interface: ``name``, ``iid`` (GUID text), ``base`` and the methods it declares.

    ``package`` is the generated package whose ``interfaces`` module has its class, when it
    is not the package of the describing module (an interface from an imported file);
    ``dispatch`` marks dual interfaces and dispinterfaces (``IDispatch`` is in the chain).
    """

    name: str
    iid: str
    base: Interface | None
    methods: tuple[Method, ...] = ()
    package: str | None = None
    dispatch: bool = False

    def vtable(self) -> tuple[Method, ...]:
        """Every slot, inherited ones first (ordered by slot)."""
        chain: list[Interface] = []
        node: Interface | None = self
        while node is not None:
            chain.append(node)
            node = node.base
        return tuple(m for i in reversed(chain) for m in i.methods)


@dataclass(frozen=True)
class Function:
    """An exported function of an IDL ``module``; ``convention`` is ``"stdcall"``,
    ``"cdecl"`` or None, as the IDL spells it (see docs/native.md for what each selects)."""

    name: str
    returns: str
    params: tuple[Param, ...] = ()
    convention: str | None = None


@dataclass(frozen=True)
class Module:
    """An IDL ``module``: its ``dllname`` (None without one) and functions."""

    name: str
    dllname: str | None
    functions: tuple[Function, ...] = ()


_IID = "*guid"

IUNKNOWN: Final = Interface(
    "IUnknown",
    "00000000-0000-0000-c000-000000000046",
    None,
    (
        Method(
            0,
            "QueryInterface",
            "hresult",
            (Param("riid", _IID), Param("ppvObject", "**void", "out", iid_is="riid")),
        ),
        Method(1, "AddRef", "u32"),
        Method(2, "Release", "u32"),
    ),
)

IDISPATCH: Final = Interface(
    "IDispatch",
    "00020400-0000-0000-c000-000000000046",
    IUNKNOWN,
    (
        Method(3, "GetTypeInfoCount", "hresult", (Param("pctinfo", "*u32", "out"),)),
        Method(
            4,
            "GetTypeInfo",
            "hresult",
            (
                Param("iTInfo", "u32"),
                Param("lcid", "u32"),
                Param("ppTInfo", "**iface:IUnknown", "out"),
            ),
        ),
        Method(
            5,
            "GetIDsOfNames",
            "hresult",
            (
                Param("riid", _IID),
                Param("rgszNames", "**char16", size_is="cNames"),
                Param("cNames", "u32"),
                Param("lcid", "u32"),
                Param("rgDispId", "*i32", "out", size_is="cNames"),
            ),
        ),
        Method(
            6,
            "Invoke",
            "hresult",
            (
                Param("dispIdMember", "i32"),
                Param("riid", _IID),
                Param("lcid", "u32"),
                Param("wFlags", "u16"),
                Param("pDispParams", "*void"),
                Param("pVarResult", "*variant"),
                Param("pExcepInfo", "*void"),
                Param("puArgErr", "*u32"),
            ),
        ),
    ),
    dispatch=True,
)

ICLASSFACTORY: Final = Interface(
    "IClassFactory",
    "00000001-0000-0000-c000-000000000046",
    IUNKNOWN,
    (
        Method(
            3,
            "CreateInstance",
            "hresult",
            (
                Param("pUnkOuter", "*iface:IUnknown"),
                Param("riid", _IID),
                Param("ppvObject", "**void", "out", iid_is="riid"),
            ),
        ),
        Method(4, "LockServer", "hresult", (Param("fLock", "bool32"),)),
    ),
)

ICONNECTIONPOINTCONTAINER: Final = Interface(
    "IConnectionPointContainer",
    "b196b284-bab4-101a-b69c-00aa00341d07",
    IUNKNOWN,
    (
        Method(
            3,
            "EnumConnectionPoints",
            "hresult",
            (Param("ppEnum", "**iface:IUnknown", "out", retval=True),),
        ),
        Method(
            4,
            "FindConnectionPoint",
            "hresult",
            (
                Param("riid", _IID),
                Param("ppCP", "**iface:IConnectionPoint", "out", retval=True),
            ),
        ),
    ),
)

ICONNECTIONPOINT: Final = Interface(
    "IConnectionPoint",
    "b196b286-bab4-101a-b69c-00aa00341d07",
    IUNKNOWN,
    (
        Method(
            3, "GetConnectionInterface", "hresult", (Param("pIID", "*guid", "out", retval=True),)
        ),
        Method(
            4,
            "GetConnectionPointContainer",
            "hresult",
            (Param("ppCPC", "**iface:IConnectionPointContainer", "out", retval=True),),
        ),
        Method(
            5,
            "Advise",
            "hresult",
            (
                Param("pUnkSink", "*iface:IUnknown"),
                Param("pdwCookie", "*u32", "out", retval=True),
            ),
        ),
        Method(6, "Unadvise", "hresult", (Param("dwCookie", "u32"),)),
        Method(
            7,
            "EnumConnections",
            "hresult",
            (Param("ppEnum", "**iface:IUnknown", "out", retval=True),),
        ),
    ),
)

#: The descriptions every scope knows (types codes may name them in any package).
BUILTINS: Final = (IUNKNOWN, IDISPATCH, ICLASSFACTORY, ICONNECTIONPOINTCONTAINER, ICONNECTIONPOINT)
