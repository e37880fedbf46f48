"""Attribute forwarding shared by the ``tfshare.compat.v1`` namespaces.

Each namespace module (``tfshare.compat.v1``, ``.nn``, ``.train``, ...) defines
the names it overrides and forwards every other attribute to the matching
``tensorflow.compat.v1`` namespace, so TF1 programs keep working after the
one-word import change. ``dir()`` lists both.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple


def forwarder(
    module_name: str, target: Callable[[], Any], module_globals: Dict[str, Any]
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """Return ``(__getattr__, __dir__)`` for a namespace module.

    ``target()`` returns the TF namespace to forward to (called lazily, so the
    Keras lazy loaders of TF are not triggered at import time).
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        try:
            return getattr(target(), name)
        except AttributeError as exc:
            raise AttributeError(
                f"module {module_name!r} has no attribute {name!r} "
                f"(forwarded to tensorflow.compat.v1: {exc})"
            ) from None

    def __dir__() -> List[str]:
        names = {n for n in module_globals if not n.startswith("_")}
        try:
            names.update(n for n in dir(target()) if not n.startswith("_"))
        except Exception:  # some TF lazy loaders fail on dir(); list ours only
            pass
        return sorted(names)

    return __getattr__, __dir__
