"""``tfshare.compat.v1.contrib``: the commonly used parts of TF1's ``tf.contrib``.

``tf.contrib`` was removed in TF 2.0. Provided: ``contrib.rnn`` (cells,
wrappers, ``static_rnn``, ``static_bidirectional_rnn``,
``stack_bidirectional_rnn``, ``stack_bidirectional_dynamic_rnn``,
``LSTMStateTuple`` ...) and ``contrib.layers`` (``flatten``,
``xavier_initializer``, ``l1_regularizer``, ``l2_regularizer``).
"""
from tfshare.compat.v1.contrib import layers, rnn  # noqa: F401

__all__ = ["layers", "rnn"]
