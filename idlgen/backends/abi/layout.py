"""Windows x64 layouts of IDL data types: sizes, alignments, offsets and bit-fields.

The ABI backend's model of C types, computed from the resolved :mod:`idlgen.model` before
anything is rendered.  :class:`LayoutEngine` turns a :class:`~idlgen.model.TypeRef` into a
:data:`CType` and a struct or union into a :class:`Record` with every member's offset, by the
rules of the Microsoft x64 C compiler (which mingw-w64's GCC follows):

- LLP64: ``long`` is 32 bits, pointers 64; ``wchar_t`` 16 bits; enums are ``int``;
  ``__int3264`` and basetsd.h's pointer-precision typedefs (``ULONG_PTR``, ``SIZE_T`` ...) are
  64 bits (the IDL is read as widl reads it, without ``_WIN64``, where they are 32);
- natural alignment, capped by the ``#pragma pack`` in effect where the type is defined
  (:attr:`~idlgen.model.Struct.pack`);
- bit-fields: adjacent bit-fields share a storage unit of their declared type while that type
  has the same size and the unit has room; otherwise a new unit starts, aligned like the type;
  a zero-width bit-field closes the unit (MSVC's rules, not GCC's);
- a conformant array member (``[size_is(n)] T a[]``) is ``T a[1]``, as widl declares it;
- an encapsulated union (``union U switch (long k) u {...}``) is ``struct U { long k; union
  {...} u; }`` (the arm name defaults to ``tagged_union``), as widl declares it;
- members named with mingw's nameless-member macros (``DUMMYUNIONNAME``,
  ``__C89_NAMELESSUNIONNAME``, ``__VARIANT_NAME_1`` ...) are anonymous, as in C11.

Nothing here decides Python names; :mod:`idlgen.backends.abi.emit` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from idlgen.diagnostics import Span
from idlgen.frontend.evaluate import ValueLookup, evaluate_expression
from idlgen.model import (
    ArrayType,
    BaseType,
    CoClass,
    DispInterface,
    Enum,
    Expr,
    Field,
    FunctionType,
    Interface,
    Module,
    NamedType,
    PointerType,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
)

POINTER_SIZE = 8

# --------------------------------------------------------------------------- C types


@dataclass(frozen=True)
class Scalar:
    """An integer or floating type: ``ctype`` names its :mod:`ctypes` type (``c_int32``)."""

    ctype: str
    size: int

    @property
    def align(self) -> int:
        """Scalars are aligned to their size."""
        return self.size

    @property
    def bitfield_ctype(self) -> str:
        """The ctypes integer type a bit-field of this type is declared with."""
        return "c_int8" if self.ctype == "c_char" else self.ctype


@dataclass(frozen=True)
class Opaque:
    """What has no size of its own: ``void``, a function type, an interface or coclass, an
    incomplete struct or union.  Only a pointer to it can be laid out (``c_void_p``)."""

    what: str


@dataclass(frozen=True)
class Pointer:
    """A pointer (8 bytes): to data (``ctypes.POINTER(target)``) or to an :class:`Opaque`."""

    target: CType

    size = POINTER_SIZE
    align = POINTER_SIZE

    @property
    def is_void(self) -> bool:
        """True when the pointer is a ``c_void_p``: it points at something opaque (or at a
        record that could not be laid out)."""
        target = real_type(self.target)
        return isinstance(target, Opaque) or (isinstance(target, Record) and not target.complete)


@dataclass(frozen=True)
class Array:
    """A fixed array ``element[count]`` (a multi-dimensional array nests)."""

    element: CType
    count: int

    @property
    def size(self) -> int:
        """The element's size times the count."""
        return size_of(self.element) * self.count

    @property
    def align(self) -> int:
        """The element's alignment."""
        return align_of(self.element)


@dataclass(eq=False)
class Alias:
    """A typedef name for ``target`` (kept so that generated code says ``UINT``)."""

    decl: Typedef
    target: CType

    @property
    def name(self) -> str:
        """The typedef's name."""
        return self.decl.name


INT32 = Scalar("c_int32", 4)


@dataclass(eq=False)
class EnumType:
    """An enum: a 32-bit ``int`` (``c_int32``), as MSVC lays enums out."""

    decl: Enum
    scalar: Scalar = INT32


@dataclass
class Member:
    """A member of a record that is not a bit-field, at ``offset`` bytes.

    ``name`` is None for a member without a name; ``anonymous`` is True for it and for one
    named with a nameless-member macro: its own members are members of the enclosing record.
    """

    name: str | None
    type: CType
    offset: int
    anonymous: bool = False
    field: Field | None = None


@dataclass
class BitField:
    """One bit-field: ``width`` bits from bit ``bit`` (LSB first) of its storage unit."""

    name: str | None
    type: Scalar
    width: int
    bit: int
    signed: bool
    field: Field | None = None


@dataclass
class BitUnit:
    """A storage unit of adjacent bit-fields: ``size`` bytes at ``offset``."""

    offset: int
    size: int
    bits: list[BitField] = field(default_factory=list)


@dataclass(eq=False)
class Record:
    """A struct or union with its Windows x64 layout.

    ``decl`` is the IDL declaration; for an encapsulated union there are two records of the
    same declaration: the struct (``part`` "") and its union of arms (``part`` "arms").
    ``parent`` is the record a nested definition is a member of.
    """

    decl: Struct | Union
    kind: str  # "struct" | "union"
    part: str = ""
    members: list[Member | BitUnit] = field(default_factory=list)
    size: int = 0
    align: int = 1
    pack: int | None = None
    parent: Record | None = None
    complete: bool = False

    @property
    def span(self) -> Span:
        """Where the declaration is."""
        return self.decl.span

    def nested(self) -> Iterator[Record]:
        """The records defined inline in this one (depth first, in member order)."""
        for m in self.members:
            if isinstance(m, Member):
                for r in _inline_records(m.type):
                    if r.parent is self:
                        yield r
                        yield from r.nested()

    def c_members(self) -> list[CMember]:
        """Every member as C code names it, nested ones flattened (see :class:`CMember`)."""
        out: list[CMember] = []
        _c_members(self, "", 0, out)
        return out


CType = Scalar | Opaque | Pointer | Array | Alias | EnumType | Record
#: A :data:`CType` that is not a typedef name.
RealType = Scalar | Opaque | Pointer | Array | EnumType | Record


@dataclass(frozen=True)
class CMember:
    """A member of a record as C code names it: ``path`` is what ``offsetof`` takes
    (``u.x``; members of anonymous members are named as members of the record).

    ``offset``/``size`` in bytes; a bit-field has its unit's offset and size, and ``bits``
    (bit offset in the unit, width, signed)."""

    path: str
    offset: int
    size: int
    bits: tuple[int, int, bool] | None = None


def _c_members(record: Record, prefix: str, base: int, out: list[CMember]) -> None:
    for m in record.members:
        if isinstance(m, BitUnit):
            for b in m.bits:
                if b.name is not None:
                    bits = (b.bit, b.width, b.signed)
                    out.append(CMember(prefix + b.name, base + m.offset, m.size, bits))
            continue
        inline = m.type if isinstance(m.type, Record) and m.type.parent is record else None
        if m.anonymous:
            if inline is not None:
                _c_members(inline, prefix, base + m.offset, out)
            continue
        assert m.name is not None
        path = prefix + m.name
        out.append(CMember(path, base + m.offset, size_of(m.type)))
        if inline is not None:
            _c_members(inline, path + ".", base + m.offset, out)


def _inline_records(t: CType) -> Iterator[Record]:
    while isinstance(t, Array):
        t = t.element
    if isinstance(t, Record):
        yield t


#: IDL base types (as :mod:`idlgen.transform` normalises them) on Windows x64.
BASE_TYPES: dict[str, Scalar] = {
    "char": Scalar("c_char", 1),
    "signed char": Scalar("c_int8", 1),
    "unsigned char": Scalar("c_uint8", 1),
    "small": Scalar("c_int8", 1),
    "signed small": Scalar("c_int8", 1),
    "unsigned small": Scalar("c_uint8", 1),
    "byte": Scalar("c_uint8", 1),
    "boolean": Scalar("c_uint8", 1),
    "__int8": Scalar("c_int8", 1),
    "unsigned __int8": Scalar("c_uint8", 1),
    "wchar_t": Scalar("c_uint16", 2),
    "short": Scalar("c_int16", 2),
    "unsigned short": Scalar("c_uint16", 2),
    "__int16": Scalar("c_int16", 2),
    "unsigned __int16": Scalar("c_uint16", 2),
    "int": INT32,
    "signed": INT32,
    "unsigned int": Scalar("c_uint32", 4),
    "unsigned": Scalar("c_uint32", 4),
    "long": INT32,
    "unsigned long": Scalar("c_uint32", 4),
    "__int32": INT32,
    "unsigned __int32": Scalar("c_uint32", 4),
    "error_status_t": Scalar("c_uint32", 4),
    "long long": Scalar("c_int64", 8),
    "unsigned long long": Scalar("c_uint64", 8),
    "hyper": Scalar("c_int64", 8),
    "unsigned hyper": Scalar("c_uint64", 8),
    "__int64": Scalar("c_int64", 8),
    "unsigned __int64": Scalar("c_uint64", 8),
    "__int3264": Scalar("c_int64", 8),
    "unsigned __int3264": Scalar("c_uint64", 8),
    "float": Scalar("c_float", 4),
    "double": Scalar("c_double", 8),
}

#: basetsd.h's pointer-precision typedefs, at their Win64 widths (read without ``_WIN64``,
#: as widl reads them, they are 32-bit).
WIN64_TYPEDEFS: dict[str, Scalar] = {
    "INT_PTR": Scalar("c_int64", 8),
    "UINT_PTR": Scalar("c_uint64", 8),
    "LONG_PTR": Scalar("c_int64", 8),
    "ULONG_PTR": Scalar("c_uint64", 8),
    "SHANDLE_PTR": Scalar("c_int64", 8),
    "HANDLE_PTR": Scalar("c_uint64", 8),
    "HALF_PTR": INT32,
    "UHALF_PTR": Scalar("c_uint32", 4),
}

_SIGNED = frozenset({"c_int8", "c_int16", "c_int32", "c_int64", "c_char"})

#: Member names that mingw-w64's and Wine's headers define away (C11 anonymous members).
NAMELESS_MEMBER = re.compile(
    r"(?:DUMMY(?:UNION|STRUCT)NAME\d*|__C89_NAMELESS(?:UNION|STRUCT)NAME\d*|__VARIANT_NAME_\d+)\Z"
)

#: The member name widl gives the union of an encapsulated union without an arm name.
DEFAULT_ARM_NAME = "tagged_union"


def real_type(t: CType) -> RealType:
    """*t* without typedef names."""
    while isinstance(t, Alias):
        t = t.target
    assert not isinstance(t, Alias)
    return t


def size_of(t: CType) -> int:
    """The size of *t* in bytes (0 for an :class:`Opaque` type)."""
    t = real_type(t)
    if isinstance(t, Opaque):
        return 0
    if isinstance(t, EnumType):
        return t.scalar.size
    return t.size


def align_of(t: CType) -> int:
    """The natural alignment of *t* in bytes."""
    t = real_type(t)
    if isinstance(t, Opaque):
        return 1
    if isinstance(t, EnumType):
        return t.scalar.align
    return t.align


def scalar_of(t: CType) -> Scalar | None:
    """The scalar *t* is (through typedefs and enums), if it is one."""
    t = real_type(t)
    if isinstance(t, EnumType):
        return t.scalar
    return t if isinstance(t, Scalar) else None


def _round_up(n: int, multiple: int) -> int:
    return (n + multiple - 1) // multiple * multiple


# --------------------------------------------------------------------------- the engine


class LayoutError(Exception):
    """A type that cannot be laid out (unknown, incomplete by value, non-constant size)."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span = span
        self.message = message


class LayoutEngine:
    """Computes (and caches) the :data:`CType` of types and the :class:`Record` of structs
    and unions.  *lookup* evaluates the names in array sizes and bit-field widths."""

    def __init__(self, lookup: ValueLookup | None = None) -> None:
        self.lookup = lookup
        self._records: dict[tuple[int, str], Record] = {}
        self._aliases: dict[int, Alias] = {}
        self._enums: dict[int, EnumType] = {}
        self._busy: set[int] = set()
        self._pointee_mode = False

    # ------------------------------------------------------------------ types

    def ctype(self, t: TypeRef) -> CType:
        """The C type of *t*; raises :class:`LayoutError`."""
        if isinstance(t, BaseType):
            if t.name == "void":
                return Opaque("void")
            scalar = BASE_TYPES.get(t.name)
            if scalar is None:
                raise LayoutError(t.span, f"unknown base type '{t.name}'")
            return scalar
        if isinstance(t, PointerType):
            return Pointer(self._pointee(t.target))
        if isinstance(t, ArrayType):
            count = 1 if t.size is None else self.evaluate(t.size, "array size")
            return Array(self.ctype(t.element), count)
        if isinstance(t, SafeArrayType):
            return Pointer(Opaque("SAFEARRAY"))
        if isinstance(t, FunctionType):
            return Opaque("function")
        if isinstance(t, TaggedType):
            target = t.definition or t.target
            if target is None:  # a tag that is never defined: an incomplete type
                return Opaque(f"incomplete {t.keyword} {t.tag}")
            return self.declared(target, t, t.tag or t.keyword)
        if isinstance(t, NamedType):
            if t.target is None:
                if t.name == "handle_t":
                    return Pointer(Opaque("handle_t"))
                scalar = BASE_TYPES.get(t.name)
                if scalar is not None:
                    return scalar
                raise LayoutError(t.span, f"unknown type '{t.name}'")
            return self.declared(t.target, t, t.name)
        raise LayoutError(t.span, f"cannot lay out {type(t).__name__}")

    def declared(self, target: object, use: TypeRef, name: str) -> CType:
        """The C type of a declaration *target* used by *use* (spelled *name*)."""
        if isinstance(target, Typedef):
            return self.alias(target)
        if isinstance(target, Struct | Union):
            if not target.is_defined:
                return Opaque(f"incomplete {name}")
            return self.record(target)
        if isinstance(target, Enum):
            return self.enum(target)
        if isinstance(target, Interface | DispInterface | CoClass | Module):
            return Opaque(f"interface {name}")
        raise LayoutError(use.span, f"'{name}' is not a type that can be laid out")

    def _pointee(self, t: TypeRef) -> CType:
        """The target of a pointer: a record being laid out is fine (``struct X *next``);
        anything that cannot be laid out is opaque."""
        outer = self._pointee_mode
        self._pointee_mode = True
        try:
            return self.ctype(t)
        except LayoutError:
            return Opaque("unknown")
        finally:
            self._pointee_mode = outer

    def alias(self, decl: Typedef) -> Alias:
        """The :class:`Alias` of a typedef."""
        found = self._aliases.get(id(decl))
        if found is not None:
            if id(decl) in self._busy and not self._pointee_mode:
                raise LayoutError(decl.span, f"typedef '{decl.name}' refers to itself")
            return found
        alias = self._aliases[id(decl)] = Alias(decl, Opaque("incomplete"))
        self._busy.add(id(decl))
        try:
            target = self.ctype(decl.type)
        except LayoutError:
            del self._aliases[id(decl)]
            raise
        finally:
            self._busy.discard(id(decl))
        win64 = WIN64_TYPEDEFS.get(decl.name)
        if win64 is not None and isinstance(decl.real_type(), BaseType):
            target = win64
        alias.target = target
        return alias

    def enum(self, decl: Enum) -> EnumType:
        """The :class:`EnumType` of an enum."""
        found = self._enums.get(id(decl))
        if found is None:
            found = self._enums[id(decl)] = EnumType(decl)
        return found

    def evaluate(self, e: Expr, what: str) -> int:
        """The value of a constant expression (an array size, a bit-field width)."""
        try:
            value = evaluate_expression(e, self.lookup)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            value = None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise LayoutError(e.span, f"{what} is not a constant non-negative integer")
        return value

    # ------------------------------------------------------------------ records

    def record(self, decl: Struct | Union, parent: Record | None = None) -> Record:
        """The laid-out :class:`Record` of a struct or union (an encapsulated union: the
        struct of discriminant and arms)."""
        key = (id(decl), "")
        found = self._records.get(key)
        if found is not None:
            if not found.complete and not self._pointee_mode:
                raise LayoutError(decl.span, f"'{describe(decl)}' contains itself")
            return found
        outer = self._pointee_mode
        self._pointee_mode = False
        try:
            return self._new_record(decl, key, parent)
        finally:
            self._pointee_mode = outer

    def _new_record(
        self, decl: Struct | Union, key: tuple[int, str], parent: Record | None
    ) -> Record:
        encapsulated = isinstance(decl, Union) and decl.switch_type is not None
        kind = "union" if isinstance(decl, Union) and not encapsulated else "struct"
        record = Record(decl, kind, parent=parent, pack=decl.pack)
        self._records[key] = record
        try:
            if isinstance(decl, Union) and decl.switch_type is not None:
                self._encapsulated(record, decl)
            else:
                self._lay_out(record, decl.fields)
        except LayoutError:
            del self._records[key]
            record.members.clear()
            raise
        record.complete = True
        return record

    def _encapsulated(self, record: Record, decl: Union) -> None:
        assert decl.switch_type is not None
        arms = Record(decl, "union", "arms", parent=record, pack=decl.pack)
        self._records[(id(decl), "arms")] = arms
        self._lay_out(arms, decl.fields)
        arms.complete = True
        discriminant = Field(decl.switch_name, decl.switch_type, span=decl.span)
        arm = Field(decl.arm_name or DEFAULT_ARM_NAME, NamedType("<arms>"), span=decl.span)
        self._lay_out(record, [discriminant, arm], {id(arm): arms})

    def _member_type(self, f: Field, record: Record) -> CType:
        inline = _inline_definition(f.type)
        if inline is not None and isinstance(inline, Struct | Union) and inline.is_defined:
            self.record(inline, parent=record)
        return self.ctype(f.type)

    def _lay_out(
        self, record: Record, fields: list[Field], given: dict[int, CType] | None = None
    ) -> None:
        pack = record.pack
        is_union = record.kind == "union"
        offset = 0
        align = 1
        size = 0
        unit: BitUnit | None = None
        used = 0  # bits used in `unit`
        for f in fields:
            t = given[id(f)] if given and id(f) in given else self._member_type(f, record)
            if f.bits is None and isinstance(real_type(t), Opaque):
                if f.name is None:
                    continue  # an empty union arm (`default: ;`)
                raise LayoutError(f.span, f"member '{f.name}' has no size ({_what(t)})")
            falign = align_of(t) if pack is None else min(align_of(t), pack)
            if f.bits is not None:
                width = self.evaluate(f.bits, "bit-field width")
                scalar = scalar_of(t)
                if scalar is None or scalar.ctype in ("c_float", "c_double"):
                    raise LayoutError(f.span, f"bit-field '{f.name}' is not of an integer type")
                if width > scalar.size * 8:
                    raise LayoutError(f.span, f"bit-field '{f.name}' is wider than its type")
                if width == 0:
                    unit = None
                    continue
                full = unit is None or unit.size != scalar.size or used + width > unit.size * 8
                if is_union or full:
                    start = 0 if is_union else _round_up(offset, falign)
                    unit = BitUnit(start, scalar.size)
                    record.members.append(unit)
                    used = 0
                    offset = start + scalar.size
                    align = max(align, falign)
                    size = max(size, start + scalar.size)
                signed = scalar.ctype in _SIGNED
                assert unit is not None
                unit.bits.append(BitField(f.name, scalar, width, used, signed, f))
                used += width
                continue
            unit = None
            anonymous = f.name is None or NAMELESS_MEMBER.match(f.name) is not None
            start = 0 if is_union else _round_up(offset, falign)
            record.members.append(Member(f.name, t, start, anonymous, f))
            offset = start + size_of(t)
            size = max(size, offset)
            align = max(align, falign)
        record.align = align
        record.size = _round_up(size, align)


def _inline_definition(t: TypeRef) -> Struct | Union | Enum | None:
    while isinstance(t, ArrayType):
        t = t.element
    return t.definition if isinstance(t, TaggedType) else None


def _what(t: CType) -> str:
    t = real_type(t)
    return t.what if isinstance(t, Opaque) else type(t).__name__


def describe(decl: Struct | Union) -> str:
    """``struct NAME`` / ``union NAME`` / ``anonymous struct`` for messages and docstrings."""
    keyword = "struct" if isinstance(decl, Struct) else "union"
    name = decl.typedef_name or decl.name
    return f"{keyword} {name}" if name else f"anonymous {keyword}"


__all__ = [
    "BASE_TYPES",
    "Alias",
    "Array",
    "BitField",
    "BitUnit",
    "CMember",
    "CType",
    "EnumType",
    "LayoutEngine",
    "LayoutError",
    "Member",
    "Opaque",
    "Pointer",
    "Record",
    "Scalar",
    "align_of",
    "describe",
    "real_type",
    "scalar_of",
    "size_of",
]
