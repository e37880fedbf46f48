"""TF1's RNN cells as Keras 3 layers, with TF1's math and variable names.

``RNNCell`` (base contract), ``BasicRNNCell``, ``BasicLSTMCell``,
``LSTMCell``, ``GRUCell``, ``MultiRNNCell``, the wrappers ``DropoutWrapper``,
``ResidualWrapper``, ``DeviceWrapper``, ``LSTMStateTuple``, and the
``tf.contrib.rnn`` wrappers ``OutputProjectionWrapper``,
``InputProjectionWrapper`` and ``EmbeddingWrapper``. Each cell works
in Keras (``keras.layers.RNN``, models, ``fit``, ``.keras`` files) and as a TF1
cell (TF1 drivers and programs, variables from ``tfshare.variables``).
"""
from tfshare.cells.base import RNNCell, WeightSpec
from tfshare.cells.basic_rnn import BasicRNNCell
from tfshare.cells.gru import GRUCell
from tfshare.cells.lstm import BasicLSTMCell, LSTMCell
from tfshare.cells.multi import MultiRNNCell
from tfshare.cells.state import LSTMStateTuple
from tfshare.cells.wrappers import DeviceWrapper, DropoutWrapper, ResidualWrapper
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
