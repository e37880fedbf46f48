"""How checkpoint shapes, sizes and errors are written, in one place."""
from __future__ import annotations

import re
from typing import Any, Sequence

__all__ = ["format_shape", "first_line", "human_bytes"]


def format_shape(shape: Sequence[Any] | None) -> str:
    """``[2, 3]``; an unknown dimension is ``None`` (``[None, 3]``), an unknown
    rank ``<unknown>``, a scalar ``[]``."""
    if shape is None:
        return "<unknown>"
    return "[" + ", ".join("None" if d is None else str(int(d)) for d in shape) + "]"


_TF_NOISE = re.compile(r"^(Graph execution error:|Detected at node|Node: |File \"|\[\[\{\{node |"
                       r"Original stack trace|During handling)")


def first_line(error: BaseException) -> str:
    """The informative first line of an exception's text. TensorFlow errors
    carry pages (graph-execution banners, stack traces, node names); their
    cause line is kept, without the ``{{function_node ...}}`` and ``[Op:...]``
    decorations."""
    text = getattr(error, "message", None)
    if not isinstance(text, str):
        text = str(error)
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or _TF_NOISE.match(line):
            continue
        line = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", line)
        line = re.sub(r"\s*\[Op:\w+\]( name: \S*)?$", "", line)
        return line
    return type(error).__name__


def human_bytes(n: float) -> str:
    """``512 B``, ``1.5 KB``, ``2.0 GB`` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
