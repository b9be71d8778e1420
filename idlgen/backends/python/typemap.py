"""The type map of the Python backend: IDL types and the Python annotations they become
(documented in ``docs/generated-code.md``); :meth:`TypeMapper.annotation` applies it."""

from __future__ import annotations

from dataclasses import dataclass

from idlgen.backends.common.naming import NameSpace, is_identifier
from idlgen.backends.python.views import Imports
from idlgen.frontend.symbols import BUILTIN_TYPE_NAMES
from idlgen.model import (
    ArrayType,
    BaseType,
    CoClass,
    Declaration,
    DispInterface,
    Enum,
    FunctionType,
    Interface,
    NamedType,
    Param,
    PointerType,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
)

#: IDL type names mapped before typedefs are followed: (annotation, import).
#: An import is ``("module", "name")`` meaning ``import module`` for a dotted
#: annotation, or ``("from", "module:name")`` for ``from module import name``.
NAMED_TYPES: dict[str, tuple[str, str | None]] = {
    "BSTR": ("str", None),
    "LPWSTR": ("str", None),
    "LPCWSTR": ("str", None),
    "LPOLESTR": ("str", None),
    "LPCOLESTR": ("str", None),
    "LPSTR": ("str", None),
    "LPCSTR": ("str", None),
    "HSTRING": ("str", None),
    "VARIANT_BOOL": ("bool", None),
    "BOOL": ("bool", None),
    "BOOLEAN": ("bool", None),
    "DATE": ("datetime.datetime", "datetime"),
    "CY": ("decimal.Decimal", "decimal"),
    "CURRENCY": ("decimal.Decimal", "decimal"),
    "DECIMAL": ("decimal.Decimal", "decimal"),
    "VARIANT": ("object", None),  # annotated UNTYPED["VARIANT"]
    "VARIANTARG": ("object", None),
    "HRESULT": ("int", None),
    "SCODE": ("int", None),
    "GUID": ("uuid.UUID", "uuid"),
    "UUID": ("uuid.UUID", "uuid"),
    "IID": ("uuid.UUID", "uuid"),
    "CLSID": ("uuid.UUID", "uuid"),
    "REFGUID": ("uuid.UUID", "uuid"),
    "REFIID": ("uuid.UUID", "uuid"),
    "REFCLSID": ("uuid.UUID", "uuid"),
}

#: The annotations of what the IDL itself leaves untyped, and so the only ``object`` the type
#: map gives: a VARIANT (``VARIANT``, ``VARIANTARG``) holds a value of any type, a ``void *``
#: points at anything.  (``scripts/count_untyped.py`` relabels them to count them.)
UNTYPED: dict[str, str] = {"VARIANT": "object", "void*": "object"}

#: The type names standing for a VARIANT.
VARIANT_TYPES = frozenset({"VARIANT", "VARIANTARG"})

#: Interfaces the runtime provides classes for.
RUNTIME_INTERFACES = frozenset({"IUnknown", "IDispatch"})

#: C base types (normalised spelling, see :class:`idlgen.model.BaseType`).
BASE_TYPES: dict[str, str] = {
    "float": "float",
    "double": "float",
    "boolean": "bool",
    "void": "None",
}

#: How deep element types (arrays, SAFEARRAYs) may nest in an annotation.
MAX_TYPE_NESTING = 50

#: Character types whose pointers are strings.
CHAR_TYPES = frozenset({"char", "wchar_t", "WCHAR", "OLECHAR", "CHAR", "TCHAR", "unsigned char"})


@dataclass
class ClassSymbol:
    """The Python class generated for a declaration: its name and its module."""

    name: str
    module: str


def strip_aliases(t: TypeRef) -> TypeRef:
    """Follow typedefs not in the type map (so ``LPBSTR`` becomes ``BSTR*``)."""
    seen: set[int] = set()
    while (
        isinstance(t, NamedType)
        and t.name not in NAMED_TYPES
        and isinstance(t.target, Typedef)
        and id(t) not in seen
    ):
        seen.add(id(t))
        t = t.target.type
    return t


class TypeMapper:
    """The type map applied (a mixin of :class:`~idlgen.backends.python.builder.PackageBuilder`):
    an IDL type becomes the annotation of a generated class, a runtime class or a builtin, and
    the imports it needs are recorded in the module's :class:`Imports`.

    A struct or union with no class yet — one of an imported file (without
    ``--with-imports``), or one defined in place in a field — gets one here, in ``structs``:
    it is queued in :attr:`pending` for the builder to generate.  A struct or union that is
    declared but never defined gets an opaque class (:attr:`opaque`)."""

    #: classes generated in this package: id(decl) -> symbol
    classes: dict[int, ClassSymbol]
    #: classes generated in other packages of the same run: id(decl) -> (package, symbol)
    external: dict[int, tuple[str, ClassSymbol]]
    #: the module-level names of the package being built
    names: NameSpace
    _aliases: dict[tuple[str, str], str]
    #: structs and unions given a class while building, still to be generated
    pending: list[Struct | Union]
    #: opaque structs and unions (declared, never defined): (keyword, tag) -> symbol
    opaque: dict[tuple[str, str], ClassSymbol]

    def member_stems(self) -> frozenset[str]:
        """The member names of the file's classes (trailing ``_`` removed)."""
        raise NotImplementedError

    def annotation(self, t: TypeRef, imp: Imports, *, runtime: bool = False, depth: int = 0) -> str:
        """The Python annotation for IDL type *t* (see docs/generated-code.md).

        Typedef chains are followed in a loop (any length); element types nest at most
        :data:`MAX_TYPE_NESTING` deep (Python's parser takes 200 nested brackets): deeper is an
        error at the type.
        """
        seen: set[int] = set()
        while (
            isinstance(t, NamedType)
            and t.name not in NAMED_TYPES
            and isinstance(t.target, Typedef)
            and id(t.target) not in seen
            and not self._typedef_is_class(t.target)
        ):
            seen.add(id(t.target))
            t = t.target.type
        if isinstance(t, ArrayType | SafeArrayType) and depth >= MAX_TYPE_NESTING:
            self.type_too_deep(t)
            return "object"
        if isinstance(t, NamedType):
            if t.name in VARIANT_TYPES:
                return UNTYPED["VARIANT"]
            mapped = NAMED_TYPES.get(t.name)
            if mapped is not None:
                text, module = mapped
                if module:
                    imp.modules.add(module)
                return text
            target = t.target
            generated = self.generated_class(target, imp, runtime=runtime)
            if generated is not None:
                return generated
            if isinstance(target, Interface | DispInterface | CoClass):
                return self._runtime_interface(target, imp)
            if isinstance(target, Typedef):
                if self._typedef_is_class(target):
                    return self.annotation(target.type, imp, runtime=runtime, depth=depth)
                return "object"  # a typedef cycle
            if isinstance(target, Enum):
                return "int"
            if isinstance(target, Struct | Union) and target.is_defined:
                return self.record_class(target, imp, runtime=runtime)
            if target is None and t.name in RUNTIME_INTERFACES:
                imp.runtime.add(t.name)
                return t.name
            if target is None and t.name in BUILTIN_TYPE_NAMES:
                return self.annotation(BaseType(t.name), imp)
            return self._opaque_class("type", t.name, imp, runtime=runtime)
        if isinstance(t, TaggedType):
            d = t.definition or t.target
            if t.keyword == "enum":
                return self.generated_class(d, imp, runtime=runtime) or "int"
            if isinstance(d, Struct | Union) and d.is_defined:
                return self.record_class(d, imp, runtime=runtime)
            return self._opaque_class(t.keyword, t.tag, imp, runtime=runtime)
        if isinstance(t, BaseType):
            if t.name in ("char", "wchar_t"):
                return "str"
            return BASE_TYPES.get(t.name, "int")
        while isinstance(t, PointerType):  # a pointer is what it points to (in a loop)
            inner = strip_aliases(t.target)
            if self._is_char(inner):
                return "str"
            if isinstance(inner, BaseType) and inner.name == "void":
                return UNTYPED["void*"]
            if not isinstance(inner, PointerType):
                return self.annotation(t.target, imp, runtime=runtime, depth=depth)
            t = inner
        if isinstance(t, FunctionType):
            if depth >= MAX_TYPE_NESTING:
                self.type_too_deep(t)
                return "object"
            imp.abc_types.add("Callable")
            args = ", ".join(
                self.annotation(p.type, imp, depth=depth + 1)
                for p in t.params
                if not is_void(p.type)
            )
            result = (
                "None"
                if is_void(t.return_type)
                else self.annotation(t.return_type, imp, depth=depth + 1)
            )
            return f"Callable[[{args}], {result}]"
        if isinstance(t, ArrayType):
            if self._is_char(strip_aliases(t.element)):
                return "str"
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.element, imp, runtime=runtime, depth=depth + 1)}]"
        if isinstance(t, SafeArrayType):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.element, imp, runtime=runtime, depth=depth + 1)}]"
        return "object"

    def record_class(
        self, d: Struct | Union, imp: Imports, *, runtime: bool = False, hint: str | None = None
    ) -> str:
        """The class of struct or union *d*, given one in ``structs`` (and queued in
        :attr:`pending`) if it has none yet: named by its typedef name, its tag or *hint*."""
        generated = self.generated_class(d, imp, runtime=runtime)
        if generated is not None:
            return generated
        kind = "struct" if isinstance(d, Struct) else "union"
        name = d.typedef_name or d.name or hint or f"anonymous_{kind}"
        sym = ClassSymbol(self.names.add(name if is_identifier(name) else kind), "structs")
        self.classes[id(d)] = sym
        self.pending.append(d)
        imp.use_local(sym.module, sym.name, runtime=runtime)
        return sym.name

    def generated_class(self, d: Declaration | None, imp: Imports, *, runtime: bool) -> str | None:
        """The name of the class generated for *d* — in this package or, with
        ``--with-imports``, another one (imported here) — or None when it has none."""
        if d is None:
            return None
        sym = self.classes.get(id(d))
        if sym is not None:
            imp.use_local(sym.module, sym.name, runtime=runtime)
            return sym.name
        if id(d) in self.external:
            return self._use_external(d, imp, runtime=runtime)
        return None

    def _opaque_class(self, keyword: str, tag: str | None, imp: Imports, *, runtime: bool) -> str:
        """The opaque class for a struct or union (or unknown type name) that is declared
        but never defined: only ever used by pointer, it has no fields to give."""
        key = (keyword, tag or keyword)
        sym = self.opaque.get(key)
        if sym is None:
            name = key[1] if is_identifier(key[1]) else f"opaque_{keyword}"
            sym = ClassSymbol(self.names.add(name), "structs")
            self.opaque[key] = sym
        imp.use_local(sym.module, sym.name, runtime=runtime)
        return sym.name

    def _typedef_is_class(self, d: Typedef) -> bool:
        """True for ``typedef struct {...} Name``: the typedef names a generated class."""
        inline = d.type
        return (
            isinstance(inline, TaggedType)
            and inline.definition is not None
            and (id(inline.definition) in self.classes or id(inline.definition) in self.external)
        )

    def type_too_deep(self, t: TypeRef) -> None:
        """Report a type nested deeper than :data:`MAX_TYPE_NESTING`."""
        raise NotImplementedError

    @staticmethod
    def _is_char(t: TypeRef) -> bool:
        if isinstance(t, BaseType):
            return t.name in CHAR_TYPES
        return isinstance(t, NamedType) and t.name in CHAR_TYPES

    def _use_external(self, d: Declaration, imp: Imports, *, runtime: bool) -> str:
        """Import the class generated for *d* in another package; the name used here."""
        package, sym = self.external[id(d)]
        key = (package, sym.name)
        alias = self._aliases.get(key)
        if alias is None:
            alias = sym.name
            base = f"{package.replace('.', '_')}_{sym.name}"
            n = 0
            while (
                alias in self.names.taken
                or alias in self._aliases.values()
                or alias.rstrip("_") in self.member_stems()  # a member would hide it
            ):
                n += 1
                alias = base if n == 1 else f"{base}_{n}"
            self._aliases[key] = alias
        spec = sym.name if alias == sym.name else f"{sym.name} as {alias}"
        imp.use_external(f"{package}.{sym.module}", spec, runtime=runtime)
        return alias

    def _runtime_interface(self, d: Declaration, imp: Imports) -> str:
        """The runtime class standing for an interface that is not generated here."""
        name = "IDispatch" if self._derives_dispatch(d) else "IUnknown"
        imp.runtime.add(name)
        return name

    @staticmethod
    def _derives_dispatch(d: Declaration) -> bool:
        if isinstance(d, DispInterface):
            return True
        seen: set[int] = set()
        cur: Declaration | None = d
        while isinstance(cur, Interface) and id(cur) not in seen:
            seen.add(id(cur))
            if cur.name == "IDispatch" or cur.has_attr("dual"):
                return True
            cur = cur.base_interface
        return False

    def _value_type(self, p: Param, imp: Imports) -> str:
        """Annotation of an ``[out]``/``[in,out]`` parameter's value (one pointer off)."""
        t = strip_aliases(p.type)
        if isinstance(t, PointerType):
            inner = t.target
            sized = p.has_attr("size_is") or p.has_attr("length_is")
            if sized and not self._is_char(strip_aliases(inner)):
                inner_t = strip_aliases(inner)
                if isinstance(inner_t, PointerType) and not self._is_interface(inner_t.target):
                    inner = inner_t.target
                imp.abc_types.add("Sequence")
                return f"Sequence[{self.annotation(inner, imp)}]"
            return self.annotation(inner, imp)
        return self.annotation(t, imp)

    def _in_type(self, p: Param, imp: Imports) -> str:
        t = strip_aliases(p.type)
        if (
            isinstance(t, PointerType)
            and (p.has_attr("size_is") or p.has_attr("length_is"))
            and not self._is_char(strip_aliases(t.target))
        ):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.target, imp)}]"
        return self.annotation(p.type, imp)

    def _is_interface(self, t: TypeRef) -> bool:
        t = strip_aliases(t)
        return (
            isinstance(t, NamedType) and isinstance(t.target, Interface | DispInterface | CoClass)
        ) or (isinstance(t, NamedType) and t.name in RUNTIME_INTERFACES)

    @staticmethod
    def _returns_value(t: TypeRef) -> bool:
        t0 = t
        if isinstance(t0, NamedType) and t0.name in ("HRESULT", "SCODE"):
            return False
        return not (isinstance(t0, BaseType) and t0.name == "void")


def is_void(t: TypeRef) -> bool:
    """True for the C type ``void``."""
    return isinstance(t, BaseType) and t.name == "void"
