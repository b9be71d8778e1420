"""Python implementations of the test object's interfaces, for native code to call.

They behave like testobj.c's object, so that testpeer.c's ``DriveObject`` and
``DriveDispatch`` can check every result they give through ``native.expose``.
"""

from __future__ import annotations

import ctypes
import datetime
import decimal
import uuid
from types import ModuleType
from typing import Any

from idlgen.runtime import E_ACCESSDENIED, E_INVALIDARG, ByRef, COMError


def classes(package: ModuleType) -> dict[str, type]:
    """{"object": ITestObject implementation, "dual": ITestDual one, "events": a DTestEvents
    sink, "ticks": an ITestEvents sink, "source": a TestSource} for the generated *package*."""
    events = package.events

    class PyTestObject(package.ITestObject):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self._name = "test"
            self.items = [i * 10 for i in range(8)]
            self.value = 0

        def EchoInts(self, *values: int) -> tuple[int, ...]:
            return values

        def Floats(self, f: float, d: float) -> tuple[float, float]:
            return f * 2, d * 2

        def Bools(self, a: bool, b: bool, c: bool) -> tuple[bool, bool, bool]:
            return not a, not b, not c

        def Fail(self, hr: int) -> None:
            if hr == 1:
                raise RuntimeError("1 is no failure code")
            if hr & 0x80000000:
                raise COMError(hr, "asked to fail")

        def Increment(self, x: int) -> int:
            return x + 1

        def Half(self, x: float) -> float:
            if x < 0:
                raise ValueError("no negative halves")
            return x / 2

        def Guids(self, riid: uuid.UUID, by_value: uuid.UUID) -> uuid.UUID:
            pairs = zip(riid.bytes_le, by_value.bytes_le, strict=True)
            return uuid.UUID(bytes_le=bytes(a ^ b for a, b in pairs))

        def Strings(self, wide: str, narrow: str, ole: str) -> tuple[str, str]:
            if wide == "fail":
                raise COMError(E_ACCESSDENIED, "no strings today")
            return f"{wide.upper()}|{ole}", narrow.upper()

        def Bstrs(self, text: str, reversed_: str) -> tuple[object, object, int]:
            if text == "fail":  # a wrong length, after two strings were made for the caller
                return text + "!", reversed_[::-1], "not a number"
            return text + "!", reversed_[::-1], len(text)

        def Variants(self, value: object, by_ref: object) -> tuple[object, object]:
            if isinstance(value, int) and not isinstance(value, bool):
                extra = by_ref if isinstance(by_ref, int) else 0
                return f"I4:{value}", value * 2 + extra
            return f"other:{value!r}", value

        def SafeArrays(self, numbers: list[int], words: list[str]) -> tuple[object, object]:
            return [n * 2 for n in numbers], [sum(numbers), " ".join(words), float(len(numbers))]

        def Structs(self, point: Any, rect: Any, prect: Any, moved: Any) -> tuple[object, ...]:
            total = {
                "topLeft": {
                    "x": rect.topLeft.x + prect.topLeft.x,
                    "y": rect.topLeft.y + prect.topLeft.y,
                },
                "bottomRight": {
                    "x": rect.bottomRight.x + prect.bottomRight.x,
                    "y": rect.bottomRight.y + prect.bottomRight.y,
                },
            }
            moved_to = {"x": moved.x + point.x, "y": moved.y + point.y}
            mixed = {
                "b": 7,
                "d": point.x + 0.5,
                "s": -3,
                "tag": [ord(c) for c in "mixed"],
                "f": 1.5,
            }
            return total, moved_to, mixed

        def Named(self, named: Any) -> int:
            points = sum(named.points[i].x + named.points[i].y for i in range(named.count))
            name = ctypes.cast(named.name, ctypes.c_char_p).value or b""  # an LPCSTR field
            return len(name) + points

        def Bounds(self, k: int) -> object:
            return {"topLeft": {"x": k, "y": 2 * k}, "bottomRight": {"x": 3 * k, "y": 4 * k}}

        def Origin(self, k: int) -> object:
            return {"x": k, "y": -k}

        def Unions(self, which: int, value: Any) -> float:
            return float(value.f if which else value.i)

        def Arrays(self, fixed: list[int], count: int, items: list[int]) -> tuple[list[int], int]:
            if sum(fixed) != 10:
                raise COMError(E_INVALIDARG, "fixed must add up to 10")
            evens = [i for i in items if i % 2 == 0]
            return evens, len(evens)

        def Interfaces(self, other: Any, riid: uuid.UUID) -> tuple[object, object]:
            clone = PyTestObject()
            clone.value = other.value + 1 if other is not None else 0
            return clone, self

        def Swap(self, object_: object) -> object:
            return PyTestObject()

        def RefCount(self) -> int:
            return 1

        @property
        def Name(self) -> str:
            return self._name

        @Name.setter
        def Name(self, name: str) -> None:
            self._name = name

        def Item(self, index: int) -> int:
            if not 0 <= index < 8:
                raise COMError(E_INVALIDARG, f"no item {index}")
            return self.items[index]

        def set_Item(self, index: int, value: int) -> None:
            if not 0 <= index < 8:
                raise COMError(E_INVALIDARG, f"no item {index}")
            self.items[index] = value

        def Optional(self, a: int, b: object = None, c: int = 7) -> int:
            return a + c + (b if isinstance(b, int) and not isinstance(b, bool) else 1000)

        def Money(
            self, when: datetime.datetime, amount: decimal.Decimal, exact: decimal.Decimal
        ) -> tuple[object, object, object]:
            return when + datetime.timedelta(days=1), amount * 2, -exact

        def Raw(self, buffer: object, size: int) -> object:
            return buffer

        def Bump(self, value: int, made: object, raw: object) -> None:
            return None

    class PyDual(package.ITestDual):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self._value = 0

        @property
        def Value(self) -> int:
            return self._value

        @Value.setter
        def Value(self, value: int) -> None:
            self._value = value

        def Twice(self, x: int) -> int:
            if x < 0:
                raise COMError(E_INVALIDARG, "negative")
            return 2 * x

    class ValueSink(events.DTestEvents):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.received: list[tuple[Any, ...]] = []

        def OnValue(self, value: int, text: str, handled: ByRef[bool]) -> None:
            self.received.append(("OnValue", value, text, handled.value))
            handled.value = value % 3 == 0

        def OnObject(self, sender: object) -> None:
            self.received.append(("OnObject", sender))

        def OnNothing(self) -> None:
            self.received.append(("OnNothing",))

    class TickSink(events.ITestEvents):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.received: list[tuple[Any, ...]] = []

        def OnTick(self, n: int, label: str, doubled: ByRef[int]) -> None:
            self.received.append(("OnTick", n, label, doubled.value))
            doubled.value = 3 * n

    class PySource(package.TestSource):  # type: ignore[name-defined,misc]
        def Fire(self, value: int, text: str) -> int:
            handled = 0
            for sink in self.sinks_of(events.DTestEvents):
                flag = ByRef(False)
                sink.OnValue(value, text, flag)
                handled += bool(flag.value)
            return handled

        def Tick(self, n: int, label: str) -> int:
            total = 0
            for sink in self.sinks_of(events.ITestEvents):
                doubled = ByRef(0)
                sink.OnTick(n, label, doubled)
                total += doubled.value
            return total

        def Ping(self, sender: object) -> None:
            self.fire_event(events.DTestEvents, "OnObject", sender)
            self.fire_event(events.DTestEvents, "OnNothing")

        def SinkCount(self) -> int:
            return sum(len(p.sinks()) for p in self.EnumConnectionPoints())

    return {
        "object": PyTestObject,
        "dual": PyDual,
        "events": ValueSink,
        "ticks": TickSink,
        "source": PySource,
    }
