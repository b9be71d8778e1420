"""idlgen's version (one place: the package, the build and generated headers read it here)."""

__version__ = "0.1.0"
