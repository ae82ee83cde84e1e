"""peaje: the toll of crossing from Python into native code, in-process vs remote.

>>> import peaje
>>> peaje.engine("native").search("range:100000", [66666])
[66666]
"""

from peaje.engine import ENGINES, Engine, engine
from peaje.errors import (
    DeadlineExceeded,
    InvalidArgument,
    Overloaded,
    PeajeError,
    TooLarge,
    Unavailable,
)

__all__ = [
    "ENGINES",
    "DeadlineExceeded",
    "Engine",
    "InvalidArgument",
    "Overloaded",
    "PeajeError",
    "TooLarge",
    "Unavailable",
    "engine",
]
