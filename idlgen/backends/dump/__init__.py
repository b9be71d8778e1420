"""The dump backend: ``idlgen dump``, the declarations of one file as JSON (a contract) or text."""

from idlgen.backends.dump.render import dump_json, dump_json_text, dump_text

__all__ = ["dump_json", "dump_json_text", "dump_text"]
