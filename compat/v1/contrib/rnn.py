"""``tfshare.compat.v1.contrib.rnn``: TF1's ``tf.contrib.rnn`` names that tfshare provides.

Cells and wrappers (the same classes as ``nn.rnn_cell``), the contrib
cells (``LSTMBlockCell``, ``LSTMBlockFusedCell``, ``GRUBlockCell(V2)``,
``LayerNormBasicLSTMCell``, ``NASCell``, ``CoupledInputForgetGateLSTMCell``,
``GLSTMCell``, ``UGRNNCell``, ``IntersectionRNNCell``, ``PhasedLSTMCell``,
``Conv1D/2D/3DLSTMCell``) and wrappers (``AttentionCellWrapper``,
``HighwayWrapper``, the projection and embedding wrappers), ``LSTMStateTuple``,
``static_rnn``, ``static_bidirectional_rnn``, ``static_state_saving_rnn``,
``stack_bidirectional_rnn`` and ``stack_bidirectional_dynamic_rnn``.
"""
from __future__ import annotations

from typing import Any

from tfshare.compat.v1 import _api
from tfshare.compat.v1.nn import rnn_cell as _rnn_cell
from tfshare.compat.v1.nn import static_state_saving_rnn

_TFSHARE_NAMES = (
    "static_rnn",
    "static_bidirectional_rnn",
    "stack_bidirectional_rnn",
    "stack_bidirectional_dynamic_rnn",
    "OutputProjectionWrapper",
    "InputProjectionWrapper",
    "EmbeddingWrapper",
    "LSTMBlockCell",
    "LSTMBlockFusedCell",
    "GRUBlockCell",
    "GRUBlockCellV2",
    "LayerNormBasicLSTMCell",
    "NASCell",
    "CoupledInputForgetGateLSTMCell",
    "GLSTMCell",
    "UGRNNCell",
    "IntersectionRNNCell",
    "PhasedLSTMCell",
    "ConvLSTMCell",
    "Conv1DLSTMCell",
    "Conv2DLSTMCell",
    "Conv3DLSTMCell",
    "AttentionCellWrapper",
    "HighwayWrapper",
)

__all__ = ["static_state_saving_rnn"]
for _n in _rnn_cell.__all__:
    globals()[_n] = getattr(_rnn_cell, _n)
    __all__.append(_n)
for _n in _TFSHARE_NAMES:
    globals()[_n] = _api.get(_n)
    __all__.append(_n)


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r} (tf.contrib was removed in "
        "TF 2; tfshare provides only the names listed in its __all__)"
    )


def __dir__() -> list:
    return sorted(__all__)
