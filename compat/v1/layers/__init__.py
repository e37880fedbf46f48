"""``tfshare.compat.v1.layers``: TF1 ``tf.layers`` on ``get_variable``/``variable_scope``.

Keras 3 removed every ``tf.compat.v1.layers`` symbol. These re-implement the
common ones with TF1's variable names, scope capture, uniquification and
``reuse`` rules (reference §4), in graph and eager mode:
``dense``/``Dense``, ``dropout``/``Dropout``, ``flatten``/``Flatten``,
``conv1d``/``Conv1D``, ``conv2d``/``Conv2D``, ``conv2d_transpose``/``Conv2DTranspose``,
``max_pooling1d/2d``, ``average_pooling1d/2d`` (and classes),
``batch_normalization``/``BatchNormalization``, ``Layer``, ``InputSpec``.
Other names are forwarded to ``tf.compat.v1.layers`` (which under Keras 3 raises
``X is not available with Keras 3``).
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.layers._base import InputSpec, Layer
from tfshare.compat.v1.layers.convolutional import (
    Conv1D, Conv2D, Conv2DTranspose, conv1d, conv2d, conv2d_transpose)
from tfshare.compat.v1.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from tfshare.compat.v1.layers.normalization import BatchNormalization, batch_normalization
from tfshare.compat.v1.layers.pooling import (
    AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D, average_pooling1d,
    average_pooling2d, max_pooling1d, max_pooling2d)

# TF1 aliases
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D

__all__ = [
    "Layer", "InputSpec", "Dense", "dense", "Dropout", "dropout", "Flatten", "flatten",
    "Conv1D", "conv1d", "Conv2D", "conv2d", "Conv2DTranspose", "conv2d_transpose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose",
    "MaxPooling1D", "max_pooling1d", "MaxPooling2D", "max_pooling2d",
    "AveragePooling1D", "average_pooling1d", "AveragePooling2D", "average_pooling2d",
    "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
    "BatchNormalization", "batch_normalization",
]

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.layers, globals())
