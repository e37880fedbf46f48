"""tfshare: TF1 recurrent cells, variable sharing and checkpoints on Keras 3.

The TF1 cells are Keras 3 layers with TF1's math and TF1's variable names;
``tfshare.variables`` reproduces ``variable_scope``/``get_variable`` sharing in
graph and eager mode; ``tfshare.rnn`` holds the TF1 drivers; and
``tfshare.checkpoint`` restores and writes weights by TF1 name.
``import tfshare.compat.v1 as tf`` is a drop-in for ``tensorflow.compat.v1``.
``tfshare.seq2seq`` holds TF1's ``contrib.seq2seq``, ``legacy_seq2seq`` and ``crf``.
"""
from tfshare import errors as _errors
from tfshare import variables as _variables
from tfshare import cells as _cells
from tfshare import rnn as _rnn
from tfshare import checkpoint as _checkpoint
from tfshare import params as _params
from tfshare import seq2seq  # noqa: F401  (tf.contrib.seq2seq / legacy_seq2seq / crf)
from tfshare import layers as _layers
from tfshare import block_fused as _block_fused
from tfshare import cudnn_rnn as _cudnn_rnn
from tfshare.errors import *  # noqa: F401,F403
from tfshare.variables import *  # noqa: F401,F403
from tfshare.cells import *  # noqa: F401,F403
from tfshare.rnn import *  # noqa: F401,F403
from tfshare.checkpoint import *  # noqa: F401,F403
from tfshare.params import *  # noqa: F401,F403
from tfshare.doctor import doctor  # noqa: E402
from tfshare.layers import *  # noqa: F401,F403
from tfshare.block_fused import *  # noqa: F401,F403
from tfshare.cudnn_rnn import CudnnGRU, CudnnLSTM, CudnnRNNRelu, CudnnRNNTanh  # noqa: F401

__version__ = "0.1.0"

__all__ = (
    list(_errors.__all__)
    + list(_variables.__all__)
    + list(_cells.__all__)
    + list(_rnn.__all__)
    + list(_checkpoint.__all__)
    + list(_params.__all__)
    + ["doctor"]
    + ["seq2seq"]
    + list(_layers.__all__)
    + list(_block_fused.__all__)
    + ["CudnnLSTM", "CudnnGRU", "CudnnRNNTanh", "CudnnRNNRelu"]
)
