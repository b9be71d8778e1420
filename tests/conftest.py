"""Test-session settings shared by every test module."""

from __future__ import annotations

import os
import tempfile


def pytest_configure() -> None:
    """Keep the format cache of this session out of the user's home (subprocesses inherit it)."""
    if "IDLGEN_CACHE_DIR" not in os.environ:
        os.environ["IDLGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="idlgen-test-cache-")
