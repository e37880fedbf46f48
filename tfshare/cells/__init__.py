"""TF1's RNN cells as Keras 3 layers, with TF1's math and variable names.

``RNNCell`` (base contract), ``BasicRNNCell``, ``BasicLSTMCell``,
``LSTMCell``, ``GRUCell``, ``MultiRNNCell``, the wrappers ``DropoutWrapper``,
``ResidualWrapper``, ``DeviceWrapper``, ``LSTMStateTuple``, and the
``tf.contrib.rnn`` wrappers ``OutputProjectionWrapper``,
``InputProjectionWrapper`` and ``EmbeddingWrapper``. Each cell works
in Keras (``keras.layers.RNN``, ``tfshare.RNN``, models, ``fit``, ``.keras``
files, ``tf.train.Checkpoint``) and as a TF1 cell (TF1 drivers and programs,
variables from ``tfshare.variables``).

For writing a cell: ``CellWrapper`` (the base of every wrapper), ``WeightSpec``,
and the fused specs ``FusedLSTM`` / ``FusedGRU`` (``docs/cells.md``).
"""
from tfshare.cells.base import RNNCell, WeightSpec
from tfshare.cells.fused import FusedGRU, FusedLSTM, FusedStack
from tfshare.cells.basic_rnn import BasicRNNCell
from tfshare.cells.gru import GRUCell
from tfshare.cells.lstm import BasicLSTMCell, LSTMCell
from tfshare.cells.multi import MultiRNNCell
from tfshare.cells.state import LSTMStateTuple
from tfshare.cells.wrappers import CellWrapper, DeviceWrapper, DropoutWrapper, ResidualWrapper
from tfshare.cells.contrib import EmbeddingWrapper, InputProjectionWrapper, OutputProjectionWrapper

__all__ = [
    "RNNCell",
    "WeightSpec",
    "BasicRNNCell",
    "BasicLSTMCell",
    "LSTMCell",
    "GRUCell",
    "MultiRNNCell",
    "LSTMStateTuple",
    "DropoutWrapper",
    "ResidualWrapper",
    "DeviceWrapper",
    "OutputProjectionWrapper",
    "InputProjectionWrapper",
    "EmbeddingWrapper",
]
