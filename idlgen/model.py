"""The semantic model of an IDL file: plain dataclasses, one per construct.

The parser's transformer builds these nodes directly; :mod:`idlgen.frontend.resolve`
binds type references, evaluates constant expressions and computes derived
COM facts (vtable slots, DISPIDs) in place; generators only read them.

Conventions
- Every node has ``span`` (its place in the original source), excluded from
  equality and repr so tests can compare structures.
- Attributes are kept as written (:class:`Attribute`, in source order); the
  common ones have typed accessors on :class:`Attributed`.
- Types are trees of :class:`TypeRef` subclasses; a :class:`NamedType` keeps the
  author's spelling (``BSTR``, ``HRESULT``) and gets ``target`` set by the
  resolver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from idlgen.diagnostics import NO_SPAN, Span

# --------------------------------------------------------------------------- expressions


@dataclass(eq=True)
class Expr:
    """Base of constant expressions (array sizes, enum values, attribute args)."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(eq=True)
class Literal(Expr):
    """A number, string or character literal; ``text`` is the source spelling."""

    value: int | float | str
    text: str = ""
    #: "int", "float", "string", "wstring" (L"..."), "char"
    kind: str = "int"


@dataclass(eq=True)
class NameExpr(Expr):
    """A reference to a constant, enumerator, parameter or field by name."""

    name: str
    #: written in parentheses: ``(NAME) - 1`` may then be a cast (decided by the resolver)
    parenthesized: bool = field(default=False, compare=False, repr=False)
    #: for ``(TYPE) - 1``: the type, once the resolver has found the name is one
    cast_type: TypeRef | None = field(default=None, compare=False, repr=False)


@dataclass(eq=True)
class UnaryExpr(Expr):
    """``op operand`` with op one of ``- + ~ ! * &``."""

    op: str
    operand: Expr


#: C's binary operators by precedence (higher binds tighter); all are left-associative.
C_BINARY_PRECEDENCE: dict[str, int] = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
    "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8,
    "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}  # fmt: skip


@dataclass(eq=True)
class BinaryExpr(Expr):
    """``left op right`` (C operators, incl. ``<< >> && || == !=``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(eq=True)
class ConditionalExpr(Expr):
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(eq=True)
class CastExpr(Expr):
    """``(type) operand``."""

    type: TypeRef
    operand: Expr


@dataclass(eq=True)
class SizeofExpr(Expr):
    """``sizeof(type)``."""

    type: TypeRef


@dataclass(eq=True)
class MemberExpr(Expr):
    """``base.member`` or ``base->member`` (used in size_is expressions)."""

    base: Expr
    member: str
    arrow: bool = False


# --------------------------------------------------------------------------- types


@dataclass(eq=True)
class TypeRef:
    """Base of type expressions."""

    is_const: bool = field(default=False, kw_only=True)
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(eq=True)
class BaseType(TypeRef):
    """A C/IDL built-in type, normalised spelling: ``int``, ``unsigned long``,
    ``long long``, ``unsigned __int64``, ``hyper``, ``wchar_t``, ``char``,
    ``float``, ``double``, ``void``, ``boolean``, ``byte``, ``small``, ``short``,
    ``__int3264``, ``handle_t``, ``error_status_t``, ``signed char`` ..."""

    name: str


@dataclass(eq=True)
class NamedType(TypeRef):
    """A use of a declared type by name (typedef, interface, coclass ...).

    ``args`` are the type arguments of a parameterised WinRT type
    (``IVector<HSTRING>``).  ``target`` is set by the resolver.
    """

    name: str
    args: list[TypeRef] = field(default_factory=list)
    target: Declaration | None = field(default=None, compare=False, repr=False)


@dataclass(eq=True)
class TaggedType(TypeRef):
    """``struct Tag`` / ``union Tag`` / ``enum Tag`` used by tag.

    When the tagged type is defined inline (``typedef struct tagX {...} X;``)
    ``definition`` holds that :class:`Struct` / :class:`Union` / :class:`Enum`
    (also listed as a declaration of its own when it has a tag).
    """

    keyword: str  # "struct" | "union" | "enum"
    tag: str | None
    definition: Struct | Union | Enum | None = field(default=None, compare=False, repr=False)
    target: Declaration | None = field(default=None, compare=False, repr=False)


@dataclass(eq=True)
class PointerType(TypeRef):
    """``target *``."""

    target: TypeRef


@dataclass(eq=True)
class ArrayType(TypeRef):
    """``element name[size]``; ``size`` None for ``[]``/``[*]`` (conformant)."""

    element: TypeRef
    size: Expr | None = None


@dataclass(eq=True)
class SafeArrayType(TypeRef):
    """``SAFEARRAY(element)``."""

    element: TypeRef


@dataclass(eq=True)
class FunctionType(TypeRef):
    """A function type, as used by function pointers: ``ret (CC *name)(params)``."""

    return_type: TypeRef
    params: list[Param] = field(default_factory=list)
    calling_convention: str | None = None


def inline_definition(t: TypeRef) -> Struct | Union | Enum | None:
    """The struct/union/enum defined inline in *t* (``typedef struct tag {...} *P``), if any."""
    while isinstance(t, PointerType | ArrayType):
        t = t.target if isinstance(t, PointerType) else t.element
    return t.definition if isinstance(t, TaggedType) else None


# --------------------------------------------------------------------------- attributes


@dataclass(eq=True)
class Attribute:
    """One ``[name(args)]`` entry, as written.

    ``args`` hold :class:`Expr` (numbers, names, strings as :class:`Literal`),
    :class:`TypeRef` (``iid_is``/``switch_type``/``exclusiveto``), or ``str``
    (uuids, normalised lowercase without braces).
    """

    name: str
    args: list[Expr | TypeRef | str] = field(default_factory=list)
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(eq=True)
class Attributed:
    """Mix-in for nodes that carry an attribute list."""

    attributes: list[Attribute] = field(default_factory=list, kw_only=True)

    def has_attr(self, name: str) -> bool:
        """True when an attribute called *name* is present."""
        return any(a.name == name for a in self.attributes)

    def get_attr(self, name: str) -> Attribute | None:
        """The first attribute called *name*, or None."""
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    @property
    def uuid(self) -> str | None:
        """The ``uuid(...)`` attribute value (lowercase, no braces), if any."""
        a = self.get_attr("uuid")
        if a is not None and a.args and isinstance(a.args[0], str):
            return a.args[0]
        return None

    @property
    def helpstring(self) -> str | None:
        """The ``helpstring("...")`` text, if any."""
        a = self.get_attr("helpstring")
        if a is not None and a.args and isinstance(a.args[0], Literal):
            v = a.args[0].value
            return v if isinstance(v, str) else None
        return None


# --------------------------------------------------------------------------- members


@dataclass(eq=True)
class Param(Attributed):
    """A method or function parameter; ``name`` may be None in prototypes."""

    name: str | None
    type: TypeRef
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    @property
    def direction(self) -> str:
        """``"in"``, ``"out"`` or ``"in,out"`` (``in`` when neither is given)."""
        is_in, is_out = self.has_attr("in"), self.has_attr("out")
        if is_out and is_in:
            return "in,out"
        return "out" if is_out else "in"

    @property
    def is_retval(self) -> bool:
        """True for ``[retval]``."""
        return self.has_attr("retval")

    @property
    def is_optional(self) -> bool:
        """True for ``[optional]`` or a ``defaultvalue``."""
        return self.has_attr("optional") or self.has_attr("defaultvalue")


@dataclass(eq=True)
class Method(Attributed):
    """An interface or dispinterface method (also propget/propput accessors).

    ``id`` is the evaluated ``[id(n)]`` (the DISPID), set by the resolver.
    ``vtable_index`` is the slot in the full vtable (IUnknown's QueryInterface is
    0), set by the resolver for non-dispatch interfaces.
    """

    name: str
    return_type: TypeRef
    params: list[Param] = field(default_factory=list)
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    id: int | None = field(default=None, compare=False)
    vtable_index: int | None = field(default=None, compare=False)
    calling_convention: str | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        """``"propget"``, ``"propput"``, ``"propputref"`` or ``"method"``."""
        for k in ("propget", "propput", "propputref"):
            if self.has_attr(k):
                return k
        return "method"


@dataclass(eq=True)
class Field(Attributed):
    """A struct/union member or dispinterface property.

    ``bits`` is the width of a bit field.  For union arms ``cases`` holds the
    ``case(...)`` label expressions; ``is_default`` marks ``default:``.
    ``id`` is the evaluated DISPID of a dispinterface property.
    """

    name: str | None
    type: TypeRef
    bits: Expr | None = None
    cases: list[Expr] = field(default_factory=list)
    is_default: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    id: int | None = field(default=None, compare=False)


@dataclass(eq=True)
class EnumMember(Attributed):
    """One enumerator; ``value`` is evaluated by the resolver (implicit increments too)."""

    name: str
    expr: Expr | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    value: int | None = field(default=None, compare=False)


# --------------------------------------------------------------------------- declarations


@dataclass(eq=True)
class Declaration(Attributed):
    """Base of everything that can stand at file, library, module or interface scope.

    ``namespace`` is the dotted WinRT namespace (None for classic IDL).
    ``imported`` is True for declarations that come from an imported file.
    ``file`` is the path of the IDL/header file the declaration was read from.
    """

    name: str | None
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
    namespace: str | None = field(default=None, kw_only=True)
    file: str = field(default="", compare=False, repr=False, kw_only=True)
    imported: bool = field(default=False, compare=False, repr=False, kw_only=True)

    @property
    def qualified_name(self) -> str | None:
        """``Namespace.Name`` for WinRT declarations, else the plain name."""
        if self.name is None or not self.namespace:
            return self.name
        return f"{self.namespace}.{self.name}"


@dataclass(eq=True)
class Interface(Declaration):
    """``interface Name : Base { ... }``.

    ``body`` keeps everything in declaration order: :class:`Method` and nested
    declarations (typedefs, consts, enums, cpp_quote).  ``is_defined`` is False for
    a forward declaration ``interface X;``.  ``type_params`` names the parameters
    of a parameterised WinRT interface.
    """

    name: str
    base: NamedType | None = None
    body: list[Method | Declaration] = field(default_factory=list)
    is_defined: bool = True
    type_params: list[str] = field(default_factory=list)

    @property
    def methods(self) -> list[Method]:
        """The methods this interface declares itself, in vtable order."""
        return [m for m in self.body if isinstance(m, Method)]

    @property
    def base_interface(self) -> Interface | None:
        """The resolved base interface declaration, if any."""
        if self.base is not None and isinstance(self.base.target, Interface):
            return self.base.target
        return None


@dataclass(eq=True)
class DispInterface(Declaration):
    """``dispinterface Name { properties: ... methods: ... }`` or ``{ interface X; }``."""

    name: str
    properties: list[Field] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    interface: NamedType | None = None
    is_defined: bool = True


@dataclass(eq=True)
class CoClassMember(Attributed):
    """``[default, source] interface X;`` inside a coclass."""

    type: NamedType
    is_dispinterface: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    @property
    def is_default(self) -> bool:
        """True for ``[default]``."""
        return self.has_attr("default")

    @property
    def is_source(self) -> bool:
        """True for ``[source]``."""
        return self.has_attr("source")


@dataclass(eq=True)
class CoClass(Declaration):
    """``coclass Name { ... }``."""

    name: str
    interfaces: list[CoClassMember] = field(default_factory=list)
    is_defined: bool = True


@dataclass(eq=True)
class Library(Declaration):
    """``library Name { ... }``."""

    name: str
    body: list[Declaration] = field(default_factory=list)


@dataclass(eq=True)
class Module(Declaration):
    """``module Name { ... }`` (functions and constants of a DLL)."""

    name: str
    body: list[Declaration] = field(default_factory=list)


@dataclass(eq=True)
class Enum(Declaration):
    """An enum; ``name`` is its tag (None when anonymous).

    ``typedef_name`` is set when the enum is the body of a typedef
    (``typedef enum { ... } NAME;``), for convenience of generators.
    """

    members: list[EnumMember] = field(default_factory=list)
    typedef_name: str | None = None
    is_defined: bool = True


@dataclass(eq=True)
class Struct(Declaration):
    """A struct; ``name`` is its tag (None when anonymous).

    ``pack`` is the ``#pragma pack`` alignment in effect where it is defined (from the
    preprocessor, or a ``cpp_quote`` of ``#pragma pack``/``pshpackN.h``); None: natural.
    """

    fields: list[Field] = field(default_factory=list)
    typedef_name: str | None = None
    is_defined: bool = True
    pack: int | None = field(default=None, kw_only=True)


@dataclass(eq=True)
class Union(Declaration):
    """A union; ``name`` is its tag (None when anonymous).

    An encapsulated union (``union U switch (long d) u { case 1: ... }``) has
    ``switch_type``/``switch_name`` (the discriminant) and ``arm_name`` (``u``).
    A non-encapsulated one takes its discriminant from ``[switch_type]``/
    ``[switch_is]`` attributes.  ``pack`` as for :class:`Struct`.
    """

    fields: list[Field] = field(default_factory=list)
    typedef_name: str | None = None
    switch_type: TypeRef | None = None
    switch_name: str | None = None
    arm_name: str | None = None
    is_defined: bool = True
    pack: int | None = field(default=None, kw_only=True)


@dataclass(eq=True)
class Typedef(Declaration):
    """One declarator of a ``typedef``: ``typedef [attrs] type name;``."""

    name: str
    type: TypeRef

    def real_type(self) -> TypeRef:
        """Peel typedef chains down to the first non-alias type."""
        t: TypeRef = self.type
        seen: set[int] = set()
        while isinstance(t, NamedType) and isinstance(t.target, Typedef) and id(t) not in seen:
            seen.add(id(t))
            t = t.target.type
        return t


@dataclass(eq=True)
class Const(Declaration):
    """``const type name = expr;``; ``value`` is evaluated by the resolver."""

    name: str
    type: TypeRef
    expr: Expr
    value: int | float | str | None = field(default=None, compare=False)


@dataclass(eq=True)
class Function(Declaration):
    """A function declaration (module members, C prototypes in headers)."""

    name: str
    return_type: TypeRef
    params: list[Param] = field(default_factory=list)
    calling_convention: str | None = None


@dataclass(eq=True)
class Variable(Declaration):
    """A variable declaration (``extern const IID IID_X;`` in headers)."""

    name: str
    type: TypeRef


@dataclass(eq=True)
class Import(Declaration):
    """``import "a.idl", "b.h";`` — one node per file named; ``name`` is the path as written.

    ``resolved`` is the :class:`IdlFile` loaded for it (set by the front end).
    """

    name: str
    resolved: IdlFile | None = field(default=None, compare=False, repr=False)


@dataclass(eq=True)
class ImportLib(Declaration):
    """``importlib("stdole2.tlb");``; ``name`` is the type library file name."""

    name: str


@dataclass(eq=True)
class CppQuote(Declaration):
    """``cpp_quote("text")``; ``name`` is None, ``text`` the unescaped string."""

    name: str | None = None
    text: str = ""


@dataclass(eq=True)
class Pragma(Declaration):
    """``#pragma ...`` or ``midl_pragma warning(...)``; ``text`` after the keyword."""

    name: str | None = None
    text: str = ""


# --------------------------------------------------------------------------- WinRT


@dataclass(eq=True)
class Namespace(Declaration):
    """``namespace A.B { ... }`` (WinRT); ``name`` is the dotted name."""

    name: str
    body: list[Declaration] = field(default_factory=list)


@dataclass(eq=True)
class RuntimeClass(Declaration):
    """``runtimeclass Name : Base { [default] interface X; ... }`` (WinRT).

    ``base`` is the composable base class (``runtimeclass B : A``), if any.
    """

    name: str
    interfaces: list[CoClassMember] = field(default_factory=list)
    is_defined: bool = True
    base: NamedType | None = None


@dataclass(eq=True)
class Delegate(Declaration):
    """``delegate HRESULT Name(params);`` (WinRT), possibly parameterised."""

    name: str
    return_type: TypeRef
    params: list[Param] = field(default_factory=list)
    type_params: list[str] = field(default_factory=list)
    is_defined: bool = True


@dataclass(eq=True)
class ApiContract(Declaration):
    """``apicontract Name {}`` (WinRT)."""

    name: str
    is_defined: bool = True


@dataclass(eq=True)
class Declare(Declaration):
    """``declare { interface IVector<HSTRING>; ... }``: parameterised instantiations."""

    name: None = None
    instantiations: list[NamedType] = field(default_factory=list)


# --------------------------------------------------------------------------- files

ScopeNode = Interface | Library | Module | Namespace

#: Declarations whose body holds further declarations.
CONTAINERS = (Library, Module, Namespace)


@dataclass(eq=True)
class IdlFile:
    """One parsed file (IDL or imported C header) with its top-level declarations."""

    path: str
    declarations: list[Declaration] = field(default_factory=list)
    pragmas: list[Pragma] = field(default_factory=list, compare=False)

    def walk(self) -> list[Declaration]:
        """All declarations of this file in source order, those nested in
        library/module/namespace blocks flattened in place (the containers
        themselves included, before their contents)."""
        out: list[Declaration] = []
        _flatten(self.declarations, out)
        return out

    @property
    def imports(self) -> list[Import]:
        """The ``import`` statements of this file, in order (those inside an interface
        body too, as MIDL allows)."""
        out: list[Import] = []
        for d in self.walk():
            if isinstance(d, Import):
                out.append(d)
            elif isinstance(d, Interface):
                out.extend(i for i in d.body if isinstance(i, Import))
        return out


def _flatten(decls: list[Declaration], out: list[Declaration]) -> None:
    for d in decls:
        out.append(d)
        if isinstance(d, CONTAINERS):
            _flatten(d.body, out)
