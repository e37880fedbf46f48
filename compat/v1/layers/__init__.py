"""``tfshare.compat.v1.layers``: TF1 ``tf.layers`` on ``get_variable``/``variable_scope``.

Keras 3 removed every ``tf.compat.v1.layers`` symbol. These re-implement the
common ones with TF1's variable names, scope capture, uniquification and
``reuse`` rules (docs/variables.md §5), in graph and eager mode:
``dense``/``Dense``, ``dropout``/``Dropout``, ``flatten``/``Flatten``,
``conv1d/2d/3d``, ``conv2d_transpose``/``conv3d_transpose``,
``separable_conv1d/2d``, ``max_pooling1d/2d/3d``, ``average_pooling1d/2d/3d``
(and their classes), ``batch_normalization``/``BatchNormalization``, ``Layer``,
``InputSpec``: every name TF 1.15's ``tf.layers`` has except ``experimental``,
which is forwarded to ``tf.compat.v1.layers`` (under Keras 3 it raises
``experimental is not available with Keras 3``).
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.layers._base import InputSpec, Layer
from tfshare.compat.v1.layers.convolutional import (
    Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, SeparableConv1D, SeparableConv2D,
    conv1d, conv2d, conv2d_transpose, conv3d, conv3d_transpose, separable_conv1d,
    separable_conv2d)
from tfshare.compat.v1.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from tfshare.compat.v1.layers.normalization import BatchNormalization, batch_normalization
from tfshare.compat.v1.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D,
    MaxPooling3D, average_pooling1d, average_pooling2d, average_pooling3d, max_pooling1d,
    max_pooling2d, max_pooling3d)

# aliases defined (not exported) by TF1's tf.layers modules
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D

__all__ = [
    "Layer", "InputSpec", "Dense", "dense", "Dropout", "dropout", "Flatten", "flatten",
    "Conv1D", "conv1d", "Conv2D", "conv2d", "Conv3D", "conv3d",
    "Conv2DTranspose", "conv2d_transpose", "Conv3DTranspose", "conv3d_transpose",
    "SeparableConv1D", "separable_conv1d", "SeparableConv2D", "separable_conv2d",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose",
    "MaxPooling1D", "max_pooling1d", "MaxPooling2D", "max_pooling2d",
    "MaxPooling3D", "max_pooling3d", "AveragePooling1D", "average_pooling1d",
    "AveragePooling2D", "average_pooling2d", "AveragePooling3D", "average_pooling3d",
    "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
    "BatchNormalization", "batch_normalization",
]

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.layers, globals())
