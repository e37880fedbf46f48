"""``tfshare.compat.v1.nn``: ``tf.compat.v1.nn`` with TF1 RNN cells and drivers.

``rnn_cell`` holds the tfshare TF1 cells; ``static_rnn``, ``dynamic_rnn``,
``bidirectional_dynamic_rnn`` and ``static_bidirectional_rnn`` are tfshare's
drivers (TF1 scopes ``rnn``, ``bidirectional_rnn/fw|bw``; they also share
variables in eager mode). Everything else (``relu``, ``softmax``,
``sparse_softmax_cross_entropy_with_logits``, ...) is forwarded to
``tf.compat.v1.nn``.
"""
from __future__ import annotations

from typing import Any

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.nn import rnn_cell  # noqa: F401

from tfshare import (  # noqa: F401 (tfshare's drivers)
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)

_v1nn = _tf.compat.v1.nn



def raw_rnn(cell: Any, loop_fn: Any, parallel_iterations: Any = None, swap_memory: bool = False,
            scope: Any = None) -> Any:
    """TF's ``raw_rnn`` run inside tfshare's ``variable_scope(scope or "rnn")``.

    TF's driver opens TF's own scope, which tfshare cells do not see; entering
    the tfshare scope first gives the TF1 names (``rnn/lstm_cell/kernel``).
    """
    with _api.variable_scope(scope or "rnn") as vs:
        return _v1nn.raw_rnn(cell, loop_fn, parallel_iterations=parallel_iterations,
                             swap_memory=swap_memory, scope=vs.name.split("/")[-1])


def static_state_saving_rnn(cell: Any, inputs: Any, state_saver: Any, state_name: Any,
                            sequence_length: Any = None, scope: Any = None) -> Any:
    """TF's ``static_state_saving_rnn`` inside tfshare's ``variable_scope(scope or "rnn")``
    (so tfshare cells get TF1's names, as with :func:`raw_rnn`)."""
    with _api.variable_scope(scope or "rnn") as vs:
        return _v1nn.static_state_saving_rnn(cell, inputs, state_saver, state_name,
                                             sequence_length=sequence_length,
                                             scope=vs.name.split("/")[-1])


__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.nn, globals())
