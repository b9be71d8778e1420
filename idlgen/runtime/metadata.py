"""The metadata generated interface classes carry: members, parameters, dispatch flags."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DISPATCH_METHOD",
    "DISPATCH_PROPERTYGET",
    "DISPATCH_PROPERTYPUT",
    "DISPATCH_PROPERTYPUTREF",
    "DISPID_COLLECT",
    "DISPID_CONSTRUCTOR",
    "DISPID_DESTRUCTOR",
    "DISPID_EVALUATE",
    "DISPID_NEWENUM",
    "DISPID_PROPERTYPUT",
    "DISPID_UNKNOWN",
    "DISPID_VALUE",
    "MEMBER_KINDS",
    "NO_DEFAULT",
    "PARAM_DIRECTIONS",
    "MemberInfo",
    "ParamInfo",
]

DISPATCH_METHOD: Final = 1
DISPATCH_PROPERTYGET: Final = 2
DISPATCH_PROPERTYPUT: Final = 4
DISPATCH_PROPERTYPUTREF: Final = 8

DISPID_UNKNOWN: Final = -1
DISPID_VALUE: Final = 0
DISPID_PROPERTYPUT: Final = -3
DISPID_NEWENUM: Final = -4
DISPID_EVALUATE: Final = -5
DISPID_CONSTRUCTOR: Final = -6
DISPID_DESTRUCTOR: Final = -7
DISPID_COLLECT: Final = -8

MEMBER_KINDS: Final = ("method", "propget", "propput", "propputref")
PARAM_DIRECTIONS: Final = ("in", "out", "in,out")


class _NoDefault(enum.Enum):
    NO_DEFAULT = "NO_DEFAULT"

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault.NO_DEFAULT
"""Sentinel: the parameter has no ``[defaultvalue]``."""


@dataclass(frozen=True)
class ParamInfo:
    """One parameter of a member, as declared in the IDL.

    ``direction`` is ``"in"``, ``"out"`` or ``"in,out"``; ``retval`` marks ``[out, retval]``;
    ``optional`` and ``default`` come from ``[optional]`` / ``[defaultvalue]``; ``type`` is the
    IDL type as written (informational).
    """

    name: str
    direction: str = "in"
    retval: bool = False
    optional: bool = False
    default: object = NO_DEFAULT
    type: str = ""

    def __post_init__(self) -> None:
        if self.direction not in PARAM_DIRECTIONS:
            raise ValueError(
                f"parameter {self.name!r}: direction must be one of {PARAM_DIRECTIONS}, "
                f"not {self.direction!r}"
            )

    @property
    def is_input(self) -> bool:
        """True when a caller passes this parameter (``in`` or ``in,out``, not retval)."""
        return self.direction != "out" and not self.retval

    @property
    def is_required(self) -> bool:
        """True for an input without ``[optional]`` or ``[defaultvalue]``."""
        return self.is_input and not self.optional and self.default is NO_DEFAULT


@dataclass(frozen=True)
class MemberInfo:
    """One member of an interface: IDL ``name``, ``kind``, DISPID (None when not dispatchable),
    parameters in IDL order, and the Python attribute that implements it (``python_name``,
    defaulting to ``name``)."""

    name: str
    kind: str
    dispid: int | None
    params: tuple[ParamInfo, ...] = ()
    python_name: str = field(default="")

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise ValueError(
                f"member {self.name!r}: kind must be one of {MEMBER_KINDS}, not {self.kind!r}"
            )
        if not self.python_name:
            object.__setattr__(self, "python_name", self.name)

    @property
    def inputs(self) -> tuple[ParamInfo, ...]:
        """The parameters a caller passes (``in`` and ``in,out``), in order."""
        return tuple(p for p in self.params if p.is_input)

    @property
    def is_indexed(self) -> bool:
        """True for a property taking arguments besides the value (``Item(index)``)."""
        if self.kind == "propget":
            return bool(self.inputs)
        if self.kind in ("propput", "propputref"):
            return len(self.inputs) > 1
        return False
