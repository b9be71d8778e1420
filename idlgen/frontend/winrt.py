"""Windows Runtime type signatures, parameterised-interface IIDs and widl's C names.

A parameterised WinRT interface or delegate (``IVector<T>``) has no IID of its own;
each instantiation (``IVector<HSTRING>``) gets one derived from its *type
signature*, a string defined by the WinRT type system:

====================  ===============================================
type                  signature
====================  ===============================================
instantiation         ``pinterface({generic-uuid};arg1;arg2...)``
interface             ``{uuid}``
delegate              ``delegate({uuid})``
runtime class         ``rc(Namespace.Name;<default interface>)``
struct                ``struct(Namespace.Name;field1;field2...)``
enum                  ``enum(Namespace.Name;i4)`` (``u4`` when ``[flags]``)
``IInspectable``      ``cinterface(IInspectable)``
``HSTRING``           ``string``
``GUID``              ``g16``
``boolean``           ``b1``
integers, floats      ``i1 u1 i2 u2 i4 u4 i8 u8 f4 f8``, ``c2`` (WCHAR)
====================  ===============================================

The IID is the name-based (version 5, SHA-1) UUID of the signature's UTF-8
bytes in the namespace ``11f47ad5-7b73-42c0-abae-878b1e16adee``, as widl computes
it for the instantiations of ``declare`` blocks.

:func:`c_name` spells declarations and instantiations the way widl's C header
does (``__x_ABI_CWindows_CFoundation_CIUriRuntimeClass``,
``__FIVector_1_HSTRING``), so idlgen's model can be compared with widl's output.
"""

from __future__ import annotations

import uuid

from idlgen.model import (
    ApiContract,
    BaseType,
    Declaration,
    Declare,
    Delegate,
    Enum,
    Interface,
    NamedType,
    PointerType,
    RuntimeClass,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
)

#: The namespace of parameterised-interface IIDs (WinRT type system).
PINTERFACE_NAMESPACE = uuid.UUID("11f47ad5-7b73-42c0-abae-878b1e16adee")

#: Signatures of the built-in (base) types.
_BASE_SIGNATURES = {
    "boolean": "b1",
    "byte": "u1",
    "unsigned char": "u1",
    "char": "u1",
    "unsigned small": "u1",
    "__int8": "i1",
    "signed char": "i1",
    "small": "i1",
    "short": "i2",
    "__int16": "i2",
    "unsigned short": "u2",
    "unsigned __int16": "u2",
    "int": "i4",
    "long": "i4",
    "__int32": "i4",
    "unsigned int": "u4",
    "unsigned long": "u4",
    "unsigned __int32": "u4",
    "hyper": "i8",
    "__int64": "i8",
    "long long": "i8",
    "unsigned hyper": "u8",
    "unsigned __int64": "u8",
    "unsigned long long": "u8",
    "float": "f4",
    "double": "f8",
    "wchar_t": "c2",
}

#: Type names whose signature is fixed, whatever they are declared as.
_NAMED_SIGNATURES = {
    "HSTRING": "string",
    "GUID": "g16",
    "boolean": "b1",
    "IInspectable": "cinterface(IInspectable)",
}


class SignatureError(Exception):
    """A type has no WinRT signature (an unbound type parameter, a missing uuid ...)."""


def iid_from_signature(signature: str) -> str:
    """The IID (lowercase, no braces) of a WinRT type *signature*."""
    return str(uuid.uuid5(PINTERFACE_NAMESPACE, signature))


def _braced(u: str | None, what: str) -> str:
    if u is None:
        raise SignatureError(f"{what} has no uuid")
    return "{" + u.lower() + "}"


def signature(t: TypeRef) -> str:
    """The WinRT type signature of *t* (a resolved type reference).

    Pointers are transparent (``IVector<HSTRING>*`` is an ``IVector<HSTRING>``).
    Raises :class:`SignatureError` for types WinRT cannot express.
    """
    while isinstance(t, PointerType):
        t = t.target
    if isinstance(t, BaseType):
        sig = _BASE_SIGNATURES.get(t.name)
        if sig is None:
            raise SignatureError(f"type '{t.name}' has no WinRT signature")
        return sig
    if isinstance(t, TaggedType):
        target = t.definition or t.target
        if isinstance(target, Enum | Struct):
            return declaration_signature(target)
        raise SignatureError(f"'{t.keyword} {t.tag}' is not defined")
    if isinstance(t, NamedType):
        fixed = _NAMED_SIGNATURES.get(t.name)
        if fixed is not None and not t.args:
            return fixed
        target = t.target
        if target is None:
            raise SignatureError(f"type '{t.name}' is unresolved (a type parameter?)")
        if t.args:
            if not isinstance(target, Interface | Delegate):
                raise SignatureError(f"'{t.name}' is not a parameterised interface or delegate")
            args = ";".join(signature(a) for a in t.args)
            return f"pinterface({_braced(target.uuid, t.name)};{args})"
        return declaration_signature(target)
    raise SignatureError(f"type {type(t).__name__} has no WinRT signature")


def declaration_signature(d: Declaration) -> str:
    """The WinRT signature of the type *d* declares (not parameterised)."""
    fixed = _NAMED_SIGNATURES.get(d.name or "")
    if fixed is not None and not d.namespace:
        return fixed
    if isinstance(d, Typedef):
        return signature(d.type)
    if isinstance(d, Interface):
        if d.type_params:
            raise SignatureError(f"'{d.name}' is parameterised: only its instantiations have IIDs")
        return _braced(d.uuid, f"interface '{d.name}'")
    if isinstance(d, Delegate):
        if d.type_params:
            raise SignatureError(f"'{d.name}' is parameterised: only its instantiations have IIDs")
        return f"delegate({_braced(d.uuid, f'delegate {d.name!r}')})"
    if isinstance(d, RuntimeClass):
        default = default_interface(d)
        if default is None:
            raise SignatureError(f"runtimeclass '{d.name}' has no [default] interface")
        return f"rc({d.qualified_name};{signature(default)})"
    if isinstance(d, Enum):
        flags = d.has_attr("flags")
        return f"enum({d.qualified_name};{'u4' if flags else 'i4'})"
    if isinstance(d, Struct):
        fields = "".join(";" + signature(f.type) for f in d.fields)
        return f"struct({d.qualified_name}{fields})"
    raise SignatureError(f"'{d.name}' has no WinRT signature")


def default_interface(rc: RuntimeClass) -> NamedType | None:
    """The ``[default] interface`` of a runtime class (None when it has none)."""
    for m in rc.interfaces:
        if m.is_default:
            return m.type
    return None


def instantiation_iid(t: NamedType) -> str:
    """The IID of a parameterised instantiation such as ``IVector<HSTRING>``."""
    if not t.args:
        raise SignatureError(f"'{t.name}' is not an instantiation")
    return iid_from_signature(signature(t))


def is_winrt_declaration(d: Declaration) -> bool:
    """True for declarations only the Windows Runtime dialect has: anything in a
    ``namespace``, runtime classes, delegates, API contracts, ``declare`` blocks and
    parameterised interfaces."""
    if d.namespace is not None or isinstance(d, RuntimeClass | Delegate | ApiContract | Declare):
        return True
    return isinstance(d, Interface) and bool(d.type_params)


# --------------------------------------------------------------------------- widl's C names


def c_name(d: Declaration, *, abi_prefix: bool = True) -> str:
    """The name widl's C header gives a declaration: ``__x_ABI_C<Ns>_C<Name>`` for WinRT
    declarations (delegates get an ``I`` prefix), the plain name otherwise.

    *abi_prefix* is whether ``#pragma winrt ns_prefix`` is in effect (it puts the
    namespaces into ``ABI``); without it the name is ``__x_<Ns>_C<Name>``.
    """
    name = d.name or ""
    if isinstance(d, Delegate):
        name = "I" + name
    if not d.namespace:
        return name
    prefix = "__x_ABI_C" if abi_prefix else "__x_"
    return prefix + "_C".join(d.namespace.split(".")) + "_C" + name


def instantiation_c_name(t: NamedType) -> str:
    """widl's C name for an instantiation: ``__FIVector_1_HSTRING``,
    ``__FIIterable_1___FIKeyValuePair_2_HSTRING_HSTRING``,
    ``__FIVectorView_1_Windows__CFoundation__CUri``."""
    target = t.target
    base = t.name.rpartition(".")[2]
    if isinstance(target, Delegate):
        base = "I" + base
    parts = [f"__F{base}_{len(t.args)}"]
    parts.extend(_arg_c_name(a) for a in t.args)
    return "_".join(parts)


def _arg_c_name(t: TypeRef) -> str:
    while isinstance(t, PointerType):
        t = t.target
    if isinstance(t, NamedType):
        if t.args:
            return instantiation_c_name(t)
        d = t.target
        if d is not None and d.namespace and d.name and not isinstance(d, Typedef):
            # (widl does not qualify typedef names: `IReference<Ns.Enum>` -> `..._1_Enum`)
            name = ("I" + d.name) if isinstance(d, Delegate) else d.name
            return "__C".join(d.namespace.split(".")) + "__C" + name
        return t.name.rpartition(".")[2]
    if isinstance(t, BaseType):
        return t.name.replace(" ", "_")
    if isinstance(t, TaggedType):
        return t.tag or t.keyword
    return "?"


def method_c_name(name: str, kind: str) -> str:
    """The vtable entry name widl writes: ``get_X``/``put_X``/``add_X``/``remove_X``."""
    prefix = {
        "propget": "get_",
        "propput": "put_",
        "propputref": "putref_",
        "eventadd": "add_",
        "eventremove": "remove_",
    }.get(kind, "")
    return prefix + name
