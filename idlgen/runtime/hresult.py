"""HRESULT values, helpers and :class:`COMError`, the exception a failed HRESULT becomes.

HRESULTs are handled as unsigned 32-bit ints (``0x80004002``), the way the Windows SDK headers
write them; a negative ``long`` (``-2147467262``) is accepted wherever an HRESULT is taken and
normalised with :func:`to_unsigned`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "CLASS_E_CLASSNOTAVAILABLE",
    "CLASS_E_NOAGGREGATION",
    "CONNECT_E_ADVISELIMIT",
    "CONNECT_E_CANNOTCONNECT",
    "CONNECT_E_NOCONNECTION",
    "CONNECT_E_OVERRIDDEN",
    "DISP_E_ARRAYISLOCKED",
    "DISP_E_BADINDEX",
    "DISP_E_BADPARAMCOUNT",
    "DISP_E_BADVARTYPE",
    "DISP_E_EXCEPTION",
    "DISP_E_MEMBERNOTFOUND",
    "DISP_E_NONAMEDARGS",
    "DISP_E_OVERFLOW",
    "DISP_E_PARAMNOTFOUND",
    "DISP_E_PARAMNOTOPTIONAL",
    "DISP_E_TYPEMISMATCH",
    "DISP_E_UNKNOWNINTERFACE",
    "DISP_E_UNKNOWNLCID",
    "DISP_E_UNKNOWNNAME",
    "E_ABORT",
    "E_ACCESSDENIED",
    "E_BOUNDS",
    "E_FAIL",
    "E_HANDLE",
    "E_INVALIDARG",
    "E_NOINTERFACE",
    "E_NOTIMPL",
    "E_OUTOFMEMORY",
    "E_PENDING",
    "E_POINTER",
    "E_UNEXPECTED",
    "FACILITY_DISPATCH",
    "FACILITY_ITF",
    "FACILITY_NULL",
    "FACILITY_RPC",
    "FACILITY_STORAGE",
    "FACILITY_WIN32",
    "FACILITY_WINDOWS",
    "REGDB_E_CLASSNOTREG",
    "REGDB_E_WRITEREGDB",
    "SEVERITY_ERROR",
    "SEVERITY_SUCCESS",
    "S_FALSE",
    "S_OK",
    "COMError",
    "check_hresult",
    "failed",
    "hresult_code",
    "hresult_facility",
    "hresult_from_win32",
    "hresult_name",
    "make_hresult",
    "register_hresult_names",
    "succeeded",
    "to_signed",
    "to_unsigned",
]

# --------------------------------------------------------------------------- constants

S_OK: Final = 0x00000000
S_FALSE: Final = 0x00000001

E_NOTIMPL: Final = 0x80004001
E_NOINTERFACE: Final = 0x80004002
E_POINTER: Final = 0x80004003
E_ABORT: Final = 0x80004004
E_FAIL: Final = 0x80004005
E_PENDING: Final = 0x8000000A
E_BOUNDS: Final = 0x8000000B
E_UNEXPECTED: Final = 0x8000FFFF
E_ACCESSDENIED: Final = 0x80070005
E_HANDLE: Final = 0x80070006
E_OUTOFMEMORY: Final = 0x8007000E
E_INVALIDARG: Final = 0x80070057

DISP_E_UNKNOWNINTERFACE: Final = 0x80020001
DISP_E_MEMBERNOTFOUND: Final = 0x80020003
DISP_E_PARAMNOTFOUND: Final = 0x80020004
DISP_E_TYPEMISMATCH: Final = 0x80020005
DISP_E_UNKNOWNNAME: Final = 0x80020006
DISP_E_NONAMEDARGS: Final = 0x80020007
DISP_E_BADVARTYPE: Final = 0x80020008
DISP_E_EXCEPTION: Final = 0x80020009
DISP_E_OVERFLOW: Final = 0x8002000A
DISP_E_BADINDEX: Final = 0x8002000B
DISP_E_UNKNOWNLCID: Final = 0x8002000C
DISP_E_ARRAYISLOCKED: Final = 0x8002000D
DISP_E_BADPARAMCOUNT: Final = 0x8002000E
DISP_E_PARAMNOTOPTIONAL: Final = 0x8002000F

CONNECT_E_NOCONNECTION: Final = 0x80040200
CONNECT_E_ADVISELIMIT: Final = 0x80040201
CONNECT_E_CANNOTCONNECT: Final = 0x80040202
CONNECT_E_OVERRIDDEN: Final = 0x80040203

CLASS_E_NOAGGREGATION: Final = 0x80040110
CLASS_E_CLASSNOTAVAILABLE: Final = 0x80040111
REGDB_E_WRITEREGDB: Final = 0x80040151
REGDB_E_CLASSNOTREG: Final = 0x80040154

SEVERITY_SUCCESS: Final = 0
SEVERITY_ERROR: Final = 1

FACILITY_NULL: Final = 0
FACILITY_RPC: Final = 1
FACILITY_DISPATCH: Final = 2
FACILITY_STORAGE: Final = 3
FACILITY_ITF: Final = 4
FACILITY_WIN32: Final = 7
FACILITY_WINDOWS: Final = 8

_STANDARD_NAMES: Final[dict[int, str]] = {
    value: name
    for name, value in sorted(globals().items())
    if name.startswith(("S_", "E_", "DISP_E_", "CONNECT_E_", "CLASS_E_", "REGDB_E_"))
    and isinstance(value, int)
}
_registered_names: dict[int, str] = {}


# --------------------------------------------------------------------------- helpers


def to_unsigned(hr: int) -> int:
    """*hr* as an unsigned 32-bit value (``-2147467259`` → ``0x80004005``)."""
    return hr & 0xFFFFFFFF


def to_signed(hr: int) -> int:
    """*hr* as a signed 32-bit ``long`` (``0x80004005`` → ``-2147467259``)."""
    hr &= 0xFFFFFFFF
    return hr - 0x1_0000_0000 if hr & 0x8000_0000 else hr


def succeeded(hr: int) -> bool:
    """True for a success HRESULT (severity bit clear: S_OK, S_FALSE, ...)."""
    return not to_unsigned(hr) & 0x8000_0000


def failed(hr: int) -> bool:
    """True for a failure HRESULT (severity bit set)."""
    return bool(to_unsigned(hr) & 0x8000_0000)


def make_hresult(severity: int, facility: int, code: int) -> int:
    """The HRESULT ``MAKE_HRESULT(severity, facility, code)`` builds (unsigned).

    Raises ValueError when a part is out of range (severity 0/1, facility 0..0x7FF,
    code 0..0xFFFF).
    """
    if severity not in (0, 1):
        raise ValueError(f"HRESULT severity must be 0 or 1, not {severity}")
    if not 0 <= facility <= 0x7FF:
        raise ValueError(f"HRESULT facility must be in 0..0x7FF, not {facility:#x}")
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"HRESULT code must be in 0..0xFFFF, not {code:#x}")
    return (severity << 31) | (facility << 16) | code


def hresult_facility(hr: int) -> int:
    """The facility field of *hr* (``HRESULT_FACILITY``)."""
    return (to_unsigned(hr) >> 16) & 0x1FFF


def hresult_code(hr: int) -> int:
    """The code field (low 16 bits) of *hr* (``HRESULT_CODE``)."""
    return to_unsigned(hr) & 0xFFFF


def hresult_from_win32(error: int) -> int:
    """``HRESULT_FROM_WIN32(error)``: a Win32 error code as an HRESULT (0 stays S_OK)."""
    if to_signed(error) <= 0:
        return to_unsigned(error)
    return make_hresult(SEVERITY_ERROR, FACILITY_WIN32, error & 0xFFFF)


def hresult_name(hr: int) -> str | None:
    """The symbolic name of *hr* (standard or registered), or None if it has none."""
    value = to_unsigned(hr)
    return _STANDARD_NAMES.get(value) or _registered_names.get(value)


def register_hresult_names(names: Mapping[str, int] | Mapping[int, str]) -> None:
    """Make :func:`hresult_name` (and ``str(COMError)``) know more names.

    Takes ``{name: value}`` (what generated code passes: the IDL's own error codes) or
    ``{value: name}``. The standard names always win over registered ones; among registered
    names, the latest registration wins.
    """
    for key, item in names.items():
        if isinstance(key, str) and isinstance(item, int):
            _registered_names[to_unsigned(item)] = key
        elif isinstance(key, int) and isinstance(item, str):
            _registered_names[to_unsigned(key)] = item
        else:
            raise TypeError(
                f"register_hresult_names takes {{name: value}} or {{value: name}}, "
                f"got {key!r}: {item!r}"
            )


# --------------------------------------------------------------------------- COMError


class COMError(Exception):
    """A failed COM call: ``hresult`` (unsigned 32-bit) and an optional description.

    ``str(COMError(E_NOINTERFACE, "no IFoo"))`` is ``0x80004002 E_NOINTERFACE: no IFoo``; the
    name is looked up when the error is printed, so names registered later still show.
    """

    hresult: int
    text: str

    def __init__(self, hresult: int, text: str = "") -> None:
        super().__init__(to_unsigned(hresult), text)
        self.hresult = to_unsigned(hresult)
        self.text = text

    @property
    def name(self) -> str | None:
        """The symbolic name of the HRESULT, if known."""
        return hresult_name(self.hresult)

    def __str__(self) -> str:
        head = f"0x{self.hresult:08X}"
        name = self.name
        if name:
            head += f" {name}"
        return f"{head}: {self.text}" if self.text else head

    def __repr__(self) -> str:
        name = self.name or f"0x{self.hresult:08X}"
        return f"COMError({name}, {self.text!r})" if self.text else f"COMError({name})"


def check_hresult(hr: int, text: str = "") -> int:
    """Return *hr* (unsigned) if it is a success code, else raise :class:`COMError`."""
    if failed(hr):
        raise COMError(hr, text)
    return to_unsigned(hr)
