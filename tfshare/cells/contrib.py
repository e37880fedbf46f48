"""The ``tf.contrib.rnn`` wrappers seq2seq programs use:
``OutputProjectionWrapper``, ``InputProjectionWrapper``, ``EmbeddingWrapper``.

Unlike ``DropoutWrapper`` these wrappers **add a variable-scope level**. In
TF 1.x they are ``RNNCell`` s with their own scope (``output_projection_wrapper``,
``input_projection_wrapper``, ``embedding_wrapper``, uniquified as any cell
scope, or exactly ``scope`` when one is given at the first call); their own
variables sit directly in that scope, and they call the wrapped cell *inside*
it, so the wrapped cell's scope nests below theirs::

    dynamic_rnn(OutputProjectionWrapper(GRUCell(4), 7), x)
      rnn/output_projection_wrapper/gru_cell/gates/kernel      [depth + 4, 8]
      rnn/output_projection_wrapper/gru_cell/gates/bias        [8]
      rnn/output_projection_wrapper/gru_cell/candidate/kernel  [depth + 4, 4]
      rnn/output_projection_wrapper/gru_cell/candidate/bias    [4]
      rnn/output_projection_wrapper/kernel                     [4, 7]
      rnn/output_projection_wrapper/bias                       [7]

In Keras mode (``keras.layers.RNN(OutputProjectionWrapper(GRUCell(4), 7),
name="rnn")``) the weight paths are the same: the wrapped cell is built inside
the wrapper's own path.

TF1 created ``EmbeddingWrapper``'s variable (and ran its whole step) under
``tf.device("/cpu:0")``; tfshare does not pin a device (the variable goes
wherever TF places it), which changes no name or number.
"""
from __future__ import annotations

import contextlib
import logging
import math
import numbers
from typing import Any, Callable, Optional

import keras
import tensorflow as tf

from tfshare import errors
from tfshare import variables as tfvars
from tfshare._shapes import static_axis, static_shape
from tfshare.cells._args import (check_positive_int, deserialize_activation, get_initializer,
                                 serialize_activation, serialize_initializer)
from tfshare.cells.base import RNNCell, WeightSpec, rnncell_problems
from tfshare.cells.wrappers import CellWrapper

__all__ = ["OutputProjectionWrapper", "InputProjectionWrapper", "EmbeddingWrapper"]

_log = logging.getLogger("tfshare")


def _check_size_type(arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(errors.bad_argument(arg, value, "a positive integer"))
    return int(value)


def _get_activation(activation: Any) -> Optional[Callable]:
    """TF1's rule for these wrappers: ``None`` means *no* activation (identity)."""
    if activation is None:
        return None
    return keras.activations.get(activation)


class _ScopedWrapper(CellWrapper):
    """The contrib wrappers: their own scope level, their own weights in it
    (``weight_specs``), the wrapped cell run (and, in Keras mode, built) inside."""

    adds_scope_level = True

    def __init__(self, cell: Any, reuse: Any = None, **kwargs):
        super().__init__(cell, reuse=reuse, **kwargs)

    @staticmethod
    def _check_cell(cell: Any) -> None:
        if rnncell_problems(cell):  # contrib's own text
            raise TypeError(f"The parameter cell is not RNNCell. Received: cell={cell!r}")

    # The inputs are checked as a cell's (a float [batch, depth] tensor).
    _check_inputs = RNNCell._check_inputs
    _validate_state = RNNCell._validate_state
    _accept_tf1_inputs = RNNCell._accept_tf1_inputs

    def build(self, input_shape):
        super().build(tuple(static_shape(tf.TensorShape(input_shape)) or ()))

    def _record_input_shape(self, input_shape) -> None:
        self._input_depth = self._depth_from_shape(input_shape)

    def _first_scope(self, scope):
        """As a cell's, but a first call without ``scope`` picks its default
        name while re-entering the current scope *by object*, as TF1's plain
        ``RNNCell.__call__`` did. Exiting an object-entered scope restores the
        ``default_name`` counters, so two unnamed wrappers called in one
        scope block both get ``output_projection_wrapper`` (TF1: the second
        one's variables then collide, "... already exists")."""
        if scope is not None or self._reuse:
            return super()._first_scope(scope)
        return _in_current_scope(super()._first_scope(None))

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        if "activation" in config:
            config["activation"] = deserialize_activation(config["activation"], custom_objects)
        if config.get("initializer") is not None:
            config["initializer"] = keras.initializers.get(config["initializer"])
        return super().from_config(config, custom_objects)


@contextlib.contextmanager
def _in_current_scope(inner: contextlib.AbstractContextManager):
    with tfvars.variable_scope(tfvars.get_variable_scope()):
        with inner as vs:
            yield vs


def _linear(x, weights: dict, activation: Optional[Callable]):
    y = tf.nn.bias_add(tf.matmul(x, weights["kernel"]), weights["bias"])
    return activation(y) if activation is not None else y


# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tfshare")
class OutputProjectionWrapper(_ScopedWrapper):
    """Adds a linear projection of the wrapped cell's output, TF1's
    ``tf.contrib.rnn.OutputProjectionWrapper``::

        o, new_state = cell(inputs, state)
        output       = act(o · K + b)          (no activation when None)

    The state is the cell's, unchanged; ``output_size`` is ``output_size``.

    TF1 variables, in scope ``output_projection_wrapper`` (created after the
    wrapped cell's, which nest below: ``…/output_projection_wrapper/gru_cell/…``):

    ===========  ============================  =================================
    name         shape                         initializer
    ===========  ============================  =================================
    ``kernel``   ``[cell.output_size, output_size]``  scope's, else glorot-uniform
    ``bias``     ``[output_size]``             zeros
    ===========  ============================  =================================

    Args:
      cell: the wrapped cell.
      output_size: width of the projected output (positive int).
      activation: optional activation applied after the projection.
      reuse: TF1 reuse flag (TF1 mode).
      **kwargs: ``name``, ``dtype``, ``trainable`` (see :class:`RNNCell`).

    Raises:
      TypeError: ``cell`` is not a cell.
      ValueError: ``output_size`` is not a positive integer
        (``Parameter output_size must be > 0: 0.``).
    """

    def __init__(self, cell: Any, output_size: int, activation: Any = None, reuse: Any = None,
                 **kwargs):
        self._check_cell(cell)
        size = _check_size_type("output_size", output_size)
        if size < 1:
            raise ValueError(f"Parameter output_size must be > 0: {size}. "
                             f"Received: output_size={output_size!r}")
        super().__init__(cell, reuse=reuse, **kwargs)
        self._output_size = size
        self._activation_arg = activation
        self._activation = _get_activation(activation)

    @property
    def output_size(self) -> int:
        return self._output_size

    def _specs(self, depth: int) -> list:
        return [WeightSpec("kernel", (depth, self._output_size)),
                WeightSpec("bias", (self._output_size,), keras.initializers.Zeros())]

    def weight_specs(self, input_depth):
        return self._specs(int(self.cell.output_size))

    def wrapped_step(self, inputs, state, cell_call, training=None):
        output, new_state = cell_call(inputs, state)
        depth = static_axis(output, -1)
        if output.shape.rank != 2 or depth is None:
            raise ValueError("linear expects shape[1] to be provided for shape "
                             f"{output.shape}, but saw {depth}")
        weights = self._weight_source.get(self._specs(int(depth)), output.dtype)
        return _linear(output, weights, self._activation), new_state

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": self._output_size,
                "activation": serialize_activation(self._activation_arg)}


@keras.saving.register_keras_serializable(package="tfshare")
class InputProjectionWrapper(_ScopedWrapper):
    """Projects the input before the wrapped cell, TF1's
    ``tf.contrib.rnn.InputProjectionWrapper``::

        x'              = act(inputs · K + b)   (no activation when None)
        output, state'  = cell(x', state)

    State and output sizes are the cell's.

    TF1 variables, in scope ``input_projection_wrapper`` (created before the
    wrapped cell's, which nest below: ``…/input_projection_wrapper/gru_cell/…``):

    ===========  =======================  ==================================
    name         shape                    initializer
    ===========  =======================  ==================================
    ``kernel``   ``[depth, num_proj]``    scope's, else glorot-uniform
    ``bias``     ``[num_proj]``           zeros
    ===========  =======================  ==================================

    Args:
      cell: the wrapped cell (its input depth becomes ``num_proj``).
      num_proj: width of the projection (positive int).
      activation: optional activation applied after the projection.
      input_size: deprecated and unused (as in TF1; a warning is logged).
      reuse: TF1 reuse flag (TF1 mode).
      **kwargs: ``name``, ``dtype``, ``trainable`` (see :class:`RNNCell`).

    Raises:
      TypeError: ``cell`` is not a cell.
      ValueError: ``num_proj`` is not a positive integer.
    """

    def __init__(self, cell: Any, num_proj: int, activation: Any = None, input_size: Any = None,
                 reuse: Any = None, **kwargs):
        self._check_cell(cell)
        self_num_proj = check_positive_int("num_proj", num_proj)
        super().__init__(cell, reuse=reuse, **kwargs)
        if input_size is not None:
            _log.warning("%s: The input_size parameter is deprecated.", self)
        self._num_proj = self_num_proj
        self._activation_arg = activation
        self._activation = _get_activation(activation)

    def _specs(self, depth: int) -> list:
        return [WeightSpec("kernel", (depth, self._num_proj)),
                WeightSpec("bias", (self._num_proj,), keras.initializers.Zeros())]

    def _cell_input_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self._num_proj,)

    def weight_specs(self, input_depth):
        return self._specs(input_depth)

    def wrapped_step(self, inputs, state, cell_call, training=None):
        weights = self._weight_source.get(self._specs(static_axis(inputs, -1)), inputs.dtype)
        return cell_call(_linear(inputs, weights, self._activation), state)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_proj": self._num_proj,
                "activation": serialize_activation(self._activation_arg)}


@keras.saving.register_keras_serializable(package="tfshare")
class EmbeddingWrapper(_ScopedWrapper):
    """Embeds integer symbol ids before the wrapped cell, TF1's
    ``tf.contrib.rnn.EmbeddingWrapper``::

        x               = E[reshape(ids, [-1])]     (ids: [batch] or [batch, 1])
        output, state'  = cell(x, state)

    State and output sizes are the cell's.

    TF1 variable, in scope ``embedding_wrapper`` (the wrapped cell nests below:
    ``…/embedding_wrapper/gru_cell/…``):

    =============  ==================================  ==========================
    name           shape                               initializer
    =============  ==================================  ==========================
    ``embedding``  ``[embedding_classes, embedding_size]``  ``initializer``, else the
                                                       scope's, else uniform(±√3)
    =============  ==================================  ==========================

    Its dtype is the state's (TF1). TF1 placed the variable and the step on
    ``/cpu:0``; tfshare does not pin a device.

    Args:
      cell: the wrapped cell (its input depth becomes ``embedding_size``).
      embedding_classes: number of symbols (positive int).
      embedding_size: width of the embedding vectors (positive int).
      initializer: initializer of the embedding.
      reuse: TF1 reuse flag (TF1 mode).
      **kwargs: ``name``, ``dtype``, ``trainable`` (see :class:`RNNCell`).

    Raises:
      TypeError: ``cell`` is not a cell; the inputs are not integer ids.
      ValueError: a non-positive size (``Both embedding_classes and
        embedding_size must be > 0: 0, 3.``); ids not of shape ``[batch]`` or
        ``[batch, 1]``.
    """

    def __init__(self, cell: Any, embedding_classes: int, embedding_size: int,
                 initializer: Any = None, reuse: Any = None, **kwargs):
        self._check_cell(cell)
        classes = _check_size_type("embedding_classes", embedding_classes)
        size = _check_size_type("embedding_size", embedding_size)
        if classes <= 0 or size <= 0:
            raise ValueError(
                f"Both embedding_classes and embedding_size must be > 0: {classes}, {size}. "
                f"Received: embedding_classes={embedding_classes!r}, "
                f"embedding_size={embedding_size!r}")
        super().__init__(cell, reuse=reuse, **kwargs)
        self._embedding_classes = classes
        self._embedding_size = size
        self._initializer = get_initializer(initializer)

    @staticmethod
    def _default_initializer():
        sqrt3 = math.sqrt(3.0)  # uniform(-√3, √3) has variance 1
        return keras.initializers.RandomUniform(-sqrt3, sqrt3)

    def weight_specs(self, input_depth):
        return [WeightSpec("embedding", (self._embedding_classes, self._embedding_size),
                           self._initializer, default=self._default_initializer())]

    # ids are integers of shape [batch] or [batch, 1]
    def _check_inputs(self, inputs) -> None:
        dtype = getattr(inputs, "dtype", None)
        shape = getattr(inputs, "shape", None)
        if dtype is None or shape is None:
            inputs = tf.convert_to_tensor(inputs)
            dtype, shape = inputs.dtype, inputs.shape
        if not tf.as_dtype(keras.backend.standardize_dtype(dtype)).is_integer:
            raise TypeError(
                f"Argument `inputs` of EmbeddingWrapper '{self.name}' must hold integer symbol "
                f"ids. Received: inputs.dtype={keras.backend.standardize_dtype(dtype)}")
        self._ids_shape(tuple(tf.TensorShape(shape).as_list()))

    def _ids_shape(self, shape: tuple) -> tuple:
        if len(shape) == 1 or (len(shape) == 2 and shape[1] in (1, None)):
            return shape
        raise ValueError(
            f"Argument `inputs` of EmbeddingWrapper '{self.name}' must be symbol ids of shape "
            f"[batch] or [batch, 1]. Received: inputs.shape={shape}")

    def _record_input_shape(self, shape: tuple) -> None:
        self._ids_shape(shape)

    def _cell_input_shape(self, input_shape):
        return (input_shape[0], self._embedding_size)

    def _accept_tf1_inputs(self, inputs):
        if not tf.is_tensor(inputs):
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        return inputs

    def wrapped_step(self, inputs, state, cell_call, training=None):
        leaves = keras.tree.flatten(state)
        dtype = leaves[0].dtype if leaves else self.variable_dtype
        embedding = self._weight_source.get(self.weight_specs(None), dtype)["embedding"]
        embedded = tf.gather(embedding, tf.reshape(inputs, [-1]))
        return cell_call(embedded, state)

    def get_config(self) -> dict:
        return {**super().get_config(), "embedding_classes": self._embedding_classes,
                "embedding_size": self._embedding_size,
                "initializer": serialize_initializer(self._initializer)}
