"""Text as arrays of Unicode code points, for the steps that classify characters with
numpy lookup tables (language, quality, repair, the text-dump features)."""
from __future__ import annotations

import numpy as np


def code_points(text: str) -> np.ndarray:
    """The code points of `text` (uint32), lone surrogates included."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def every_character(limit: int = 0x110000) -> str:
    """Every code point below `limit`, in order, as one string (surrogates included): a
    regex run over it once gives a lookup table of the characters it matches."""
    return np.arange(limit, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
