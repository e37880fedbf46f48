"""The tfshare names the compat namespaces are built on.

``compat`` may use only names exported by ``tfshare`` (``tfshare.__all__``).
Each name is taken from tfshare when it is exported; a few fall back to the
TF-core ``tensorflow.compat.v1`` equivalent (which is exact in graph mode), so
the namespace stays usable while parts of tfshare are missing.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

import tfshare as _tfshare

_v1 = tf.compat.v1
_EXPORTED = set(getattr(_tfshare, "__all__", ()))


def has(name: str) -> bool:
    """True when ``tfshare`` exports ``name``."""
    return name in _EXPORTED


def get(name: str, fallback: Any = None) -> Any:
    """``tfshare.<name>`` if exported, else ``fallback``."""
    if name in _EXPORTED:
        return getattr(_tfshare, name)
    return fallback


variable_scope = get("variable_scope", _v1.variable_scope)
get_variable = get("get_variable", _v1.get_variable)
get_variable_scope = get("get_variable_scope", _v1.get_variable_scope)
get_local_variable = get("get_local_variable", _v1.get_local_variable)
VariableScope = get("VariableScope", _v1.VariableScope)
AUTO_REUSE = get("AUTO_REUSE", _v1.AUTO_REUSE)
global_variables = get("global_variables", _v1.global_variables)
trainable_variables = get("trainable_variables", _v1.trainable_variables)
local_variables = get("local_variables", _v1.local_variables)
current_store = get("current_store")


def tf1_mode() -> bool:
    """tfshare's ``tf1_mode()``; without it: v1 graph mode."""
    fn = get("tf1_mode")
    if fn is not None:
        return bool(fn())
    return not _v1.executing_eagerly_outside_functions()


def graph_mode() -> bool:
    """True when ops are being added to a graph (v1 graph mode or a tf.function)."""
    return not tf.executing_eagerly()


def reset_default_graph() -> None:
    """Clear tfshare's eager store, counters and scopes, then TF's default graph."""
    fn = get("reset_default_graph")
    if fn is not None:
        fn()
    _v1.reset_default_graph()
