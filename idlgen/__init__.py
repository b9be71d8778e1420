"""idlgen: read MIDL (COM IDL) and generate typed Python from it."""

__version__ = "0.1.0"
