"""A Python implementation of the Greeter COM object, on the bindings generated at build time."""

from __future__ import annotations

import greeter


class PythonGreeter(greeter.Greeter):
    """Implements IGreeter; fires DGreeterEvents.OnGreeted to the advised sinks."""

    def __init__(self) -> None:
        super().__init__()
        self._count = 0

    def Greet(self, name: str) -> str:
        self._count += 1
        self.fire_event(greeter.DGreeterEvents, "OnGreeted", name)
        return f"Hello, {name}!"

    @property
    def Count(self) -> int:
        return self._count

    @property
    def State(self) -> greeter.GREETER_STATE:
        return greeter.GS_GREETED if self._count else greeter.GS_IDLE
