"""TF1 variable sharing (``variable_scope`` / ``get_variable``) in graph and eager mode.

``get_variable("w", shape)`` inside ``variable_scope("layer")`` gets or creates
the variable ``layer/w`` in the current store, with TF1's reuse rules, names,
counters, initializer precedence and error texts (docs/variables.md). In v1 graph
mode the variables live in the graph's store and collections; in eager mode in
one process-wide store (cleared by ``reset_default_graph()``); inside a Keras
layer decorated with ``track_tf1_style_variables`` in that layer's own store.
"""
from tfshare.variables.store import VariableStore
from tfshare.variables.scope import (
    AUTO_REUSE,
    VariableScope,
    get_local_variable,
    get_variable,
    get_variable_scope,
    no_regularizer,
    variable_op_scope,
    variable_scope,
)
from tfshare.variables.access import (
    current_store,
    get_collection,
    global_variables,
    local_variables,
    reset_default_graph,
    store_scope,
    tf1_mode,
    trainable_variables,
)
from tfshare.variables.tracking import get_or_create_layer, track_tf1_style_variables

__all__ = [
    "AUTO_REUSE",
    "VariableScope",
    "VariableStore",
    "current_store",
    "get_collection",
    "get_local_variable",
    "get_or_create_layer",
    "get_variable",
    "get_variable_scope",
    "global_variables",
    "local_variables",
    "no_regularizer",
    "reset_default_graph",
    "store_scope",
    "tf1_mode",
    "track_tf1_style_variables",
    "trainable_variables",
    "variable_op_scope",
    "variable_scope",
]
