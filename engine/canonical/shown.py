"""How a value a client sent is quoted back in an error text: short, whatever its size.

A refused value may be up to a whole 64 KiB line; an error that echoed it all would hand the
client its own garbage back and fill logs. :func:`shown` quotes ``repr(value)`` (so quotes and
control characters are visible) cut to :data:`SHOWN_MAX` characters plus ``...``.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SHOWN_MAX", "shown"]

#: Characters of a value's repr an error text quotes at most (then "...").
SHOWN_MAX: Final = 40


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """``repr(value)``, cut to ``limit`` characters followed by ``...`` when longer."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
