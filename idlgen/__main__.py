"""Allow ``python -m idlgen``."""

from idlgen.cli import console_main

console_main()
