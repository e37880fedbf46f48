"""TF1's RNN cells as Keras 3 layers, with TF1's math and variable names.

``RNNCell`` (base contract), ``BasicRNNCell``, ``BasicLSTMCell``,
``LSTMCell``, ``GRUCell``, ``MultiRNNCell``, the wrappers ``DropoutWrapper``,
``ResidualWrapper``, ``DeviceWrapper``, ``LSTMStateTuple``, and the
``tf.contrib.rnn`` wrappers ``OutputProjectionWrapper``,
``InputProjectionWrapper`` and ``EmbeddingWrapper``, and the rest of
``tf.contrib.rnn``'s cells (``LSTMBlockCell``, ``GRUBlockCell(V2)``,
``LayerNormBasicLSTMCell``, ``NASCell``, ``CoupledInputForgetGateLSTMCell``,
``GLSTMCell``, ``UGRNNCell``, ``IntersectionRNNCell``, ``PhasedLSTMCell``,
``Conv1D/2D/3DLSTMCell``, ``AttentionCellWrapper``, ``HighwayWrapper``) and
``tf.contrib.cudnn_rnn``'s ``CudnnCompatibleLSTMCell``/``GRUCell``. Each cell works
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
from tfshare.cells.block import GRUBlockCell, GRUBlockCellV2, LSTMBlockCell
from tfshare.cells.cudnn_compatible import CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell
from tfshare.cells.layer_norm_lstm import LayerNormBasicLSTMCell
from tfshare.cells.nas import NASCell
from tfshare.cells.cifg import CoupledInputForgetGateLSTMCell
from tfshare.cells.glstm import GLSTMCell
from tfshare.cells.ugrnn import IntersectionRNNCell, UGRNNCell
from tfshare.cells.phased import PhasedLSTMCell
from tfshare.cells.conv_lstm import Conv1DLSTMCell, Conv2DLSTMCell, Conv3DLSTMCell, ConvLSTMCell
from tfshare.cells.attention_wrapper import AttentionCellWrapper
from tfshare.cells.highway import HighwayWrapper

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
    # the rest of tf.contrib.rnn and tf.contrib.cudnn_rnn's cells
    "LSTMBlockCell",
    "GRUBlockCell",
    "GRUBlockCellV2",
    "CudnnCompatibleLSTMCell",
    "CudnnCompatibleGRUCell",
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
]
