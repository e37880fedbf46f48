"""Attribute forwarding shared by the ``tfshare.compat.v1`` namespaces.

Each namespace module (``tfshare.compat.v1``, ``.nn``, ``.train``, ...) defines
the names it overrides and forwards every other attribute to the matching
``tensorflow.compat.v1`` namespace, so TF1 programs keep working after the
one-word import change. ``dir()`` lists both. TF's module metadata
(``__version__``, ``__git_version__``, ``__compiler_version__``, ...) is forwarded
too; the import machinery's dunders (``__file__``, ``__path__``, ``__spec__``,
``__all__``, ...) are the namespace module's own.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

#: Dunders that belong to each module itself, never forwarded.
_OWN_DUNDERS = frozenset({
    "__all__", "__builtins__", "__cached__", "__doc__", "__file__", "__loader__", "__name__",
    "__package__", "__path__", "__spec__", "__getattr__", "__dir__", "__dict__",
})


def forwarder(
    module_name: str, target: Callable[[], Any], module_globals: Dict[str, Any]
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """Return ``(__getattr__, __dir__)`` for a namespace module.

    ``target()`` returns the TF namespace to forward to (called lazily, so the
    Keras lazy loaders of TF are not triggered at import time).
    """

    def __getattr__(name: str) -> Any:
        if name in _OWN_DUNDERS:
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
