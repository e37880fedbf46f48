"""What TensorFlow is doing right now (internal; no tfshare state).

Pure functions of TF's own state, used by the store and the scope context:
v1 graph mode or eager, the graph a tf.function is tracing, the replica of a
``tf.distribute`` strategy.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

__all__: list = []


def v1_graph_mode() -> bool:
    """True in TF1-style graph mode (outside any eager-launched function)."""
    return not tf.compat.v1.executing_eagerly_outside_functions()


def root_graph(graph: Any = None) -> Any:
    """The outermost graph of ``graph`` (follows ``FuncGraph.outer_graph``)."""
    g = tf.compat.v1.get_default_graph() if graph is None else graph
    while getattr(g, "outer_graph", None) is not None:
        g = g.outer_graph
    return g


def current_trace_graph() -> Any:
    """The ``FuncGraph`` being traced from eager code, else ``None``."""
    if tf.executing_eagerly() or not tf.inside_function() or v1_graph_mode():
        return None
    return tf.compat.v1.get_default_graph()


def replica_id() -> int | None:
    """The replica id when running in a ``tf.distribute`` replica context
    (``strategy.run``), else ``None``."""
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return None
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return None
    rid = tf.get_static_value(ctx.replica_id_in_sync_group)
    return None if rid is None else int(rid)
