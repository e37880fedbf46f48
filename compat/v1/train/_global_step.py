"""``get_global_step``, ``create_global_step``, ``get_or_create_global_step``.

TF's versions call TF's own ``get_variable``, which does not see tfshare's
variable scopes: inside ``variable_scope("Model")`` TF1 names the step
``Model/global_step`` (as in the PTB tutorial's checkpoints) and TF's function
under tfshare would name it ``global_step``. These create the step with
tfshare's ``get_variable`` (so the current scope applies, and eager mode gets
one step, not a new one per call); the ``GLOBAL_STEP`` collection is used as in
TF1 in graph mode.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

import tensorflow as tf

from tfshare.compat.v1 import _api

_v1 = tf.compat.v1

__all__ = ["get_global_step", "create_global_step", "get_or_create_global_step"]


class _EagerStep:
    """The eager-mode global step (eager mode has no ``GLOBAL_STEP`` collection),
    forgotten by ``reset_default_graph()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.variable: Any = None

    def get_or_create(self) -> Any:
        with self._lock:
            if self.variable is None:
                self.variable = _api.get_variable(
                    "global_step", shape=[], dtype=tf.int64,
                    initializer=_v1.zeros_initializer(), trainable=False)
            return self.variable

    def reset(self) -> None:
        with self._lock:
            self.variable = None


EAGER_STEP = _EagerStep()


def get_global_step(graph: Optional[Any] = None) -> Any:
    """The global step variable, or ``None`` if there is none."""
    if not _api.v1_graph_mode() and graph is None:
        return EAGER_STEP.variable
    graph = graph or _v1.get_default_graph()
    steps = graph.get_collection(_v1.GraphKeys.GLOBAL_STEP)
    if len(steps) > 1:
        raise TypeError("Multiple global steps in the graph collection: "
                        f"{[v.name for v in steps]}")
    return steps[0] if steps else None


def create_global_step(graph: Optional[Any] = None) -> Any:
    """Create an int64 scalar ``global_step`` (non-trainable) in the current
    variable scope. Raises ``ValueError`` if one exists."""
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    if not _api.v1_graph_mode() and graph is None:
        return EAGER_STEP.get_or_create()
    graph = graph or _v1.get_default_graph()
    with graph.as_default(), graph.name_scope(None):
        return _api.get_variable(
            _v1.GraphKeys.GLOBAL_STEP, shape=[], dtype=tf.int64,
            initializer=_v1.zeros_initializer(), trainable=False,
            collections=[_v1.GraphKeys.GLOBAL_VARIABLES, _v1.GraphKeys.GLOBAL_STEP],
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


def get_or_create_global_step(graph: Optional[Any] = None) -> Any:
    """The global step, created (in the current variable scope) if missing."""
    step = get_global_step(graph)
    if step is None:
        step = create_global_step(graph)
    return step
