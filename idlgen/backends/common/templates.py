"""Where the Jinja2 templates are: ``idlgen/templates`` in an installed package, the
``templates/`` folder beside the package in a source tree."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def load_template(name: str) -> str | None:
    """Template text from the installed package (``idlgen/templates``) or the source tree."""
    if ".." in name.replace("\\", "/").split("/"):
        return None
    try:
        res = resources.files("idlgen").joinpath("templates", name)
        if res.is_file():
            return res.read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):  # pragma: no cover - odd installs
        pass
    path = Path(__file__).resolve().parents[3] / "templates" / name
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return None
