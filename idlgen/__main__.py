"""Allow ``python -m idlgen``."""

from idlgen.cli.app import console_main

console_main()
