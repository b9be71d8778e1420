"""``IUnknown`` and ``IDispatch``: the bases of every generated interface class."""

from __future__ import annotations

import abc
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, overload

from idlgen.runtime.hresult import (
    DISP_E_BADPARAMCOUNT,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_UNKNOWNNAME,
    E_INVALIDARG,
    E_NOINTERFACE,
    E_NOTIMPL,
    E_POINTER,
    COMError,
)
from idlgen.runtime.metadata import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    MemberInfo,
)

__all__ = [
    "ByRef",
    "IDispatch",
    "IID_IDispatch",
    "IID_IUnknown",
    "IUnknown",
    "interfaces_of",
    "is_interface",
    "to_iid",
]

IID_IUnknown = uuid.UUID("00000000-0000-0000-c000-000000000046")
IID_IDispatch = uuid.UUID("00020400-0000-0000-c000-000000000046")

_T = TypeVar("_T")
_PARAM_NAME_SOURCES = ("method", "propget", "propput", "propputref")
_I = TypeVar("_I", bound="IUnknown")


class ByRef(Generic[_T]):
    """A by-reference parameter (``VARIANT_BOOL* pfHandled``): the callee sets ``value``,
    the caller reads it back."""

    __slots__ = ("value",)

    def __init__(self, value: _T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"ByRef({self.value!r})"


def is_interface(cls: object) -> bool:
    """True for a runtime interface class: a subclass of :class:`IUnknown` declaring ``IID``."""
    return isinstance(cls, type) and issubclass(cls, IUnknown) and "IID" in cls.__dict__


def interfaces_of(obj: object) -> tuple[type[IUnknown], ...]:
    """The interface classes an object (or class) implements, most derived first (MRO order)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return tuple(c for c in cls.__mro__ if is_interface(c))


def to_iid(iid: object) -> uuid.UUID:
    """The IID named by *iid*: a ``uuid.UUID``, a GUID string, or a class declaring ``IID``
    (an interface class; a class that merely inherits ``IID``, such as a coclass or an
    implementation, is not an interface → COMError(E_NOINTERFACE)).

    Raises COMError(E_POINTER) for None and COMError(E_INVALIDARG) for anything else.
    """
    if isinstance(iid, uuid.UUID):
        return iid
    if iid is None:
        raise COMError(E_POINTER, "the IID is None")
    if isinstance(iid, str):
        try:
            return uuid.UUID(iid)
        except ValueError:
            raise COMError(E_INVALIDARG, f"not a GUID: {iid!r}") from None
    if isinstance(iid, type):
        value = iid.__dict__.get("IID")
        if isinstance(value, uuid.UUID):
            return value
        raise COMError(E_NOINTERFACE, f"{iid.__name__} is not an interface (it declares no IID)")
    raise COMError(E_INVALIDARG, f"not an IID: {iid!r}")


class IUnknown(metaclass=abc.ABCMeta):  # noqa: B024 - generated subclasses add abstract members
    """Base of every interface class: identity, ``QueryInterface``, reference counting.

    A class answers ``QueryInterface`` for every interface class in its MRO (each one declares
    ``IID``); ``_members_`` lists the members the class itself declares, in vtable order.
    """

    IID: ClassVar[uuid.UUID] = IID_IUnknown
    _members_: ClassVar[tuple[MemberInfo, ...]] = ()

    @overload
    def QueryInterface(self, iid: Callable[..., _I]) -> _I: ...

    @overload
    def QueryInterface(self, iid: uuid.UUID | str) -> Any: ...

    def QueryInterface(self, iid: object) -> Any:
        """This object seen as interface *iid* (an interface class, a ``uuid.UUID`` or a GUID
        string); raises COMError(E_NOINTERFACE) when it does not implement it."""
        wanted = to_iid(iid)
        if self._supports_iid(wanted):
            return self
        raise COMError(E_NOINTERFACE, f"{type(self).__name__} does not implement {{{wanted}}}")

    def _supports_iid(self, iid: uuid.UUID) -> bool:
        """True when ``QueryInterface(iid)`` succeeds; override to answer more IIDs."""
        return any(iid == c.IID for c in interfaces_of(type(self)))

    def AddRef(self) -> int:
        """Increment the (informational) reference count and return it."""
        count: int = getattr(self, "_idlgen_refcount_", 1) + 1
        self._idlgen_refcount_ = count
        return count

    def Release(self) -> int:
        """Decrement the (informational) reference count and return it; Python frees objects."""
        count: int = max(getattr(self, "_idlgen_refcount_", 1) - 1, 0)
        self._idlgen_refcount_ = count
        return count


# --------------------------------------------------------------------------- IDispatch


@dataclass
class _DispatchTable:
    by_dispid: dict[int, dict[str, MemberInfo]] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)


_tables: weakref.WeakKeyDictionary[type, _DispatchTable] = weakref.WeakKeyDictionary()


def _dispatch_table(cls: type) -> _DispatchTable:
    table = _tables.get(cls)
    if table is None:
        table = _DispatchTable()
        default = getattr(cls, "_default_interface_", None)
        order: list[type] = list(default.__mro__) if isinstance(default, type) else []
        order += [c for c in cls.__mro__ if c not in order]
        for owner in order:
            for member in owner.__dict__.get("_members_", ()):
                if member.dispid is None:
                    continue
                table.by_dispid.setdefault(member.dispid, {}).setdefault(member.kind, member)
                table.by_name.setdefault(member.name.lower(), member.dispid)
        _tables[cls] = table
    return table


def _flatten_names(names: Iterable[str | Sequence[str]]) -> list[str]:
    flat: list[str] = []
    for name in names:
        if isinstance(name, str):
            flat.append(name)
        else:
            flat.extend(name)
    return flat


def _check_count(owner: str, member: MemberInfo, args: Sequence[Any], value: int = 0) -> None:
    inputs = member.inputs
    most = len(inputs) + value
    least = sum(1 for p in inputs if p.is_required) + value
    if not least <= len(args) <= most:
        wanted = str(most) if least == most else f"{least} to {most}"
        raise COMError(
            DISP_E_BADPARAMCOUNT,
            f"{owner}.{member.name} takes {wanted} argument(s), {len(args)} given",
        )


class IDispatch(IUnknown):
    """Late binding: ``GetIDsOfNames`` and ``Invoke`` by DISPID, driven by ``_members_``.

    The members of every interface class in the MRO take part (the ``_default_interface_``'s
    first when a coclass has one, as COM's ``IDispatch`` is the default interface's).
    """

    IID: ClassVar[uuid.UUID] = IID_IDispatch

    def GetTypeInfoCount(self) -> int:
        """0: the runtime offers no ``ITypeInfo``."""
        return 0

    def GetTypeInfo(self, index: int = 0, lcid: int = 0) -> Any:
        """Not available: raises COMError(E_NOTIMPL)."""
        raise COMError(E_NOTIMPL, "the idlgen runtime offers no ITypeInfo")

    def GetIDsOfNames(self, *names: str | Sequence[str]) -> list[int]:
        """DISPIDs for a member name followed by names of its parameters (as COM does).

        Names are matched case-insensitively; the result has the member's DISPID first, then
        each named parameter's position in the parameter list. Names may be passed as separate
        arguments or as one sequence. Unknown name → COMError(DISP_E_UNKNOWNNAME).
        """
        flat = _flatten_names(names)
        if not flat:
            raise COMError(E_INVALIDARG, "GetIDsOfNames needs at least one name")
        table = _dispatch_table(type(self))
        dispid = table.by_name.get(flat[0].lower())
        if dispid is None:
            raise COMError(DISP_E_UNKNOWNNAME, f"{type(self).__name__} has no member {flat[0]!r}")
        ids = [dispid]
        if len(flat) > 1:
            kinds = table.by_dispid[dispid]
            member = next(kinds[k] for k in _PARAM_NAME_SOURCES if k in kinds)
            positions = {p.name.lower(): i for i, p in enumerate(member.params)}
            for name in flat[1:]:
                if name.lower() not in positions:
                    raise COMError(DISP_E_UNKNOWNNAME, f"{member.name} has no parameter {name!r}")
                ids.append(positions[name.lower()])
        return ids

    def Invoke(self, dispid: int, flags: int = DISPATCH_METHOD, args: Sequence[Any] = ()) -> Any:
        """Call member *dispid*: a method, a property get or a property put.

        *args* are in declaration order (not reversed as in ``DISPPARAMS``); ``[out]`` and
        ``[retval]`` parameters are not passed. A method returns what the Python method
        returns; a get returns the property's value; a put sets it to ``args[0]`` and returns
        None. Unknown DISPID, or no member of that kind (a put of a read-only property) →
        COMError(DISP_E_MEMBERNOTFOUND); wrong number of arguments →
        COMError(DISP_E_BADPARAMCOUNT). Exceptions from the implementation propagate.
        """
        owner = type(self).__name__
        kinds = _dispatch_table(type(self)).by_dispid.get(dispid)
        if not kinds:
            raise COMError(DISP_E_MEMBERNOTFOUND, f"{owner} has no member with DISPID {dispid}")
        if flags & DISPATCH_PROPERTYPUTREF and "propputref" in kinds:
            return self._invoke_put(owner, kinds["propputref"], args)
        if flags & DISPATCH_PROPERTYPUT and "propput" in kinds:
            return self._invoke_put(owner, kinds["propput"], args)
        if flags & DISPATCH_METHOD and "method" in kinds:
            member = kinds["method"]
            _check_count(owner, member, args)
            return getattr(self, member.python_name)(*args)
        if flags & DISPATCH_PROPERTYGET and "propget" in kinds:
            member = kinds["propget"]
            _check_count(owner, member, args)
            if member.is_indexed:
                return getattr(self, member.python_name)(*args)
            return getattr(self, member.python_name)
        name = next(iter(kinds.values())).name
        if flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF) and "propget" in kinds:
            text = f"{owner}.{name} is read-only"
        else:
            text = f"{owner}.{name} (DISPID {dispid}) cannot be invoked with flags {flags:#x}"
        raise COMError(DISP_E_MEMBERNOTFOUND, text)

    def _invoke_put(self, owner: str, member: MemberInfo, args: Sequence[Any]) -> None:
        if member.is_indexed:
            _check_count(owner, member, args)
            getattr(self, member.python_name)(*args)
            return
        if len(args) != 1:
            raise COMError(
                DISP_E_BADPARAMCOUNT,
                f"a put of {owner}.{member.name} takes 1 argument, {len(args)} given",
            )
        setattr(self, member.python_name, args[0])
