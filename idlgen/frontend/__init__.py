"""The front end: IDL text in, a resolved :class:`Program` out.

preprocess (:mod:`.preprocess`) → parse (:mod:`.parser` driving Lark, :mod:`.transform` building
the model) → resolve (:mod:`.resolve`; WinRT signatures in :mod:`.winrt`), tied together per
file and per import by :mod:`.loader`.
"""

from idlgen.frontend.loader import (
    BUILTIN_INCLUDE_DIR,
    Loader,
    MacroOp,
    Program,
    load,
)
from idlgen.inputfiles import MAX_SOURCE_BYTES

__all__ = ["BUILTIN_INCLUDE_DIR", "MAX_SOURCE_BYTES", "Loader", "MacroOp", "Program", "load"]
