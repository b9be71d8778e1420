"""Hand-written ctypes layouts of testobj.idl: a stand-in for the ``abi`` module the ``abi``
emit kind generates (used only while that kind is not available)."""

from __future__ import annotations

import ctypes


class TPoint(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int32), ("y", ctypes.c_int32)]


class TRect(ctypes.Structure):
    _fields_ = [("topLeft", TPoint), ("bottomRight", TPoint)]


class TMixed(ctypes.Structure):
    _fields_ = [
        ("b", ctypes.c_uint8),
        ("d", ctypes.c_double),
        ("s", ctypes.c_int16),
        ("tag", ctypes.c_uint16 * 6),
        ("f", ctypes.c_float),
    ]


class TValue(ctypes.Union):
    _fields_ = [("i", ctypes.c_int32), ("f", ctypes.c_double)]


class TNamed(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("count", ctypes.c_int32),
        ("points", ctypes.POINTER(TPoint)),
    ]
