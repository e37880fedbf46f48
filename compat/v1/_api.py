"""The tfshare names the compat namespaces are built on.

``compat`` uses only names exported by ``tfshare`` (``tfshare.__all__``). They
are bound here once, by name: an export that is renamed or removed makes
``import tfshare.compat.v1`` fail, instead of the namespace quietly falling
back to TF's own (non-sharing) functions.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

import tfshare as _tfshare
from tfshare import (  # noqa: F401 (re-exported to the compat modules)
    AUTO_REUSE,
    VariableScope,
    current_store,
    get_collection,
    get_local_variable,
    get_or_create_layer,
    get_variable,
    get_variable_scope,
    global_variables,
    local_variables,
    no_regularizer,
    reset_default_graph,
    tf1_mode,
    track_tf1_style_variables,
    trainable_variables,
    variable_op_scope,
    variable_scope,
)

_EXPORTED = frozenset(_tfshare.__all__)


def v1_graph_mode() -> bool:
    """True in TF1 graph mode (not eager, not only inside a ``tf.function``)."""
    return not tf.compat.v1.executing_eagerly_outside_functions()


def graph_mode() -> bool:
    """True when ops are being added to a graph (v1 graph mode or a tf.function)."""
    return not tf.executing_eagerly()


def get(name: str) -> Any:
    """``tfshare.<name>``; raises ``AttributeError`` when tfshare does not export it
    (a renamed or removed export fails at import, never falls back)."""
    if name not in _EXPORTED:
        raise AttributeError(f"tfshare does not export {name!r}; the compat namespace "
                             "needs it")
    return getattr(_tfshare, name)
