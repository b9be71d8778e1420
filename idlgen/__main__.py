"""Allow ``python -m idlgen``."""

from idlgen.cli import main

raise SystemExit(main())
