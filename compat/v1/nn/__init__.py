"""``tfshare.compat.v1.nn``: ``tf.compat.v1.nn`` with TF1 RNN cells and drivers.

``rnn_cell`` holds the tfshare TF1 cells; ``static_rnn``, ``dynamic_rnn``,
``bidirectional_dynamic_rnn`` and ``static_bidirectional_rnn`` are tfshare's
drivers (TF1 scopes ``rnn``, ``bidirectional_rnn/fw|bw``; they also share
variables in eager mode). Everything else (``relu``, ``softmax``,
``sparse_softmax_cross_entropy_with_logits``, ...) is forwarded to
``tf.compat.v1.nn``.
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.nn import rnn_cell  # noqa: F401

_v1nn = _tf.compat.v1.nn
static_rnn = _api.get("static_rnn", _v1nn.static_rnn)
dynamic_rnn = _api.get("dynamic_rnn", _v1nn.dynamic_rnn)
bidirectional_dynamic_rnn = _api.get("bidirectional_dynamic_rnn", _v1nn.bidirectional_dynamic_rnn)
static_bidirectional_rnn = _api.get("static_bidirectional_rnn", _v1nn.static_bidirectional_rnn)

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.nn, globals())
