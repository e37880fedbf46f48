"""``CudnnLSTM``, ``CudnnGRU``, ``CudnnRNNTanh``, ``CudnnRNNRelu``: TF1's
``tf.contrib.cudnn_rnn`` layers with cuDNN's math, on any device.

TF1's layers kept their weights in one opaque cuDNN buffer and wrote them to
checkpoints in a *canonical* form: per layer and direction, the variables of
the ``CudnnCompatible*`` cells of a ``MultiRNNCell`` in ``dynamic_rnn`` (or of
``stack_bidirectional_dynamic_rnn``), inside the layer's scope::

    cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/kernel
    cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/bias
    cudnn_gru/stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/cudnn_compatible_gru_cell/gates/kernel
    cudnn_rnn_tanh/rnn/multi_rnn_cell/cell_1/basic_rnn_cell/kernel

Here those canonical weights *are* the layer's variables (TF1 mode) or Keras
weights (whose paths are the same names), and the layer runs exactly that
stack of compatible cells, one layer after the other (the LSTM in tfshare's
fused kernel). So a checkpoint of a TF1 ``CudnnLSTM`` restores into it by
name (``tf.train.Saver``, ``tfshare.restore``), and into the compatible cells.
A TF1 checkpoint also holds ``<layer>/opaque_kernel`` (the cuDNN buffer, in
a device-specific layout); it is not read, and the checkpoints written here do
not contain it.
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare import rnn as _rnn
from tfshare import variables as tfvars
from tfshare._shapes import static_axis, static_shape
from tfshare.cells import (BasicRNNCell, CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell,
                           LSTMStateTuple)
from tfshare.cells.weights import WeightTree
from tfshare.cells._args import (check_positive_int, get_initializer, serialize_initializer,
                                 snake_case)

__all__ = ["CudnnLSTM", "CudnnGRU", "CudnnRNNTanh", "CudnnRNNRelu",
           "CUDNN_RNN_UNIDIRECTION", "CUDNN_RNN_BIDIRECTION", "CUDNN_LSTM", "CUDNN_GRU",
           "CUDNN_RNN_RELU", "CUDNN_RNN_TANH", "CUDNN_INPUT_LINEAR_MODE",
           "CUDNN_INPUT_SKIP_MODE", "CUDNN_INPUT_AUTO_MODE"]

CUDNN_RNN_UNIDIRECTION = "unidirectional"
CUDNN_RNN_BIDIRECTION = "bidirectional"
CUDNN_LSTM = "lstm"
CUDNN_GRU = "gru"
CUDNN_RNN_RELU = "rnn_relu"
CUDNN_RNN_TANH = "rnn_tanh"
CUDNN_INPUT_LINEAR_MODE = "linear_input"
CUDNN_INPUT_SKIP_MODE = "skip_input"
CUDNN_INPUT_AUTO_MODE = "auto_select"

_FLOATS = (tf.float16, tf.float32, tf.float64)


# --------------------------------------------------------------------------- initializers
class _Canonical(keras.initializers.Initializer):
    """A canonical weight drawn as cuDNN's layer draws its parts.

    TF1's layer called ``kernel_initializer`` once per cuDNN weight matrix
    (``[units, rows]`` for each gate and each of the input and recurrent
    parts) and ``bias_initializer`` once per cuDNN bias vector (two per gate);
    the canonical kernel stacks the transposed matrices (rows: input then
    recurrent; columns: gates), the canonical bias sums the two vectors of a
    gate. ``rows`` is ``None`` for a bias; ``terms`` is how many vectors a
    gate's bias sums.
    """

    def __init__(self, base: Any, gates: int, rows: Optional[tuple] = None, terms: int = 2):
        self.base, self.gates, self.rows, self.terms = base, gates, rows, terms

    def __call__(self, shape, dtype=None):
        units = int(shape[-1]) // self.gates
        if self.rows is None:
            parts = [sum(self.base([units], dtype=dtype) for _ in range(self.terms))
                     for _ in range(self.gates)]
            return tf.concat(parts, 0)
        columns = [tf.concat([tf.transpose(self.base([units, r], dtype=dtype)) for r in self.rows],
                             0) for _ in range(self.gates)]
        return tf.concat(columns, 1)


class _CanonicalInit:
    """Mixin for the layer's cells: their weights initialized as cuDNN's
    (``_inits(depth)`` maps a TF1 local name to its initializer)."""

    def weight_specs(self, input_depth):
        inits = self._inits(input_depth)
        return [dataclasses.replace(s, initializer=inits[s.path])
                for s in super().weight_specs(input_depth)]


class _LSTM(_CanonicalInit, CudnnCompatibleLSTMCell):
    def _inits(self, depth):
        k, b, n = self._cudnn_kernel, self._cudnn_bias, self._num_units
        return {"kernel": _Canonical(k, 4, (depth, n)), "bias": _Canonical(b, 4)}


class _GRU(_CanonicalInit, CudnnCompatibleGRUCell):
    def _inits(self, depth):
        k, b, n = self._cudnn_kernel, self._cudnn_bias, self._num_units
        return {"gates/kernel": _Canonical(k, 2, (depth, n)), "gates/bias": _Canonical(b, 2),
                "candidate/input_projection/kernel": _Canonical(k, 1, (depth,)),
                "candidate/hidden_projection/kernel": _Canonical(k, 1, (n,)),
                "candidate/input_projection/bias": _Canonical(b, 1, terms=1),
                "candidate/hidden_projection/bias": _Canonical(b, 1, terms=1)}


class _Basic(_CanonicalInit, BasicRNNCell):
    def _inits(self, depth):
        k, b, n = self._cudnn_kernel, self._cudnn_bias, self._num_units
        return {"kernel": _Canonical(k, 1, (depth, n)), "bias": _Canonical(b, 1)}


# --------------------------------------------------------------------------- the layers
class _CudnnRNN(keras.layers.Layer):
    """Base of the cuDNN layers (TF1's ``_CudnnRNN``); see the module docstring.

    Args:
      num_layers: number of stacked layers.
      num_units: units of every layer.
      input_mode: ``"linear_input"`` (the default, the only mode the
        canonical format describes) or ``"auto_select"`` with an input depth
        other than ``num_units``; ``"skip_input"`` raises ``NotImplementedError``.
      direction: ``"unidirectional"`` or ``"bidirectional"`` (each layer then
        runs both directions and feeds their concatenation to the next).
      dropout: dropout rate on the inputs of layers 1.. (when ``training``).
      seed: op seed of that dropout.
      dtype: ``tf.float16``, ``tf.float32`` (default) or ``tf.float64``.
      kernel_initializer: called once per cuDNN weight matrix
        (``[units, rows]``), default glorot-uniform.
      bias_initializer: called once per cuDNN bias vector (two per gate,
        summed in the canonical bias), default zeros.
      name: layer and variable-scope name (default the snake_case class name,
        ``cudnn_lstm``; uniquified in TF1 mode as TF1 did).
    """

    _rnn_mode: str = ""
    _cell_cls: Any = None

    def __init__(self, num_layers: int, num_units: int, input_mode: str = CUDNN_INPUT_LINEAR_MODE,
                 direction: str = CUDNN_RNN_UNIDIRECTION, dropout: float = 0.0,
                 seed: Optional[int] = None, dtype: Any = tf.float32,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 name: Optional[str] = None, **kwargs):
        if direction not in (CUDNN_RNN_UNIDIRECTION, CUDNN_RNN_BIDIRECTION):
            raise ValueError(f"Invalid direction: {direction}, expecting "
                             f"{CUDNN_RNN_UNIDIRECTION} or {CUDNN_RNN_BIDIRECTION}")
        if input_mode not in (CUDNN_INPUT_LINEAR_MODE, CUDNN_INPUT_SKIP_MODE,
                              CUDNN_INPUT_AUTO_MODE):
            raise ValueError(f"Invalid input_mode: {input_mode}, expect one of "
                             f"({CUDNN_INPUT_LINEAR_MODE}, {CUDNN_INPUT_SKIP_MODE}, "
                             f"{CUDNN_INPUT_AUTO_MODE})")
        plain = tf.as_dtype(dtype) if isinstance(dtype, (str, tf.DType)) else dtype
        if plain not in _FLOATS:
            raise ValueError(f"Only support float16, float32, float64, provided {dtype}")
        self._tf1_name = name or snake_case(type(self).__name__)
        super().__init__(name=self._tf1_name, dtype=plain.name, **kwargs)
        self._plain_dtype = plain
        self._num_layers = check_positive_int("num_layers", num_layers)
        self._num_units = check_positive_int("num_units", num_units)
        self._input_mode = input_mode
        self._direction = direction
        self._dropout = float(dropout)
        self._seed = seed
        self._kernel_initializer = get_initializer(kernel_initializer)
        self._bias_initializer = get_initializer(bias_initializer)
        self._input_size: Optional[int] = None
        self._tf1: Optional[bool] = None
        self._tf1_scope = None
        kernel = self._kernel_initializer or keras.initializers.GlorotUniform(seed=seed)
        bias = self._bias_initializer or keras.initializers.Zeros()
        self._cells = [self._make_cell(kernel, bias) for _ in range(self._num_layers * self.num_dirs)]
        self._weight_tree = WeightTree()  # the cells in TF's object graph, at their scopes
        for k in range(self._num_layers):
            for d, cell in enumerate(self._cells_of(k)):
                self._weight_tree.put("/".join(self._levels(k, d)), cell)

    def _make_cell(self, kernel: Any, bias: Any) -> Any:
        cell = self._cell_cls(self._num_units, **self._cell_kwargs())
        cell._cudnn_kernel, cell._cudnn_bias = kernel, bias
        return cell

    def _cell_kwargs(self) -> dict:
        return {"dtype": self._plain_dtype.name}

    # -- TF1's properties
    @property
    def num_layers(self) -> int:
        return self._num_layers

    @property
    def num_units(self) -> int:
        return self._num_units

    @property
    def input_mode(self) -> str:
        return self._input_mode

    @property
    def input_size(self) -> int:
        if not self._input_size:
            raise ValueError("'input_size' is unknown since layer has not been built.")
        return self._input_size

    @property
    def rnn_mode(self) -> str:
        return self._rnn_mode

    @property
    def direction(self) -> str:
        return self._direction

    @property
    def num_dirs(self) -> int:
        return 1 if self._direction == CUDNN_RNN_UNIDIRECTION else 2

    @property
    def saveable(self) -> None:
        """None: the canonical weights are ordinary variables here (TF1 had an
        opaque buffer and a saveable converting it)."""
        return None

    @property
    def cells(self) -> list:
        """The compatible cells holding the weights: layer by layer, forward
        then backward."""
        return list(self._cells)

    def state_shape(self, batch_size: Any) -> tuple:
        """Shapes of the initial state tensors: ``[num_layers · num_dirs,
        batch_size, num_units]`` (two for ``CudnnLSTM``: ``h`` and ``c``)."""
        shape = [self._num_layers * self.num_dirs, batch_size, self._num_units]
        return (shape, list(shape)) if self._rnn_mode == CUDNN_LSTM else (shape,)

    # -- building
    def _layer_inputs(self, input_size: int) -> list:
        width = self._num_units * self.num_dirs
        return [input_size] + [width] * (self._num_layers - 1)

    def _check_input_size(self, input_shape) -> int:
        shape = tuple(static_shape(tf.TensorShape(input_shape)) or ())
        if len(shape) != 3:
            raise ValueError(f"Expecting input_shape with 3 dims, got {len(shape)}")
        if shape[-1] is None:
            raise ValueError("The last dimension of the inputs to `CudnnRNN` should be defined. "
                             "Found `None`.")
        depth = int(shape[-1])
        if self._input_mode == CUDNN_INPUT_SKIP_MODE or (
                self._input_mode == CUDNN_INPUT_AUTO_MODE and depth == self._num_units):
            raise NotImplementedError(
                f"{type(self).__name__} with input_mode={self._input_mode!r} (cuDNN's skip "
                "input: the input added to each gate without a weight matrix) has no "
                "canonical-format equivalent; use input_mode='linear_input'.")
        self._input_size = depth
        return depth

    def build(self, input_shape):
        """Keras mode: each cell's weights at its canonical path."""
        if self._tf1:
            raise ValueError(f"{type(self).__name__} '{self.name}' was first called in TF1 mode; "
                             "it cannot also be built as a Keras layer.")
        self._tf1 = False
        depth = self._check_input_size(input_shape)
        for k, width in enumerate(self._layer_inputs(depth)):
            for d, cell in enumerate(self._cells_of(k)):
                with self._keras_path(k, d):
                    cell.build((None, width))

    def _levels(self, layer: int, direction: int) -> list:
        """The scope levels of a cell inside the layer's scope (canonical names)."""
        if self._direction == CUDNN_RNN_UNIDIRECTION:
            return ["rnn", "multi_rnn_cell", f"cell_{layer}"]
        return ["stack_bidirectional_rnn", f"cell_{layer}", "bidirectional_rnn",
                ("fw", "bw")[direction]]

    def _keras_path(self, layer: int, direction: int):
        stack = contextlib.ExitStack()
        for level in self._levels(layer, direction):
            stack.enter_context(keras.name_scope(level))
        return stack

    def _cells_of(self, layer: int) -> list:
        n = self.num_dirs
        return self._cells[layer * n:(layer + 1) * n]

    # -- calling
    def __call__(self, inputs, initial_state=None, sequence_lengths=None, time_major=True,
                 training=None, **kwargs):
        if self._tf1 is None:
            self._tf1 = bool(tfvars.tf1_mode())
        if not self._tf1:
            if training is not None:  # else Keras' context (fit, predict), else True
                kwargs["training"] = training
            return super().__call__(inputs, initial_state=initial_state,
                                    sequence_lengths=sequence_lengths, time_major=time_major,
                                    **kwargs)
        training = True if training is None else training
        if self._tf1_scope is None:
            with tfvars.variable_scope(None, default_name=self._tf1_name) as scope:
                self._tf1_scope = scope
                return self.call(inputs, initial_state, sequence_lengths, time_major, training)
        with tfvars.variable_scope(self._tf1_scope, reuse=True):
            return self.call(inputs, initial_state, sequence_lengths, time_major, training)

    def call(self, inputs, initial_state=None, sequence_lengths=None, time_major=True,
             training=True):
        """Run the layers; returns ``(outputs, states)`` as TF1 did: outputs
        ``[time, batch, num_dirs·num_units]`` (batch-major without
        ``time_major``), states ``(h, c)`` for ``CudnnLSTM`` and ``(h,)``
        otherwise, each ``[num_layers·num_dirs, batch, num_units]``
        (``[batch, num_layers·num_dirs, num_units]`` without ``time_major``).
        """
        if initial_state is not None and not isinstance(initial_state, tuple):
            raise TypeError(f"Invalid initial_state type: {initial_state}, expecting tuple.")
        x = tf.convert_to_tensor(inputs, dtype=self._plain_dtype)
        if self._input_size is None:
            self._check_input_size(x.shape)
        if not time_major:
            x = tf.transpose(x, [1, 0, 2])
        batch = static_axis(x, 1)
        batch = batch if batch is not None else tf.shape(x)[1]
        h0, c0 = self._initial(initial_state, batch, time_major)
        seq = None if sequence_lengths is None else tf.convert_to_tensor(sequence_lengths)
        hs, cs = [], []
        for k in range(self._num_layers):
            if k > 0 and self._dropout > 0 and training:
                x = tf.nn.dropout(x, rate=self._dropout, seed=self._seed)
            x = self._run_layer(k, x, seq, h0, c0, hs, cs)
        h = tf.stack(hs)
        c = tf.stack(cs) if cs else None
        if not time_major:
            x = tf.transpose(x, [1, 0, 2])
            h = tf.transpose(h, [1, 0, 2])
            c = None if c is None else tf.transpose(c, [1, 0, 2])
        return x, ((h, c) if self._rnn_mode == CUDNN_LSTM else (h,))

    def _initial(self, initial_state, batch, time_major):
        if initial_state is None:
            zeros = tf.zeros([self._num_layers * self.num_dirs, batch, self._num_units],
                             self._plain_dtype)
            return zeros, zeros
        if self._rnn_mode == CUDNN_LSTM:
            h, c = initial_state
        else:
            (h,), c = initial_state, None
        h = tf.convert_to_tensor(h, dtype=self._plain_dtype)
        c = None if c is None else tf.convert_to_tensor(c, dtype=self._plain_dtype)
        if not time_major:
            h = tf.transpose(h, [1, 0, 2])
            c = None if c is None else tf.transpose(c, [1, 0, 2])
        return h, c

    def _state(self, h0, c0, index: int) -> Any:
        if self._rnn_mode == CUDNN_LSTM:
            return LSTMStateTuple(c0[index], h0[index])
        return h0[index]

    def _keep(self, state, hs: list, cs: list) -> None:
        if self._rnn_mode == CUDNN_LSTM:
            cs.append(state.c)
            hs.append(state.h)
        else:
            hs.append(state)

    def _run_layer(self, k: int, x, seq, h0, c0, hs: list, cs: list):
        if self._direction == CUDNN_RNN_UNIDIRECTION:
            (cell,) = self._cells_of(k)
            with tfvars.variable_scope("rnn"), tfvars.variable_scope("multi_rnn_cell"):
                out, state = _rnn.dynamic_rnn(cell, x, sequence_length=seq,
                                              initial_state=self._state(h0, c0, k),
                                              time_major=True, scope=f"cell_{k}")
            self._keep(state, hs, cs)
            return out
        fw, bw = self._cells_of(k)
        with tfvars.variable_scope("stack_bidirectional_rnn"), tfvars.variable_scope(f"cell_{k}"):
            (out_fw, out_bw), (s_fw, s_bw) = _rnn.bidirectional_dynamic_rnn(
                fw, bw, x, sequence_length=seq, initial_state_fw=self._state(h0, c0, 2 * k),
                initial_state_bw=self._state(h0, c0, 2 * k + 1), time_major=True)
        self._keep(s_fw, hs, cs)
        self._keep(s_bw, hs, cs)
        return tf.concat([out_fw, out_bw], 2)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("trainable", None)
        config.update({
            "num_layers": self._num_layers, "num_units": self._num_units,
            "input_mode": self._input_mode, "direction": self._direction,
            "dropout": self._dropout, "seed": self._seed,
            "dtype": self._plain_dtype.name,
            "kernel_initializer": serialize_initializer(self._kernel_initializer),
            "bias_initializer": serialize_initializer(self._bias_initializer)})
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        for key in ("kernel_initializer", "bias_initializer"):
            if config.get(key) is not None:
                config[key] = keras.initializers.get(config[key])
        return cls(**config)


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnLSTM(_CudnnRNN):
    """cuDNN's LSTM, TF1's ``tf.contrib.cudnn_rnn.CudnnLSTM`` (see
    :class:`_CudnnRNN` for the arguments). Each layer is a
    ``CudnnCompatibleLSTMCell`` (no forget bias; the canonical ``bias`` is
    the sum of cuDNN's two bias vectors); states ``(h, c)``."""

    _rnn_mode = CUDNN_LSTM
    _cell_cls = _LSTM


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnGRU(_CudnnRNN):
    """cuDNN's GRU, TF1's ``tf.contrib.cudnn_rnn.CudnnGRU``: each layer a
    ``CudnnCompatibleGRUCell`` (reset gate after the recurrent matmul); state ``(h,)``."""

    _rnn_mode = CUDNN_GRU
    _cell_cls = _GRU

    def _cell_kwargs(self) -> dict:
        return {"dtype": self._plain_dtype.name, "name": "cudnn_compatible_gru_cell"}


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnRNNTanh(_CudnnRNN):
    """cuDNN's tanh RNN, TF1's ``tf.contrib.cudnn_rnn.CudnnRNNTanh``: each
    layer a ``BasicRNNCell`` (``basic_rnn_cell/kernel``, ``.../bias``)."""

    _rnn_mode = CUDNN_RNN_TANH
    _cell_cls = _Basic

    def _cell_kwargs(self) -> dict:
        return {"dtype": self._plain_dtype.name, "name": "basic_rnn_cell"}


@keras.saving.register_keras_serializable(package="tfshare")
class CudnnRNNRelu(_CudnnRNN):
    """cuDNN's relu RNN, TF1's ``tf.contrib.cudnn_rnn.CudnnRNNRelu``: each
    layer a ``BasicRNNCell(activation=relu)``."""

    _rnn_mode = CUDNN_RNN_RELU
    _cell_cls = _Basic

    def _cell_kwargs(self) -> dict:
        return {"dtype": self._plain_dtype.name, "name": "basic_rnn_cell",
                "activation": "relu"}
