"""From generated text to files: black formatting (:mod:`.format`, the one entry point every
backend uses) and safe, atomic writing into the output directory (:mod:`.write`)."""

from idlgen.output.pysource import MARKER
from idlgen.output.write import (
    OutputError,
    OutputReport,
    generated_from,
    has_marker,
    path_problem,
    write_output,
)

__all__ = [
    "MARKER",
    "OutputError",
    "OutputReport",
    "generated_from",
    "has_marker",
    "path_problem",
    "write_output",
]
