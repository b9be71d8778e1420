"""Cycles among declarations that resolution reports, found without recursion: typedefs that
alias themselves, structs and unions that contain themselves by value; and how a cycle is
written in a message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from idlgen.diagnostics import Span
from idlgen.frontend.symbols import describe
from idlgen.model import (
    ArrayType,
    Field,
    NamedType,
    PointerType,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
)


def alias_cycles(typedefs: list[Typedef]) -> Iterator[list[Typedef]]:
    """The cycles of typedefs that alias one another (through other typedefs, pointers or
    arrays; a struct tag ends a chain).  Each typedef is walked once: linear."""
    walked: dict[int, int] = {}  # typedef -> the walk that met it first
    for walk, td in enumerate(typedefs):
        chain: list[Typedef] = []
        x: Typedef | None = td
        while x is not None and id(x) not in walked:
            walked[id(x)] = walk
            chain.append(x)
            x = _aliased_typedef(x.type)
        if x is not None and walked[id(x)] == walk:
            yield chain[next(i for i, m in enumerate(chain) if m is x) :]


def _aliased_typedef(t: TypeRef) -> Typedef | None:
    """The typedef *t* names, through pointers and arrays, if any."""
    while isinstance(t, PointerType | ArrayType | SafeArrayType):
        t = t.target if isinstance(t, PointerType) else t.element
    return t.target if isinstance(t, NamedType) and isinstance(t.target, Typedef) else None


def held_by_value(t: TypeRef) -> Struct | Union | None:
    """The struct or union a field of type *t* holds by value (arrays included), if any."""
    seen: set[int] = set()
    while id(t) not in seen:
        seen.add(id(t))
        if isinstance(t, ArrayType):
            t = t.element
        elif isinstance(t, NamedType) and isinstance(t.target, Typedef):
            t = t.target.type
        elif isinstance(t, NamedType) and isinstance(t.target, Struct | Union):
            return t.target if t.target.is_defined else None
        elif isinstance(t, TaggedType) and t.keyword != "enum":
            target = t.definition if t.definition is not None else t.target
            return target if isinstance(target, Struct | Union) and target.is_defined else None
        else:
            return None
    return None


def containment_cycles(
    aggregates: list[Struct | Union],
) -> Iterator[list[tuple[Struct | Union, Field]]]:
    """The cycles of structs and unions holding one another by value, each as the fields
    that go round it.  One depth-first walk without recursion (each aggregate entered
    once), a cycle found where a field leads back to an aggregate still on the path."""
    state: dict[int, int] = {}  # 1: on the path, 2: done
    for root in aggregates:
        if id(root) in state:
            continue
        path: list[tuple[Struct | Union, Field]] = []
        stack: list[tuple[Struct | Union, int]] = [(root, 0)]
        state[id(root)] = 1
        while stack:
            agg, i = stack[-1]
            if i == len(agg.fields):
                stack.pop()
                state[id(agg)] = 2
                if path:
                    path.pop()
                continue
            stack[-1] = (agg, i + 1)
            f = agg.fields[i]
            inner = held_by_value(f.type)
            if inner is None or state.get(id(inner)) == 2:
                continue
            if state.get(id(inner)) == 1:
                # path[k] is the field taken out of stack[k]: the cycle starts where inner is
                start = next(k for k, (a, _) in enumerate(stack) if a is inner)
                yield [*path[start:], (agg, f)]
                continue
            path.append((agg, f))
            state[id(inner)] = 1
            stack.append((inner, 0))


_T = TypeVar("_T")


def cycle_text(names: list[str], back_to: str | None = None) -> str:
    """``A -> B -> C -> A`` (the middle of a long cycle elided: its notes list every one)."""
    shown = (
        names if len(names) <= 12 else [*names[:5], f"... ({len(names) - 10} more)", *names[-5:]]
    )
    return " -> ".join([*shown, back_to] if back_to is not None else shown)


def earliest_first(cycle: list[_T], span_of: Callable[[_T], Span]) -> list[_T]:
    """*cycle* rotated to start at the member written first (file, line, column)."""
    spans = [span_of(x) for x in cycle]
    i = min(range(len(cycle)), key=lambda k: (spans[k].file, spans[k].line, spans[k].column))
    return cycle[i:] + cycle[:i]


def aggregate_name(d: Struct | Union) -> str:
    """How a struct or union is named in messages: its tag, its typedef or what it is."""
    return d.name or d.typedef_name or f"<anonymous {describe(d)}>"
