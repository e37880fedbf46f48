"""tfshare: TF1 recurrent cells, variable sharing and checkpoints on Keras 3.

Two kinds of names live here, in two sections below:

* **TF1 emulation** -- TF1's own API, with TF1's names, arguments, variable
  names and error texts: ``variable_scope``/``get_variable`` and the variable
  store (``tfshare.variables``), the RNN cells and wrappers (``tfshare.cells``,
  including ``tf.contrib.rnn``'s and the cuDNN-compatible cells), the drivers
  ``static_rnn``, ``dynamic_rnn``, ... (``tfshare.rnn``), the cuDNN layers
  (``tfshare.cudnn_rnn``) and ``tfshare.seq2seq`` (TF1's ``contrib.seq2seq``,
  ``legacy_seq2seq`` and ``crf``, plus their Keras 3 layers).
  ``import tfshare.compat.v1 as tf`` puts them where TF1 programs look for them.
* **tfshare's own tools** -- no TF1 counterpart: ``tfshare.RNN`` (Keras'
  ``RNN`` layer with the fused fast path), checkpoints by name (``plan``,
  ``restore``, ``save``, ``freeze``, ``list_variables`` ...;
  ``tfshare.checkpoint``), parameter counts (``param_report``), ``doctor``
  (what a TF1 program needs), and the exceptions.

Modules reached by their own name and not flattened here:
``tfshare.fastpath`` (``set_fast_path_options``, the fused drivers),
``tfshare.seq2seq``, ``tfshare.cli`` (the ``tfshare`` command). See
``docs/interfaces.md``.
"""
# --------------------------------------------------------------------------
# TF1 emulation
# --------------------------------------------------------------------------

# Variable sharing: variable_scope / get_variable with TF1's rules in graph
# mode, eager mode and tf.function (docs/variables.md).
from tfshare.variables import (
    AUTO_REUSE,
    VariableScope,
    get_collection,
    get_local_variable,
    get_variable,
    get_variable_scope,
    global_variables,
    local_variables,
    no_regularizer,
    reset_default_graph,
    trainable_variables,
    variable_op_scope,
    variable_scope,
)
# ... inside Keras layers (compat.v1.keras.utils), and the store behind the scopes.
from tfshare.variables import (
    VariableStore,
    current_store,
    get_or_create_layer,
    store_scope,
    tf1_mode,
    track_tf1_style_variables,
)

# Cells (tf.nn.rnn_cell): Keras 3 layers with TF1's math and variable names
# (docs/cells.md).
from tfshare.cells import (
    BasicLSTMCell,
    BasicRNNCell,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
)
# ... their wrappers.
from tfshare.cells import DeviceWrapper, DropoutWrapper, ResidualWrapper
# ... tf.contrib.rnn's wrappers and cells (docs/cells.md §5).
from tfshare.cells import (
    AttentionCellWrapper,
    Conv1DLSTMCell,
    Conv2DLSTMCell,
    Conv3DLSTMCell,
    ConvLSTMCell,
    CoupledInputForgetGateLSTMCell,
    EmbeddingWrapper,
    GLSTMCell,
    GRUBlockCell,
    GRUBlockCellV2,
    HighwayWrapper,
    InputProjectionWrapper,
    IntersectionRNNCell,
    LayerNormBasicLSTMCell,
    LSTMBlockCell,
    NASCell,
    OutputProjectionWrapper,
    PhasedLSTMCell,
    UGRNNCell,
)
from tfshare.block_fused import LSTMBlockFusedCell
# ... tf.contrib.cudnn_rnn: the cuDNN-compatible cells and the cuDNN layers.
from tfshare.cells import CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell
from tfshare.cudnn_rnn import CudnnGRU, CudnnLSTM, CudnnRNNRelu, CudnnRNNTanh
# ... for writing a cell: the weight declaration (docs/cells.md §3).
from tfshare.cells import WeightSpec

# Drivers (tf.nn / tf.contrib.rnn), with TF1's scopes and names.
from tfshare.rnn import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    linear,
    stack_bidirectional_dynamic_rnn,
    stack_bidirectional_rnn,
    static_bidirectional_rnn,
    static_rnn,
)

# tf.contrib.seq2seq, legacy_seq2seq and crf, and their Keras 3 layers
# (docs/seq2seq.md): used as tfshare.seq2seq.<name>.
from tfshare import seq2seq

# --------------------------------------------------------------------------
# tfshare's own tools
# --------------------------------------------------------------------------

# tfshare.RNN: keras.layers.RNN running the cells' fused fast path.
from tfshare.layers import RNN

# Checkpoints by variable name: read, plan, restore, save, freeze
# (docs/checkpoints.md).
from tfshare.checkpoint import (
    AssignmentMap,
    CheckpointReader,
    Match,
    RestorePlan,
    VariableInfo,
    freeze,
    list_variables,
    load_variable,
    named_variables,
    open_checkpoint,
    plan,
    restore,
    save,
    translate_legacy_name,
    translate_legacy_names,
    variables_to_restore,
    write_checkpoint,
)

# Parameter counts with and without weight sharing.
from tfshare.params import ParamReport, ParamRow, param_report

# What a TF1 program needs, and what tfshare covers (docs/doctor.md).
from tfshare.doctor import doctor

# Errors: the base TfshareError; the others are also ValueErrors.
from tfshare.errors import CheckpointError, RestorePlanError, TfshareError, VariableSharingError

__version__ = "0.1.0"

__all__ = [
    # TF1 emulation: variables
    "AUTO_REUSE", "VariableScope", "get_collection", "get_local_variable", "get_variable",
    "get_variable_scope", "global_variables", "local_variables", "no_regularizer",
    "reset_default_graph", "trainable_variables", "variable_op_scope", "variable_scope",
    "VariableStore", "current_store", "get_or_create_layer", "store_scope", "tf1_mode",
    "track_tf1_style_variables",
    # TF1 emulation: cells
    "BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "LSTMStateTuple", "MultiRNNCell",
    "RNNCell", "DeviceWrapper", "DropoutWrapper", "ResidualWrapper",
    "AttentionCellWrapper", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
    "ConvLSTMCell", "CoupledInputForgetGateLSTMCell", "EmbeddingWrapper", "GLSTMCell",
    "GRUBlockCell", "GRUBlockCellV2", "HighwayWrapper", "InputProjectionWrapper",
    "IntersectionRNNCell", "LayerNormBasicLSTMCell", "LSTMBlockCell", "NASCell",
    "OutputProjectionWrapper", "PhasedLSTMCell", "UGRNNCell", "LSTMBlockFusedCell",
    "CudnnCompatibleGRUCell", "CudnnCompatibleLSTMCell",
    "CudnnGRU", "CudnnLSTM", "CudnnRNNRelu", "CudnnRNNTanh",
    "WeightSpec",
    # TF1 emulation: drivers, seq2seq
    "bidirectional_dynamic_rnn", "dynamic_rnn", "linear", "stack_bidirectional_dynamic_rnn",
    "stack_bidirectional_rnn", "static_bidirectional_rnn", "static_rnn",
    "seq2seq",
    # tfshare's own tools
    "RNN",
    "AssignmentMap", "CheckpointReader", "Match", "RestorePlan", "VariableInfo", "freeze",
    "list_variables", "load_variable", "named_variables", "open_checkpoint", "plan",
    "restore", "save", "translate_legacy_name", "translate_legacy_names",
    "variables_to_restore", "write_checkpoint",
    "ParamReport", "ParamRow", "param_report",
    "doctor",
    "CheckpointError", "RestorePlanError", "TfshareError", "VariableSharingError",
]
