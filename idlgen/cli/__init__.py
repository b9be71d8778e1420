"""The ``idlgen`` command line: :mod:`.app` (the program and ``check``/``dump``),
:mod:`.generate` (``idlgen generate``)."""

from idlgen.cli.app import COMMANDS, Command, console_main, main

__all__ = ["COMMANDS", "Command", "console_main", "main"]
