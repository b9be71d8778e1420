"""Allow ``python -m idlgen``."""

from idlgen.cli.app import console_main

if __name__ == "__main__":
    console_main()
