"""The facts a conformance suite checks, and the scenario file next to the IDL.

What ``idlgen check`` needs to validate a scenario file, kept apart from rendering (no Jinja2,
no pytest): :func:`spec_data` (the IDL's facts as plain data for
:class:`idlgen.conformance.spec.Spec`), :func:`find_scenario_file` and :func:`check_scenarios`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from idlgen.backends.common.idl import (
    class_names,
    defined_declarations,
    type_spelling,
    vtable_methods,
)
from idlgen.backends.common.naming import (
    RESERVED_PARAM_NAMES,
    NameSpace,
    member_reserved_names,
)
from idlgen.conformance import scenarios as sc
from idlgen.conformance.scenarios import find_scenario_file
from idlgen.conformance.spec import Spec
from idlgen.diagnostics import CompileError, Diagnostic, DiagnosticSink, Span
from idlgen.frontend import Program
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    CoClass,
    Const,
    Declaration,
    DispInterface,
    Enum,
    IdlFile,
    Interface,
    Method,
    Param,
)

_ROOT_INTERFACES = ("IUnknown", "IDispatch")


# --------------------------------------------------------------------------- names


def _python_names(names: Iterable[str], space: NameSpace) -> list[str]:
    """Python names of IDL names in one scope: the stubs' rule (``_`` appended when needed)."""
    return [space.add(name) for name in names]


# --------------------------------------------------------------------------- the spec


class _SpecBuilder:
    """Collects the facts of one main file (and the interfaces its coclasses name)."""

    def __init__(self, f: IdlFile, symbols: SymbolTable | None) -> None:
        self.file = f
        self.symbols = symbols
        self.interfaces: dict[str, dict[str, Any]] = {}
        self.dispinterfaces: dict[str, dict[str, Any]] = {}
        #: what a class body's members may not be named (as in the stubs)
        self.reserved = member_reserved_names(class_names(f))

    def lookup(self, name: str) -> Declaration | None:
        for d in self.file.walk():
            if d.name == name and getattr(d, "is_defined", True):
                return d
        return self.symbols.lookup_type(name) if self.symbols is not None else None

    # -- members

    def params(self, params: list[Param]) -> list[dict[str, Any]]:
        names = [p.name or f"arg{i}" for i, p in enumerate(params)]
        py_names = _python_names(names, NameSpace(RESERVED_PARAM_NAMES))
        out = []
        for p, name, py in zip(params, names, py_names, strict=True):
            item: dict[str, Any] = {"name": name, "type": type_spelling(p.type)}
            if p.direction != "in":
                item["dir"] = p.direction
            if p.is_retval:
                item["retval"] = True
            if py != name:
                item["py_name"] = py
            out.append(item)
        return out

    def method(self, m: Method, py_name: str = "") -> dict[str, Any]:
        item: dict[str, Any] = {"name": m.name, "kind": m.kind, "dispid": m.id}
        if py_name and py_name != m.name:
            item["py_name"] = py_name
        item["params"] = self.params(m.params)
        return item

    def methods(self, methods: list[Method]) -> list[dict[str, Any]]:
        """The members of one interface body, with the Python names the stubs give them."""
        distinct = list(dict.fromkeys(m.name for m in methods))
        py = dict(zip(distinct, _python_names(distinct, NameSpace(self.reserved)), strict=True))
        return [self.method(m, py[m.name]) for m in methods]

    # -- declarations

    def interface(self, d: Interface) -> None:
        if d.name in self.interfaces:
            return
        members: list[dict[str, Any]] = []
        chain: list[Interface] = []
        base: Declaration | None = d
        seen: set[str] = set()
        while isinstance(base, Interface) and base.name not in _ROOT_INTERFACES:
            if base.name in seen:
                break
            seen.add(base.name)
            chain.append(base)
            base = self.lookup(base.base.name) if base.base is not None else None
        for iface in reversed(chain):  # inherited members first, in vtable order
            members += self.methods(vtable_methods(iface))
        root = base.name if isinstance(base, Interface) else "IUnknown"
        flags = [a.name for a in d.attributes if a.name in ("dual", "oleautomation")]
        if any(i.has_attr("dual") for i in chain) and "dual" not in flags:
            flags.append("dual")
        self.interfaces[d.name] = {
            "name": d.name,
            "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
            "base": root,
            "bases": [i.name for i in chain[1:]],
            "flags": flags,
            "members": members,
        }

    def dispinterface(self, d: DispInterface, *, as_source: bool) -> None:
        methods = self.methods(d.methods)
        if as_source:
            self.dispinterfaces[d.name] = {
                "name": d.name,
                "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
                "methods": [
                    {"name": m["name"], "dispid": m["dispid"] or 0, "params": m["params"]}
                    for m in methods
                ],
            }
            return
        members = []
        for p in d.properties:
            if p.name is None:
                continue
            spelled = type_spelling(p.type)
            members.append(
                {
                    "name": p.name,
                    "kind": "propget",
                    "dispid": p.id,
                    "params": [
                        {"name": "value", "type": spelled + "*", "dir": "out", "retval": True}
                    ],
                }
            )
            if not p.has_attr("readonly"):
                members.append(
                    {
                        "name": p.name,
                        "kind": "propput",
                        "dispid": p.id,
                        "params": [{"name": "value", "type": spelled}],
                    }
                )
        self.interfaces[d.name] = {
            "name": d.name,
            "iid": d.uuid or "00000000-0000-0000-0000-000000000000",
            "base": "IDispatch",
            "flags": ["dual"],
            "members": members + methods,
        }

    def coclass(self, d: CoClass) -> dict[str, Any]:
        items = []
        for member in d.interfaces:
            name = member.type.name
            target = self.lookup(name)
            if isinstance(target, Interface):
                if member.is_source:
                    continue  # a vtable source interface: no connection-point check for it
                if name in _ROOT_INTERFACES:
                    continue  # IUnknown/IDispatch: every COM object has them
                self.interface(target)
            elif isinstance(target, DispInterface):
                self.dispinterface(target, as_source=member.is_source)
            else:
                continue
            items.append({"name": name, "default": member.is_default, "source": member.is_source})
        return {"name": d.name, "clsid": d.uuid or "", "interfaces": items}

    def build(self) -> dict[str, Any]:
        coclasses = []
        enums = []
        constants: dict[str, int] = {}
        for d in defined_declarations(self.file):
            if isinstance(d, CoClass) and d.uuid:
                coclasses.append(self.coclass(d))
            elif isinstance(d, Interface) and d.uuid and d.name not in _ROOT_INTERFACES:
                self.interface(d)
            elif isinstance(d, Enum) and (d.typedef_name or d.name):
                values = {m.name: m.value for m in d.members if isinstance(m.value, int)}
                enums.append({"typedef": d.typedef_name or d.name, "members": values})
            elif (
                isinstance(d, Const) and isinstance(d.value, int) and not isinstance(d.value, bool)
            ):
                constants[d.name] = d.value
        return {
            "idl": Path(self.file.path).name,
            "interfaces": list(self.interfaces.values()),
            "dispinterfaces": list(self.dispinterfaces.values()),
            "coclasses": coclasses,
            "enums": enums,
            "constants": constants,
        }


def spec_data(program: Program, path: str | None = None) -> dict[str, Any]:
    """The facts of the main file *path* (default: the first) as plain data for ``Spec``.

    The shape is :meth:`idlgen.conformance.Spec.from_dict`'s (documented in
    ``docs/conformance.md``): interfaces with their members in vtable order (inherited ones
    first), the dispinterfaces coclasses fire, coclasses, enums and integer constants.
    """
    f = program.file(path) if path is not None else (program.files[0] if program.files else None)
    if f is None:
        raise ValueError(f"no main file {path!r} in the program")
    return _SpecBuilder(f, program.symbols.get(f.path)).build()


def load_scenarios(path: Path, spec: Spec) -> tuple[str, sc.ScenarioFile]:
    try:
        text = sc.read_scenario_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        sink = DiagnosticSink()
        sink.error(Span(str(path), 1, 1), f"cannot read scenario file: {reason}")
        raise CompileError(sink.diagnostics) from None
    loaded, problems = sc.parse_scenarios(text, str(path))
    if loaded is not None:
        problems = [*problems, *sc.check_names(loaded, spec.names())]
    if loaded is None or any(d.is_error for d in problems):
        raise CompileError([d for d in problems if d.is_error])
    return text, loaded


def check_scenarios(program: Program, path: str | None = None) -> list[Diagnostic]:
    """The problems of the scenario file next to the main file *path* (default: the first),
    checked as ``--emit tests`` would: its format, and every name against the IDL.

    Returns ``[]`` when the file is fine or there is none.
    """
    main = program.file(path) if path is not None else next(iter(program.files), None)
    if main is None:
        raise ValueError(f"no main file {path!r} in the program")
    scenario_path = find_scenario_file(main.path)
    if scenario_path is None:
        return []
    try:
        load_scenarios(scenario_path, Spec.from_dict(spec_data(program, main.path)))
    except CompileError as exc:
        return list(exc.diagnostics)
    return []
