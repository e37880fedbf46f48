"""Store access: ``current_store``, ``store_scope``, ``reset_default_graph``,
the variable lists (``global_variables(scope)`` ...) and ``tf1_mode``.

In v1 graph mode the lists come from the graph's collections, exactly as
``tf.compat.v1.global_variables(scope)``; elsewhere they come from the current
store. ``scope`` is a regex matched at the start of ``var.name`` (TF1's
``re.match``), so ``"conv1"`` also matches ``conv10/w``.
"""
from __future__ import annotations

import contextlib
from typing import Any

import tensorflow as tf

from tfshare.variables import _mode
from tfshare.variables.scope import CONTEXT
from tfshare.variables.store import VariableStore

__all__ = [
    "current_store",
    "get_collection",
    "store_scope",
    "reset_default_graph",
    "global_variables",
    "trainable_variables",
    "local_variables",
    "tf1_mode",
]

_GK = tf.compat.v1.GraphKeys


def current_store() -> VariableStore:
    """The ``VariableStore`` in force: an active :func:`store_scope`'s, else (v1
    graph mode) the current graph's, else the process-wide eager store."""
    return CONTEXT.current_store()


def store_scope(store: VariableStore) -> contextlib.AbstractContextManager[VariableStore]:
    """Make ``store`` the current store (with a fresh root scope) in this block.

    ``get_variable`` calls inside the block look up and create variables in
    ``store``; scope names start at the root, with fresh ``default_name``
    counters each time the block is entered.
    """
    return CONTEXT.store_scope(store)


def get_collection(key: str, scope: str | None = None) -> list[Any]:
    """TF1's ``get_collection(key, scope)`` in every mode.

    v1 graph mode: the graph's collection (``tf.compat.v1.get_collection``).
    Elsewhere: the current store's variables in collection ``key`` and, for
    ``REGULARIZATION_LOSSES``, its regularizers evaluated on the current values
    (eager mode adds TF's own eager collection). ``scope`` is a regex matched
    at the start of each item's name.
    """
    return CONTEXT.get_collection(key, scope)


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
    CONTEXT.reset_eager_state()
    tf.compat.v1.reset_default_graph()


def tf1_mode() -> bool:
    """True when TF1-style variable handling is in force.

    That is: v1 graph mode, or a tfshare ``variable_scope`` other than the
    root is entered, or a ``store_scope`` is active. Cells use it to choose
    between Keras weights and ``get_variable``.
    """
    if CONTEXT.active_store_scope() or _mode.v1_graph_mode():
        return True
    return not CONTEXT.is_root_scope()
