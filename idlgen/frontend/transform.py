"""Turn the Lark parse of ``grammars/midl.lark`` into :mod:`idlgen.model` nodes.

The transformer runs inline with the LALR parser (no parse tree is built).  Each
callback gets its rule's children — tokens and the results of inner rules — and
returns a model node or a small intermediate value (:class:`_Declarator`,
:class:`_Spec`).  Every node gets the span of the token that names it, mapped back
to the original file through the preprocessor's ``locate``.

Problems that the grammar lets through but a declaration cannot have (a typedef
without a name, a struct with neither tag nor body) are raised as
:class:`TransformError` and reported by :mod:`idlgen.frontend.parser` like syntax errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lark import Token, Transformer

from idlgen.diagnostics import NO_SPAN, Span
from idlgen.frontend.sourcefiles import DEFAULT_CODE_PAGE, decode_bytes
from idlgen.model import (
    C_BINARY_PRECEDENCE,
    ApiContract,
    ArrayType,
    Attribute,
    BaseType,
    BinaryExpr,
    CastExpr,
    CoClass,
    CoClassMember,
    ConditionalExpr,
    Const,
    CppQuote,
    Declaration,
    Declare,
    Delegate,
    DispInterface,
    Enum,
    EnumMember,
    Expr,
    Field,
    Function,
    FunctionType,
    Import,
    ImportLib,
    Interface,
    Library,
    Literal,
    MemberExpr,
    Method,
    Module,
    NamedType,
    NameExpr,
    Namespace,
    Param,
    PointerType,
    Pragma,
    RuntimeClass,
    SafeArrayType,
    SizeofExpr,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
    Union,
    Variable,
)

_D = TypeVar("_D", bound=Declaration)

Locate = Callable[[int, int], tuple[str, int, int]]

#: Attributes whose arguments name types rather than values.
_TYPE_ARGUMENT_ATTRIBUTES = frozenset(
    {
        "switch_type",
        "exclusiveto",
        "default_interface",
        "wire_marshal",
        "transmit_as",
        "user_marshal",
        "represent_as",
    }
)
#: Attributes whose first argument names a type (WinRT factories and statics).
_FIRST_ARGUMENT_TYPE_ATTRIBUTES = frozenset({"activatable", "static", "composable"})


_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class TransformError(Exception):
    """A construct the grammar accepts but the language does not; carries its place
    (a token, or a span already mapped to the original source)."""

    def __init__(self, message: str, token: Token | None, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.token = token
        self.span = span


class PackState:
    """The ``#pragma pack`` state while a file is parsed, by MSVC's rules.

    ``current`` is the maximum field alignment in effect (None: natural alignment).
    :meth:`pragma` takes the text after ``#pragma`` (``pack(push, 2)``, ``pack(pop)``,
    ``pack(4)``, ``pack()``; other pragmas are ignored); :meth:`cpp_quote` takes the text of
    a ``cpp_quote`` and applies what it passes to the C compiler: a ``#pragma pack`` or an
    ``#include`` of ``pshpackN.h`` (push N) or ``poppack.h`` (pop).
    """

    def __init__(self) -> None:
        self.current: int | None = None
        self.stack: list[tuple[str | None, int | None]] = []

    def pragma(self, text: str) -> None:
        """Apply one ``#pragma`` (the text after the keyword)."""
        m = _PRAGMA_PACK.fullmatch(text)
        if m is None:
            return
        args = [a.strip() for a in m.group(1).split(",") if a.strip()]
        if not args:
            self.current = None
            return
        numbers = [_pack_value(a) for a in args]
        value = next((n for n in numbers if n is not None), None)
        label = next((a for a, n in zip(args[1:], numbers[1:], strict=True) if n is None), None)
        if args[0] == "push":
            self.stack.append((label, self.current))
            if value is not None:
                self.current = value
        elif args[0] == "pop":
            if label is not None:
                depth = next(
                    (i for i in range(len(self.stack) - 1, -1, -1) if self.stack[i][0] == label),
                    None,
                )
                if depth is not None:
                    self.current = self.stack[depth][1]
                    del self.stack[depth:]
            elif self.stack:
                self.current = self.stack.pop()[1]
            if value is not None:
                self.current = value
        elif len(args) == 1 and value is not None:
            self.current = value

    def cpp_quote(self, text: str) -> None:
        """Apply the packing a ``cpp_quote`` passes to the C compiler, if any."""
        m = _QUOTED_PACKING.fullmatch(text)
        if m is None:
            return
        if m.group("pragma") is not None:
            self.pragma(m.group("pragma"))
        elif m.group("push") is not None:
            self.pragma(f"pack(push, {m.group('push')})")
        else:
            self.pragma("pack(pop)")


#: ``#pragma pack(...)``: the arguments.
_PRAGMA_PACK = re.compile(r"\s*pack\s*\(([^()]*)\)\s*")
#: What a ``cpp_quote`` may say about packing: ``#pragma pack(...)``, ``#include <pshpackN.h>``,
#: ``#include <poppack.h>``.
_QUOTED_PACKING = re.compile(
    r"""\s*\#\s*(?:pragma\s+(?P<pragma>pack\s*\([^()]*\))
                 |include\s*[<"](?:pshpack(?P<push>[0-9]+)|poppack)\.h[>"])\s*""",
    re.VERBOSE | re.IGNORECASE,
)


def _pack_value(text: str) -> int | None:
    """The alignment of a ``pack`` argument (1, 2, 4, 8 or 16), else None."""
    try:
        value = int(text, 0)
    except ValueError:
        return None
    return value if value in (1, 2, 4, 8, 16) else None


@dataclass
class _Declarator:
    """A C declarator: the name (if any) and the type operations to apply to the base type."""

    name: Token | None
    #: the type operations, the one applied first to the base type last (so an outer
    #: declarator appends its own in O(1): `int a[1][1]...` stays linear)
    ops: list[Callable[[TypeRef], TypeRef]] = field(default_factory=list)
    calling_convention: str | None = None
    #: the declarator declares a function itself (``F(int)``, not ``(*F)(int)``)
    is_function: bool = False

    def apply(self, base: TypeRef) -> TypeRef:
        t = base
        for op in reversed(self.ops):
            t = op(t)
        return t

    def wrapped(
        self, op: Callable[[TypeRef], TypeRef], calling_convention: str | None, is_function: bool
    ) -> _Declarator:
        """This declarator inside another that applies *op* first (takes over ``ops``)."""
        self.ops.append(op)
        return _Declarator(self.name, self.ops, calling_convention, is_function)


@dataclass
class _Spec:
    """Declaration specifiers: the base type and the qualifiers written with it."""

    type: TypeRef
    qualifiers: frozenset[str]


def _normalise_base_type(words: Sequence[str]) -> str:
    """``unsigned long int`` -> ``unsigned long``; ``long long`` stays; bare ``unsigned`` -> int."""
    sign = None
    rest: list[str] = []
    for w in words:
        if w in ("unsigned", "signed"):
            sign = w
        else:
            rest.append(w)
    if "int" in rest and any(w in ("short", "long") for w in rest):
        rest = [w for w in rest if w != "int"]
    if not rest:
        rest = ["int"]
    if sign == "signed" and rest not in (["char"], ["small"]):
        sign = None
    return " ".join(([sign] if sign else []) + rest)


_ESCAPE = re.compile(
    r"\\(?:x([0-9A-Fa-f]+)|([0-7]{1,3})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S
)
_SIMPLE_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


def _unescape(body: str, code_page: str = DEFAULT_CODE_PAGE, *, wide: bool = False) -> str:
    """Decode the C escapes of a string or character literal body (without quotes).

    In a narrow literal, ``\\xNN`` and octal escapes are bytes of the Windows *code_page*
    (``"Don\\x92t"`` is "Don\\u2019t" in cp1252), decoded run by run so multi-byte code pages
    work; in a wide one (``L"..."``) they are code units.  An unknown escape keeps its
    character; ``\\u``/``\\U`` name Unicode characters.
    """
    if "\\" not in body:
        return body
    out: list[str] = []
    pending = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        if m.start() > pos:
            _flush(pending, out, code_page)
            out.append(body[pos : m.start()])
        pos = m.end()
        hexa, octal, u4, u8, other = m.groups()
        number = int(hexa, 16) if hexa else int(octal, 8) if octal else None
        if number is not None and not wide and number <= 0xFF:
            pending.append(number)
            continue
        _flush(pending, out, code_page)
        if number is not None:
            out.append(chr(number) if number <= 0x10FFFF else "\ufffd")
        elif u4 or u8:
            code = int(u4 or u8, 16)
            out.append(chr(code) if code <= 0x10FFFF else "\ufffd")
        else:
            out.append(_SIMPLE_ESCAPES.get(other, other))
    _flush(pending, out, code_page)
    out.append(body[pos:])
    # `\ud83d\ude00` is one character; a lone surrogate is none (U+FFFD: no text may hold it)
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _flush(pending: bytearray, out: list[str], code_page: str) -> None:
    """Decode the bytes of escapes collected so far (ASCII as is) into *out*."""
    if pending:
        out.append(decode_bytes(bytes(pending), code_page))
        pending.clear()


def _parse_number(text: str) -> int | float:
    t = text.rstrip("uUlL")
    lower = t.lower()
    if lower.startswith("0x"):
        return int(t, 16)
    if any(c in lower for c in ".e") or text[-1:] in "fF":
        return float(t.rstrip("fF"))
    if len(t) > 1 and t.startswith("0") and all(c in "01234567" for c in t):
        return int(t, 8)
    if len(t.lstrip("0")) > _MAX_DECIMAL_DIGITS:
        return 1 << 64  # past any integer type (and Python's int-from-text digit limit)
    return int(t)


#: More decimal digits than any 64-bit value has.
_MAX_DECIMAL_DIGITS = 20


class ModelBuilder(Transformer[Token, list[Declaration]]):
    """Builds model nodes from parse callbacks; see the module docstring."""

    def __init__(self, path: str, locate: Locate | None) -> None:
        super().__init__()
        self.path = path
        self.locate = locate
        #: ``#pragma pack`` as the parse goes (the parser applies the preprocessor's pragmas)
        self.packing = PackState()
        #: the Windows code page of bytes written as escapes in narrow string literals
        self.code_page = DEFAULT_CODE_PAGE

    # ------------------------------------------------------------------ spans

    def span(self, tok: Token | None) -> Span:
        """The original-source span of *tok*."""
        if tok is None or getattr(tok, "line", None) is None:
            return NO_SPAN
        line, col = tok.line or 0, tok.column or 0
        length = len(tok.value) if isinstance(tok.value, str) else 1
        if self.locate is not None:
            file, line, col = self.locate(line, col)
        else:
            file = self.path
        return Span(file, line, col, line, col + length)

    def _decl(self, node: _D) -> _D:
        node.file = self.path  # the import unit (an #include'd header belongs to its includer)
        return node

    # ------------------------------------------------------------------ file

    def start(self, items: list[Any]) -> list[Declaration]:
        return self._statements(items)

    def _statements(self, items: Sequence[Any]) -> list[Declaration]:
        out: list[Declaration] = []
        for item in items:
            if isinstance(item, list):
                out.extend(item)
            elif isinstance(item, Declaration):
                out.append(item)
        return out

    def import_statement(self, items: list[Any]) -> list[Declaration]:
        out: list[Declaration] = []
        for text, tok in items:
            raw = tok.value[1:-1]
            if "\\" in raw and _unescape(raw, self.code_page) == text:
                # a file name, not C text: `import "..\inc\a.idl"` keeps its backslashes
                text = raw
            out.append(self._decl(Import(text, span=self.span(tok))))
        return out

    def importlib_statement(self, items: list[Any]) -> ImportLib:
        text, tok = items[0]
        return self._decl(ImportLib(text, span=self.span(tok)))

    def cpp_quote(self, items: list[Any]) -> CppQuote:
        text, _tok = items[1]
        self.packing.cpp_quote(text)
        return self._decl(CppQuote(text=text, span=self.span(items[0])))

    def midl_pragma(self, items: list[Any]) -> Pragma:
        words: list[str] = []
        for t in items[2:]:
            words.append(t)
        text = f"{items[1]}({' '.join(words)})"
        return self._decl(Pragma(text=text, span=self.span(items[0])))

    def pragma_token(self, items: list[Any]) -> str:
        item = items[0]
        if isinstance(item, tuple):
            return repr(item[0])
        return str(item)

    def string_literal(self, items: list[Token]) -> tuple[str, Token]:
        parts = []
        for tok in items:
            wide = tok.type == "WSTRING"
            body = tok.value[2:-1] if wide else tok.value[1:-1]
            parts.append(_unescape(body, self.code_page, wide=wide))
        return "".join(parts), items[0]

    # ------------------------------------------------------------------ WinRT blocks

    def namespace_decl(self, items: list[Any]) -> Namespace:
        attrs = items[0] if items and isinstance(items[0], _Attrs) else None
        rest = items[1:] if attrs is not None else items
        name, tok = rest[0]
        body = self._statements(rest[1:])
        ns = self._decl(Namespace(name, body=body, span=self.span(tok)))
        ns.attributes = list(attrs.items) if attrs else []
        for d in body:
            if isinstance(d, Namespace):
                _prefix_namespace(d, name)
            else:
                _set_namespace(d, name)
        return ns

    def declare_block(self, items: list[Any]) -> Declare:
        insts = [t for t in items if isinstance(t, NamedType)]
        span = insts[0].span if insts else NO_SPAN
        return self._decl(Declare(instantiations=insts, span=span))

    def declare_item(self, items: list[Any]) -> NamedType:
        t = items[-1]
        assert isinstance(t, NamedType)
        return t

    # ------------------------------------------------------------------ declarations

    def declaration_statement(self, items: list[Any]) -> list[Declaration]:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        body = items[-1]
        decls = body if isinstance(body, list) else [body]
        if attrs is not None:
            for d in decls:
                if isinstance(d, Declaration | Method):
                    d.attributes = list(attrs.items) + d.attributes
                    if d.span is NO_SPAN:
                        d.span = attrs.span
        return decls

    def typedef(self, items: list[Any]) -> list[Declaration]:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        spec: _Spec = items[-2]
        declarators: list[_Declarator] = items[-1]
        out: list[Declaration] = []
        inline = _inline_tagged(spec.type)
        for d in declarators:
            if d.name is None:
                raise TransformError("typedef declares no name", None, spec.type.span)
            t = d.apply(spec.type)
            td = self._decl(Typedef(d.name.value, t, span=self.span(d.name)))
            if attrs is not None:
                td.attributes = list(attrs.items)
            if inline is not None and inline.typedef_name is None and t is spec.type:
                inline.typedef_name = td.name
            out.append(td)
        return out

    def variable_or_function(self, items: list[Any]) -> list[Declaration]:
        spec: _Spec = items[0]
        out: list[Declaration] = []
        for d, init in items[1:]:
            if d.name is None:
                raise TransformError("declaration declares no name", None, spec.type.span)
            span = self.span(d.name)
            name = d.name.value
            t = d.apply(spec.type)
            if d.is_function and isinstance(t, FunctionType):
                fn = Function(
                    name,
                    t.return_type,
                    params=t.params,
                    calling_convention=d.calling_convention,
                    span=span,
                )
                out.append(self._decl(fn))
            elif init is not None:
                out.append(self._decl(Const(name, t, init, span=span)))
            else:
                out.append(self._decl(Variable(name, t, span=span)))
        inline = _inline_tagged(spec.type)
        if inline is not None and inline.name is not None and inline.is_defined:
            out.insert(0, inline)
        return out

    def init_declarator(self, items: list[Any]) -> tuple[_Declarator, Expr | None]:
        return items[0], (items[1] if len(items) > 1 else None)

    def tag_definition(self, items: list[Any]) -> Declaration:
        t: TaggedType = items[-1]
        if t.definition is not None:
            return t.definition
        # forward declaration `struct S;`
        node: Struct | Union | Enum
        if t.keyword == "struct":
            node = Struct(t.tag, is_defined=False, span=t.span)
        elif t.keyword == "union":
            node = Union(t.tag, is_defined=False, span=t.span)
        else:
            node = Enum(t.tag, is_defined=False, span=t.span)
        return self._decl(node)

    def declarator_list(self, items: list[_Declarator]) -> list[_Declarator]:
        return items

    # interfaces -------------------------------------------------------------

    def interface_def(self, items: list[Any]) -> Interface:
        name, tok = items[0]
        type_params: list[str] = []
        base: NamedType | None = None
        requires: list[NamedType] = []
        body_items: list[Any] = []
        for item in items[1:]:
            if isinstance(item, _TypeParams):
                type_params = item.names
            elif isinstance(item, _Inheritance):
                base = item.base
            elif isinstance(item, _Requires):
                requires = item.types
            else:
                body_items.append(item)
        body: list[Method | Declaration] = []
        for d in self._statements(body_items):
            body.append(_as_method(d) if isinstance(d, Function) else d)
        iface = self._decl(
            Interface(name, base=base, body=body, type_params=type_params, span=self.span(tok))
        )
        if requires:
            iface.attributes.append(Attribute("requires", list(requires), span=requires[0].span))
        return iface

    def interface_forward(self, items: list[Any]) -> Interface:
        name, tok = items[0]
        params = items[1].names if len(items) > 1 else []
        return self._decl(
            Interface(name, is_defined=False, type_params=params, span=self.span(tok))
        )

    def inheritance(self, items: list[Any]) -> _Inheritance:
        return _Inheritance(items[0])

    def requires(self, items: list[Any]) -> _Requires:
        return _Requires(list(items))

    def type_params(self, items: list[Token]) -> _TypeParams:
        return _TypeParams([t.value for t in items])

    # dispinterfaces ---------------------------------------------------------

    def dispinterface_def(self, items: list[Any]) -> DispInterface:
        name, tok = items[0]
        body = items[1]
        disp = self._decl(DispInterface(name, span=self.span(tok)))
        if isinstance(body, NamedType):
            disp.interface = body
        else:
            props, methods = body
            disp.properties = props
            disp.methods = methods
        return disp

    def dispinterface_forward(self, items: list[Any]) -> DispInterface:
        name, tok = items[0]
        return self._decl(DispInterface(name, is_defined=False, span=self.span(tok)))

    def dispinterface_body(self, items: list[Any]) -> tuple[list[Field], list[Method]]:
        props: list[Field] = []
        methods: list[Method] = []
        for item in items:
            if isinstance(item, _Props):
                props = item.fields
            elif isinstance(item, _Methods):
                methods = item.methods
        return props, methods

    def disp_interface_ref(self, items: list[Any]) -> NamedType:
        t = items[-1]
        assert isinstance(t, NamedType)
        return t

    def disp_properties(self, items: list[Any]) -> _Props:
        fields: list[Field] = []
        for item in items:
            fields.extend(item)
        return _Props(fields)

    def disp_methods(self, items: list[Any]) -> _Methods:
        return _Methods(list(items))

    def disp_method(self, items: list[Any]) -> Method:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        spec: _Spec = items[-2]
        d: _Declarator = items[-1]
        t = d.apply(spec.type)
        if d.name is None or not d.is_function or not isinstance(t, FunctionType):
            raise TransformError("expected a method declaration", d.name)
        m = Method(
            d.name.value,
            t.return_type,
            params=t.params,
            calling_convention=d.calling_convention,
            span=self.span(d.name),
        )
        if attrs is not None:
            m.attributes = list(attrs.items)
        return m

    # coclasses and runtime classes ---------------------------------------------

    def coclass_def(self, items: list[Any]) -> CoClass:
        tok: Token = items[0]
        members = [m for m in items[1:] if isinstance(m, CoClassMember)]
        return self._decl(CoClass(tok.value, interfaces=members, span=self.span(tok)))

    def coclass_forward(self, items: list[Any]) -> CoClass:
        tok: Token = items[0]
        return self._decl(CoClass(tok.value, is_defined=False, span=self.span(tok)))

    def class_member(self, items: list[Any]) -> CoClassMember:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        kw: Token = items[-2]
        t: NamedType = items[-1]
        m = CoClassMember(t, is_dispinterface=kw.value == "dispinterface", span=t.span)
        if attrs is not None:
            m.attributes = list(attrs.items)
        return m

    def runtimeclass_def(self, items: list[Any]) -> RuntimeClass:
        name, tok = items[0]
        members = [m for m in items[1:] if isinstance(m, CoClassMember)]
        rc = self._decl(RuntimeClass(name, interfaces=members, span=self.span(tok)))
        for item in items[1:]:
            if isinstance(item, _Inheritance):
                rc.base = item.base  # `runtimeclass B : A` (composable base class)
        return rc

    def runtimeclass_forward(self, items: list[Any]) -> RuntimeClass:
        name, tok = items[0]
        return self._decl(RuntimeClass(name, is_defined=False, span=self.span(tok)))

    def delegate_def(self, items: list[Any]) -> Delegate:
        spec: _Spec = items[0]
        tok: Token = items[1]
        type_params: list[str] = []
        params: list[Param] = []
        for item in items[2:]:
            if isinstance(item, _TypeParams):
                type_params = item.names
            elif isinstance(item, list):
                params = item
        return self._decl(
            Delegate(
                tok.value,
                spec.type,
                params=params,
                type_params=type_params,
                span=self.span(tok),
            )
        )

    def apicontract_def(self, items: list[Any]) -> ApiContract:
        tok: Token = items[0]
        return self._decl(ApiContract(tok.value, span=self.span(tok)))

    def apicontract_forward(self, items: list[Any]) -> ApiContract:
        tok: Token = items[0]
        return self._decl(ApiContract(tok.value, is_defined=False, span=self.span(tok)))

    # libraries and modules ------------------------------------------------------

    def library_def(self, items: list[Any]) -> Library:
        tok: Token = items[0]
        body = self._statements(items[1:])
        return self._decl(Library(tok.value, body=body, span=self.span(tok)))

    def module_def(self, items: list[Any]) -> Module:
        tok: Token = items[0]
        body = self._statements(items[1:])
        return self._decl(Module(tok.value, body=body, span=self.span(tok)))

    # ------------------------------------------------------------------ types

    def decl_spec(self, items: list[Any]) -> _Spec:
        quals: set[str] = set()
        core: TypeRef | None = None
        for item in items:
            if isinstance(item, _Qualifiers):
                quals.update(item.words)
            else:
                core = item
        assert core is not None
        if "const" in quals:
            core.is_const = True
        return _Spec(core, frozenset(quals))

    def qualifiers(self, items: list[Any]) -> _Qualifiers:
        return _Qualifiers([str(i) for i in items])

    def qualifier(self, items: list[Token]) -> str:
        return str(items[0])

    def base_type(self, items: list[Any]) -> BaseType:
        words = [str(w) for w in items]
        first = items[0]
        return BaseType(_normalise_base_type(words), span=self.span(first))

    def base_kw(self, items: list[Token]) -> Token:
        return items[0]

    def type_ref(self, items: list[Any]) -> NamedType:
        name, tok = items[0]
        args = items[1] if len(items) > 1 else []
        return NamedType(name, list(args), span=self.span(tok))

    def type_args(self, items: list[TypeRef]) -> list[TypeRef]:
        return list(items)

    def qname(self, items: list[Token]) -> tuple[str, Token]:
        return ".".join(t.value for t in items), items[-1] if len(items) > 1 else items[0]

    def interface_type(self, items: list[Any]) -> NamedType:
        t = items[0]
        assert isinstance(t, NamedType)
        return t

    def safearray_name(self, items: list[Token]) -> NamedType:
        return NamedType("SAFEARRAY", span=self.span(items[0]))

    def safearray_type(self, items: list[Any]) -> SafeArrayType:
        element: TypeRef = items[0]
        return SafeArrayType(element, span=element.span)

    def type_name(self, items: list[Any]) -> TypeRef:
        spec: _Spec = items[0]
        if len(items) > 1:
            d: _Declarator = items[1]
            return d.apply(spec.type)
        return spec.type

    # struct / union / enum --------------------------------------------------------

    def _tagged_parts(self, items: list[Any]) -> tuple[Token | None, list[Any]]:
        if items and isinstance(items[0], Token) and items[0].type == "IDENT":
            return items[0], items[1:]
        return None, items

    def struct_def(self, items: list[Any]) -> TaggedType:
        tag, rest = self._tagged_parts(items)
        fields = _collect_fields(rest)
        span = self.span(tag) if tag is not None else _first_span(fields)
        s = self._decl(
            Struct(tag.value if tag else None, fields=fields, span=span, pack=self.packing.current)
        )
        return TaggedType("struct", s.name, definition=s, span=span)

    def struct_ref(self, items: list[Token]) -> TaggedType:
        return TaggedType("struct", items[0].value, span=self.span(items[0]))

    def union_def(self, items: list[Any]) -> TaggedType:
        tag, rest = self._tagged_parts(items)
        fields = _collect_fields(rest)
        span = self.span(tag) if tag is not None else _first_span(fields)
        u = self._decl(
            Union(tag.value if tag else None, fields=fields, span=span, pack=self.packing.current)
        )
        return TaggedType("union", u.name, definition=u, span=span)

    def union_encapsulated(self, items: list[Any]) -> TaggedType:
        tag, rest = self._tagged_parts(items)
        spec: _Spec = rest[0]
        switch_name: Token = rest[1]
        arm_name: Token | None = None
        body = rest[2:]
        if body and isinstance(body[0], Token) and body[0].type == "IDENT":
            arm_name = body[0]
            body = body[1:]
        fields = _collect_fields(body)
        span = self.span(tag) if tag is not None else self.span(switch_name)
        u = self._decl(
            Union(
                tag.value if tag else None,
                fields=fields,
                switch_type=spec.type,
                switch_name=switch_name.value,
                arm_name=arm_name.value if arm_name is not None else None,
                span=span,
                pack=self.packing.current,
            )
        )
        return TaggedType("union", u.name, definition=u, span=span)

    def union_ref(self, items: list[Token]) -> TaggedType:
        return TaggedType("union", items[0].value, span=self.span(items[0]))

    def enum_def(self, items: list[Any]) -> TaggedType:
        tag, rest = self._tagged_parts(items)
        members: list[EnumMember] = rest[0] if rest else []
        span = self.span(tag) if tag is not None else _first_span(members)
        e = self._decl(Enum(tag.value if tag else None, members=members, span=span))
        return TaggedType("enum", e.name, definition=e, span=span)

    def enum_ref(self, items: list[Token]) -> TaggedType:
        return TaggedType("enum", items[0].value, span=self.span(items[0]))

    def enum_members(self, items: list[EnumMember]) -> list[EnumMember]:
        return list(items)

    def enum_member(self, items: list[Any]) -> EnumMember:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        rest = items[1:] if attrs is not None else items
        tok: Token = rest[0]
        expr = rest[1] if len(rest) > 1 else None
        m = EnumMember(tok.value, expr, span=self.span(tok))
        if attrs is not None:
            m.attributes = list(attrs.items)
        return m

    def case_label(self, items: list[Any]) -> _Case:
        return _Case(items[0])

    def default_label(self, items: list[Any]) -> _Case:
        return _Case(None)

    def field(self, items: list[Any]) -> list[Field]:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        rest = items[1:] if attrs is not None else items
        spec: _Spec = rest[0]
        declarators: list[tuple[_Declarator | None, Expr | None]] = rest[1] if len(rest) > 1 else []
        out: list[Field] = []
        if not declarators:
            # an anonymous struct/union member, or a bare type
            out.append(Field(None, spec.type, span=spec.type.span))
        for d, bits in declarators:
            if d is None:
                out.append(Field(None, spec.type, bits=bits, span=spec.type.span))
                continue
            t = d.apply(spec.type)
            out.append(
                Field(
                    d.name.value if d.name is not None else None,
                    t,
                    bits=bits,
                    span=self.span(d.name) if d.name is not None else spec.type.span,
                )
            )
        if attrs is not None:
            for f in out:
                f.attributes = list(attrs.items)
        return out

    def empty_field(self, items: list[Any]) -> list[Field]:
        attrs = items[0] if items and isinstance(items[0], _Attrs) else None
        f = Field(None, BaseType("void"), span=attrs.span if attrs else NO_SPAN)
        if attrs is not None:
            f.attributes = list(attrs.items)
        return [f]

    def field_declarators(self, items: list[Any]) -> list[tuple[_Declarator | None, Expr | None]]:
        return list(items)

    def field_declarator(self, items: list[Any]) -> tuple[_Declarator | None, Expr | None]:
        if isinstance(items[0], _Declarator):
            return items[0], (items[1] if len(items) > 1 else None)
        return None, items[0]

    # ------------------------------------------------------------------ declarators

    def pointer_declarator(self, items: list[Any]) -> _Declarator:
        quals: list[str] = items[0]
        inner: _Declarator = items[1] if len(items) > 1 else _Declarator(None)
        is_const = "const" in quals

        def op(t: TypeRef) -> TypeRef:
            return PointerType(t, is_const=is_const, span=t.span)

        return inner.wrapped(op, inner.calling_convention, inner.is_function)

    def pointer(self, items: list[Token]) -> list[str]:
        return [str(t) for t in items]

    def pointer_qualifier(self, items: list[Token]) -> Token:
        return items[0]

    def callconv_declarator(self, items: list[Any]) -> _Declarator:
        inner: _Declarator = items[1]
        inner.calling_convention = str(items[0])
        return inner

    def callconv(self, items: list[Token]) -> Token:
        return items[0]

    def memory_model_declarator(self, items: list[Any]) -> _Declarator:
        """``(__RPC_FAR *pfn)``: the keyword changes nothing."""
        inner = items[-1]
        assert isinstance(inner, _Declarator)
        return inner

    def declarator(self, items: list[Any]) -> _Declarator:
        d = items[0]
        assert isinstance(d, _Declarator)
        return d

    def direct_declarator(self, items: list[Any]) -> _Declarator:
        d = items[0]
        assert isinstance(d, _Declarator)
        return d

    def name_declarator(self, items: list[Token]) -> _Declarator:
        return _Declarator(items[0])

    def group_declarator(self, items: list[Any]) -> _Declarator:
        inner: _Declarator = items[0]
        # a parenthesised declarator no longer declares a function itself
        # (`HRESULT (*pfn)(int)` is a pointer to a function)
        return _Declarator(inner.name, inner.ops, inner.calling_convention)

    def array_declarator(self, items: list[Any]) -> _Declarator:
        inner: _Declarator = items[0]
        size: _ArraySize = items[1]

        def op(t: TypeRef) -> TypeRef:
            return ArrayType(t, size.expr, span=t.span)

        return inner.wrapped(op, inner.calling_convention, False)

    def abstract_array_declarator(self, items: list[Any]) -> _Declarator:
        size: _ArraySize = items[0]

        def op(t: TypeRef) -> TypeRef:
            return ArrayType(t, size.expr, span=t.span)

        return _Declarator(None, [op])

    def function_declarator(self, items: list[Any]) -> _Declarator:
        inner: _Declarator = items[0]
        params: list[Param] = items[1] if len(items) > 1 else []
        cc = inner.calling_convention

        def op(t: TypeRef) -> TypeRef:
            return FunctionType(t, params, calling_convention=cc, span=t.span)

        return inner.wrapped(op, cc, not inner.ops)

    def array(self, items: list[Any]) -> _ArraySize:
        return _ArraySize(items[0] if items else None)

    def star_array(self, items: list[Any]) -> _ArraySize:
        return _ArraySize(None)

    def param_list(self, items: list[Any]) -> list[Param]:
        params = [p for p in items if isinstance(p, Param)]
        if len(params) == 1 and params[0].name is None and not params[0].attributes:
            t = params[0].type
            if isinstance(t, BaseType) and t.name == "void" and not t.is_const:
                return []
        return params

    def param(self, items: list[Any]) -> Param:
        attrs = items[0] if isinstance(items[0], _Attrs) else None
        rest = items[1:] if attrs is not None else items
        spec: _Spec = rest[0]
        d: _Declarator | None = rest[1] if len(rest) > 1 else None
        t = d.apply(spec.type) if d is not None else spec.type
        name_tok = d.name if d is not None else None
        span = self.span(name_tok) if name_tok is not None else spec.type.span
        p = Param(name_tok.value if name_tok is not None else None, t, span=span)
        if attrs is not None:
            p.attributes = list(attrs.items)
        return p

    # ------------------------------------------------------------------ attributes

    def attributes(self, items: list[_Attrs]) -> _Attrs:
        out: list[Attribute] = []
        for lst in items:
            out.extend(lst.items)
        return _Attrs(out, items[0].span)

    def attribute_list(self, items: list[Attribute | None]) -> _Attrs:
        attrs = [a for a in items if a is not None]
        return _Attrs(attrs, attrs[0].span if attrs else NO_SPAN)

    def attribute(self, items: list[Any]) -> Attribute:
        tok: Token = items[0]
        name = tok.value
        raw: list[Any] = items[1] if len(items) > 1 else []
        args: list[Expr | TypeRef | str] = []
        for i, arg in enumerate(raw):
            if arg is None:
                args.append(NameExpr("", span=self.span(tok)))
                continue
            if name == "uuid":
                args.append(self._uuid(arg, tok))
            elif isinstance(arg, Expr) and (
                name in _TYPE_ARGUMENT_ATTRIBUTES
                or (i == 0 and name in _FIRST_ARGUMENT_TYPE_ATTRIBUTES)
            ):
                as_type = _expr_as_type(arg)
                args.append(as_type if as_type is not None else arg)
            elif isinstance(arg, Expr):
                dotted = _dotted_name(arg)
                args.append(NameExpr(dotted, span=arg.span) if dotted is not None else arg)
            else:
                args.append(arg)
        return Attribute(name, args, span=self.span(tok))

    def _uuid(self, arg: Any, tok: Token) -> str:
        """A ``uuid(...)`` argument, normalised; anything but a well-formed uuid is an error."""
        text = arg.value if isinstance(arg, Literal) else arg
        if isinstance(text, str):
            text = text.strip().strip("{}").lower()
            if _UUID_TEXT.fullmatch(text):
                return text
        span = getattr(arg, "span", None)
        raise TransformError("invalid uuid", tok, span if span is not NO_SPAN else None)

    def attr_name(self, items: list[Token]) -> Token:
        return items[0]

    def attr_args(self, items: list[Any]) -> list[Any]:
        return list(items)

    def uuid_arg(self, items: list[Token]) -> str:
        return str(items[0]).lower()

    def attr_type(self, items: list[Any]) -> TypeRef:
        t = items[0]
        assert isinstance(t, TypeRef)
        return t

    def keyword_type_name(self, items: list[Any]) -> TypeRef:
        t: TypeRef = items[0]
        for _ in items[1:]:
            t = PointerType(t, span=t.span)
        return t

    # ------------------------------------------------------------------ expressions

    def number(self, items: list[Token]) -> Literal:
        tok = items[0]
        value = _parse_number(tok.value)
        kind = "float" if isinstance(value, float) else "int"
        return Literal(value, tok.value, kind, span=self.span(tok))

    def char_literal(self, items: list[Token]) -> Literal:
        tok = items[0]
        wide = tok.value.startswith("L")
        body = tok.value[2:-1] if wide else tok.value[1:-1]
        text = _unescape(body, self.code_page, wide=wide)
        return Literal(ord(text[0]) if text else 0, tok.value, "char", span=self.span(tok))

    def name(self, items: list[Token]) -> NameExpr:
        return NameExpr(items[0].value, span=self.span(items[0]))

    def binary_chain(self, items: list[Any]) -> Expr:
        """``a op b op c ...`` -> a tree of :class:`BinaryExpr` by C precedence
        (all binary operators are left-associative)."""
        operands: list[Expr] = [items[0]]
        operators: list[Token] = []

        def fold() -> None:
            op = operators.pop()
            right = operands.pop()
            left = operands.pop()
            operands.append(BinaryExpr(op.value, left, right, span=self.span(op)))

        for i in range(1, len(items), 2):
            op: Token = items[i]
            prec = C_BINARY_PRECEDENCE[op.value]
            while operators and C_BINARY_PRECEDENCE[operators[-1].value] >= prec:
                fold()
            operators.append(op)
            operands.append(items[i + 1])
        while operators:
            fold()
        return operands[0]

    def unary(self, items: list[Any]) -> UnaryExpr:
        op, operand = items
        return UnaryExpr(op.value, operand, span=self.span(op))

    def conditional_expr(self, items: list[Any]) -> ConditionalExpr:
        cond, then, otherwise = items
        return ConditionalExpr(cond, then, otherwise, span=cond.span)

    def sizeof_expr(self, items: list[Any]) -> SizeofExpr:
        t: TypeRef = items[0]
        return SizeofExpr(t, span=t.span)

    def keyword_cast(self, items: list[Any]) -> CastExpr:
        t: TypeRef = items[0]
        return CastExpr(t, items[1], span=t.span)

    def name_cast(self, items: list[Any]) -> Expr:
        inner: Expr = items[0]
        as_type = _expr_as_type(inner)
        if as_type is None:
            raise TransformError("expected a type name in a cast", None)
        return CastExpr(as_type, items[1], span=inner.span)

    def pointer_cast(self, items: list[Any]) -> Expr:
        inner: Expr = items[0]
        stars: list[Token] = items[1:-1]
        as_type = _expr_as_type(inner)
        if as_type is None or any(t.value != "*" for t in stars):
            raise TransformError("expected a type name in a cast", stars[0])
        t: TypeRef = as_type
        for _ in stars:
            t = PointerType(t, span=as_type.span)
        return CastExpr(t, items[-1], span=inner.span)

    def parenthesized(self, items: list[Any]) -> Expr:
        inner: Expr = items[0]
        if isinstance(inner, NameExpr):
            inner.parenthesized = True
        return inner

    def member(self, items: list[Any]) -> MemberExpr:
        base, tok = items
        return MemberExpr(base, tok.value, span=base.span)

    def arrow_member(self, items: list[Any]) -> MemberExpr:
        base, tok = items
        return MemberExpr(base, tok.value, arrow=True, span=base.span)

    def string_expr(self, items: list[Any]) -> Literal:
        text, tok = items[0]
        kind = "wstring" if tok.type == "WSTRING" else "string"
        return Literal(text, tok.value, kind, span=self.span(tok))


@dataclass
class _Attrs:
    items: list[Attribute]
    span: Span


@dataclass
class _Qualifiers:
    words: list[str]


@dataclass
class _TypeParams:
    names: list[str]


@dataclass
class _Inheritance:
    base: NamedType


@dataclass
class _Requires:
    types: list[NamedType]


@dataclass
class _Props:
    fields: list[Field]


@dataclass
class _Methods:
    methods: list[Method]


@dataclass
class _Case:
    expr: Expr | None


@dataclass
class _ArraySize:
    expr: Expr | None


def _collect_fields(items: Sequence[Any]) -> list[Field]:
    """Struct/union body items -> fields, ``case``/``default`` labels attached to the next arm."""
    out: list[Field] = []
    pending: list[_Case] = []
    for item in items:
        if isinstance(item, _Case):
            pending.append(item)
        elif isinstance(item, list):
            for f in item:
                if pending:
                    f.cases = [c.expr for c in pending if c.expr is not None]
                    f.is_default = any(c.expr is None for c in pending)
                out.append(f)
            pending = []
    return out


def _first_span(nodes: Sequence[Any]) -> Span:
    for n in nodes:
        span = getattr(n, "span", NO_SPAN)
        if span is not NO_SPAN:
            return span
    return NO_SPAN


def _inline_tagged(t: TypeRef) -> Struct | Union | Enum | None:
    if isinstance(t, TaggedType):
        return t.definition
    return None


def _as_method(fn: Function) -> Method:
    m = Method(
        fn.name,
        fn.return_type,
        params=fn.params,
        calling_convention=fn.calling_convention,
        span=fn.span,
    )
    m.attributes = fn.attributes
    return m


def _dotted_name(e: Expr) -> str | None:
    """``A.B.C`` written as member expressions -> ``"A.B.C"``; None for anything else."""
    if isinstance(e, MemberExpr) and not e.arrow:
        base = _dotted_name(e.base)
        return f"{base}.{e.member}" if base is not None else None
    if isinstance(e, NameExpr):
        return e.name
    return None


def _expr_as_type(e: Expr) -> NamedType | None:
    dotted = _dotted_name(e)
    if dotted is None:
        return None
    return NamedType(dotted, span=e.span)


def _set_namespace(d: Declaration, name: str) -> None:
    if d.namespace is None:
        d.namespace = name
    if isinstance(d, Interface):
        for item in d.body:
            if isinstance(item, Declaration) and item.namespace is None:
                item.namespace = name


def _prefix_namespace(ns: Namespace, prefix: str) -> None:
    """Qualify a nested namespace: ``namespace A { namespace B {} }`` declares ``A.B``."""
    ns.name = f"{prefix}.{ns.name}"
    for d in ns.body:
        if isinstance(d, Namespace):
            _prefix_namespace(d, prefix)
        elif d.namespace is not None:
            d.namespace = f"{prefix}.{d.namespace}"
            if isinstance(d, Interface):
                for item in d.body:
                    if isinstance(item, Declaration) and item.namespace is not None:
                        item.namespace = f"{prefix}.{item.namespace}"
