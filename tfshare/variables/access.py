"""Store access: ``current_store``, ``store_scope``, ``reset_default_graph``,
the variable lists (``global_variables(scope)`` ...) and ``tf1_mode``.

In v1 graph mode the lists come from the graph's collections, exactly as
``tf.compat.v1.global_variables(scope)``; elsewhere they come from the current
store. ``scope`` is a regex matched at the start of ``var.name`` (TF1's
``re.match``), so ``"conv1"`` also matches ``conv10/w``.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from tfshare.variables import _context
from tfshare.variables._context import current_store, store_scope

__all__ = [
    "current_store",
    "store_scope",
    "reset_default_graph",
    "global_variables",
    "trainable_variables",
    "local_variables",
    "tf1_mode",
]

_GK = tf.compat.v1.GraphKeys


def get_collection(key: str, scope: str | None = None) -> list[Any]:
    """``tf.compat.v1.get_collection(key, scope)`` in graph mode, else the store's."""
    if _context.v1_graph_mode() and not _context.active_store_scope():
        return tf.compat.v1.get_collection(key, scope)
    return current_store().get_collection(key, scope)


def global_variables(scope: str | None = None) -> list[Any]:
    """Variables in ``GLOBAL_VARIABLES`` whose name matches regex prefix ``scope``."""
    return get_collection(_GK.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Any]:
    """Variables in ``TRAINABLE_VARIABLES`` whose name matches regex prefix ``scope``."""
    return get_collection(_GK.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Any]:
    """Variables in ``LOCAL_VARIABLES`` whose name matches regex prefix ``scope``."""
    return get_collection(_GK.LOCAL_VARIABLES, scope)


def reset_default_graph() -> None:
    """Start afresh: clears the eager default store, its scopes and counters,
    and (as ``tf.compat.v1.reset_default_graph``) replaces the default graph,
    whose store and scope state go with it."""
    _context.reset_eager_state()
    tf.compat.v1.reset_default_graph()


def tf1_mode() -> bool:
    """True when TF1-style variable handling is in force.

    That is: v1 graph mode, or a tfshare ``variable_scope`` other than the
    root is entered, or a ``store_scope`` is active. Cells use it to choose
    between Keras weights and ``get_variable``.
    """
    if _context.active_store_scope() or _context.v1_graph_mode():
        return True
    state = _context.scope_state()
    return state.current is not state.root
