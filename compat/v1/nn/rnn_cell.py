"""``tfshare.compat.v1.nn.rnn_cell``: the TF1 RNN cells (tfshare implementations).

``BasicRNNCell``, ``BasicLSTMCell``, ``LSTMCell``, ``GRUCell``, ``MultiRNNCell``,
``DropoutWrapper``, ``ResidualWrapper``, ``DeviceWrapper``, ``LSTMStateTuple``
and the base ``RNNCell``, with TF1's math and variable names
(``rnn/basic_lstm_cell/kernel`` ...). Under Keras 3 ``tf.compat.v1.nn.rnn_cell``
has none of these, so nothing is forwarded.
"""
from __future__ import annotations

from typing import Any

from tfshare.compat.v1 import _api

CELL_NAMES = (
    "RNNCell",
    "BasicRNNCell",
    "BasicLSTMCell",
    "LSTMCell",
    "GRUCell",
    "MultiRNNCell",
    "DropoutWrapper",
    "ResidualWrapper",
    "DeviceWrapper",
    "LSTMStateTuple",
)

__all__ = list(CELL_NAMES)
for _n in __all__:
    globals()[_n] = _api.get(_n)


def __getattr__(name: str) -> Any:
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(__all__))
