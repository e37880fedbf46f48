"""How checkpoint shapes, sizes and errors are written, in one place."""
from __future__ import annotations

from typing import Any, Sequence

__all__ = ["format_shape", "first_line", "human_bytes"]


def format_shape(shape: Sequence[Any] | None) -> str:
    """``[2, 3]``; an unknown dimension is ``None`` (``[None, 3]``), an unknown
    rank ``<unknown>``, a scalar ``[]``."""
    if shape is None:
        return "<unknown>"
    return "[" + ", ".join("None" if d is None else str(int(d)) for d in shape) + "]"


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's text (TF errors carry pages)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def human_bytes(n: float) -> str:
    """``512 B``, ``1.5 KB``, ``2.0 GB`` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
