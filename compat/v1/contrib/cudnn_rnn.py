"""``tfshare.compat.v1.contrib.cudnn_rnn``: TF1's ``tf.contrib.cudnn_rnn``.

``CudnnLSTM``, ``CudnnGRU``, ``CudnnRNNTanh``, ``CudnnRNNRelu`` (cuDNN's math
on any device, their weights in TF1's canonical checkpoint names),
``CudnnCompatibleLSTMCell``, ``CudnnCompatibleGRUCell`` and the ``CUDNN_*``
constants. Not provided: the ``Cudnn*Saveable`` and
``CudnnParamsFormatConverter*`` classes (they convert TF1's opaque cuDNN
buffer, which tfshare does not have: the canonical weights are plain variables).
"""
from __future__ import annotations

from typing import Any

from tfshare.compat.v1 import _api

_LAYERS = ("CudnnLSTM", "CudnnGRU", "CudnnRNNTanh", "CudnnRNNRelu")
_CELLS = ("CudnnCompatibleLSTMCell", "CudnnCompatibleGRUCell")
CUDNN_RNN_UNIDIRECTION = "unidirectional"
CUDNN_RNN_BIDIRECTION = "bidirectional"
CUDNN_LSTM = "lstm"
CUDNN_GRU = "gru"
CUDNN_RNN_RELU = "rnn_relu"
CUDNN_RNN_TANH = "rnn_tanh"
CUDNN_INPUT_LINEAR_MODE = "linear_input"
CUDNN_INPUT_SKIP_MODE = "skip_input"
CUDNN_INPUT_AUTO_MODE = "auto_select"
CUDNN_LSTM_PARAMS_PER_LAYER = 8
CUDNN_GRU_PARAMS_PER_LAYER = 6
CUDNN_RNN_TANH_PARAMS_PER_LAYER = 2
CUDNN_RNN_RELU_PARAMS_PER_LAYER = 2
_CONSTANTS = tuple(n for n in list(globals()) if n.startswith("CUDNN_"))
_ABSENT = ("CudnnLSTMSaveable", "CudnnGRUSaveable", "CudnnRNNTanhSaveable",
           "CudnnRNNReluSaveable", "CudnnParamsFormatConverterLSTM",
           "CudnnParamsFormatConverterGRU", "CudnnParamsFormatConverterTanh",
           "CudnnParamsFormatConverterRelu")

__all__ = list(_LAYERS + _CELLS)
for _n in __all__:
    globals()[_n] = _api.get(_n)
__all__ += list(_CONSTANTS)


def __getattr__(name: str) -> Any:
    if name in _ABSENT:
        raise AttributeError(
            f"tfshare.compat.v1.contrib.cudnn_rnn.{name} is not available: tfshare's cuDNN "
            "layers keep their canonical weights as ordinary variables (no opaque buffer to "
            "convert); save and restore them with tf.train.Saver or tfshare.restore.")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(__all__)
