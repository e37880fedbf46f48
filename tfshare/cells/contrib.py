"""The ``tf.contrib.rnn`` wrappers seq2seq programs use (reference §3.11):
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
from tfshare._shapes import static_axis
from tfshare.cells.base import (CellDelegate, RNNCell, WeightSpec, _as_tensor, _Holder,
                                _tf1_initializer,
                                call_accepts_training, check_positive_int,
                                get_initializer, serialize_activation, serialize_initializer)

__all__ = ["OutputProjectionWrapper", "InputProjectionWrapper", "EmbeddingWrapper"]

_log = logging.getLogger("tfshare")

WeightsFor = Callable[[list, Any], dict]


def _like_rnncell(cell: Any) -> bool:
    return (hasattr(cell, "output_size") and hasattr(cell, "state_size")
            and (hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state"))
            and callable(cell))


def _check_cell(cell: Any) -> None:
    if not _like_rnncell(cell):
        raise TypeError(f"The parameter cell is not RNNCell. Received: cell={cell!r}")


def _check_size_type(arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(errors.bad_argument(arg, value, "a positive integer"))
    return int(value)


def _get_activation(activation: Any) -> Optional[Callable]:
    """TF1's rule for these wrappers: ``None`` means *no* activation (identity)."""
    if activation is None:
        return None
    return keras.activations.get(activation)


def _deserialize_activation(activation: Any, custom_objects=None) -> Any:
    if isinstance(activation, dict):
        try:
            return keras.activations.deserialize(activation, custom_objects=custom_objects)
        except Exception:  # a serialized user function
            return keras.saving.deserialize_keras_object(activation,
                                                         custom_objects=custom_objects)
    return activation


class _ScopedWrapper(CellDelegate, RNNCell):
    """Common plumbing of the wrappers that own variables and a scope level.

    Subclasses implement ``_wrapped_step(inputs, state, cell_call,
    weights_for)``: ``cell_call(x, s)`` runs the wrapped cell (inside this
    wrapper's scope / path), and ``weights_for(specs, dtype)`` returns this
    wrapper's own weights as a dict ``TF1 local name -> tensor`` (creating
    them at the first TF1-mode call, in TF1's creation order).
    """

    def __init__(self, cell: Any, reuse: Any = None, **kwargs):
        _check_cell(cell)
        super().__init__(reuse=reuse, **kwargs)
        self.cell = cell

    def _wrapped_step(self, inputs, state, cell_call: Callable, weights_for: WeightsFor):
        raise NotImplementedError

    def _cell_input_shape(self, input_shape) -> tuple:
        """The input shape of the wrapped cell, given this wrapper's."""
        return tuple(input_shape)

    # -- Keras mode ----------------------------------------------------------
    def build(self, input_shape):
        """Keras mode: build the wrapped cell *inside this wrapper's path* (the
        extra level TF1 gives it), then this wrapper's own weights."""
        self._enter_keras_mode()
        shape = tuple(tf.TensorShape(input_shape).as_list())
        self._record_input_shape(shape)
        cell_shape = self._cell_input_shape(shape)
        if isinstance(self.cell, keras.layers.Layer) and not self.cell.built:
            self.cell.build(cell_shape)
        holder = _Holder.get(self)
        for spec in self._own_specs(cell_shape):
            init = "glorot_uniform" if spec.initializer is None else spec.initializer
            holder.put(spec.path, self.add_weight(shape=tuple(spec.shape), initializer=init,
                                                  trainable=spec.trainable, name=spec.path))

    def _record_input_shape(self, shape: tuple) -> None:
        self._input_depth = self._depth_from_shape(shape)

    def _own_specs(self, cell_input_shape: tuple) -> list:
        """This wrapper's weights for Keras ``build`` (shapes known up front)."""
        raise NotImplementedError

    def call(self, inputs, states, training=None):
        cell_kwargs = {}
        if training is not None and call_accepts_training(self.cell):
            cell_kwargs["training"] = training

        def cell_call(x, s):
            return self.cell(x, s, **cell_kwargs)

        holder = _Holder.get(self)

        def weights_for(specs, dtype):
            return {s.path: _as_tensor(holder.vars[s.path]) for s in specs}

        return self._wrapped_step(inputs, states, cell_call, weights_for)

    # -- TF1 mode ------------------------------------------------------------
    @contextlib.contextmanager
    def _tf1_scope_context(self, scope):
        """As a cell's, but a first call without ``scope`` picks its default
        name while re-entering the current scope *by object*, as TF1's plain
        ``RNNCell.__call__`` did. Exiting an object-entered scope restores the
        ``default_name`` counters, so two unnamed wrappers called in one
        scope block both get ``output_projection_wrapper`` (TF1: the second
        one's variables then collide, "... already exists")."""
        if self._tf1_scope is not None or scope is not None:
            with super()._tf1_scope_context(scope) as vs:
                yield vs
            return
        with tfvars.variable_scope(tfvars.get_variable_scope()):
            with super()._tf1_scope_context(None) as vs:
                yield vs

    def _prepare_tf1_inputs(self, inputs):
        if not tf.is_tensor(inputs):
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        if self._input_depth is None:
            self._input_depth = static_axis(inputs, -1)
        return inputs

    def _tf1_call(self, inputs, state, scope, **kwargs):
        inputs = self._prepare_tf1_inputs(inputs)
        with self._tf1_scope_context(scope) as vs:
            if self._tf1_scope is None:
                self._tf1_scope = vs

            def weights_for(specs, dtype):
                out = {}
                for spec in specs:
                    var = tfvars.get_variable(spec.path, shape=list(spec.shape), dtype=dtype,
                                         initializer=_tf1_initializer(spec.initializer),
                                         trainable=spec.trainable)
                    if not any(var is w for w in self._tf1_variables):
                        self._tf1_variables.append(var)
                    out[spec.path] = _as_tensor(var)
                return out

            return self._wrapped_step(inputs, state, self.cell, weights_for)

    def _tf1_variable_list(self) -> list:
        out = list(self._tf1_variables)
        for w in getattr(self.cell, "weights", []):
            if not any(w is o for o in out):
                out.append(w)
        return out

    # -- serialization --------------------------------------------------------
    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = cls._config_with_cell(config, custom_objects)
        if "activation" in config:
            config["activation"] = _deserialize_activation(config["activation"], custom_objects)
        if config.get("initializer") is not None:
            config["initializer"] = keras.initializers.get(config["initializer"])
        return cls(**config)


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
        _check_cell(cell)
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

    def _own_specs(self, cell_input_shape):
        return self._specs(int(self.cell.output_size))

    def _wrapped_step(self, inputs, state, cell_call, weights_for):
        output, new_state = cell_call(inputs, state)
        depth = static_axis(output, -1)
        if output.shape.rank != 2 or depth is None:
            raise ValueError("linear expects shape[1] to be provided for shape "
                             f"{output.shape}, but saw {depth}")
        weights = weights_for(self._specs(int(depth)), output.dtype)
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
        _check_cell(cell)
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

    def _own_specs(self, cell_input_shape):
        return self._specs(self._input_depth)

    def _wrapped_step(self, inputs, state, cell_call, weights_for):
        weights = weights_for(self._specs(static_axis(inputs, -1)), inputs.dtype)
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
        _check_cell(cell)
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

    def _spec(self, initializer: Any) -> list:
        return [WeightSpec("embedding", (self._embedding_classes, self._embedding_size),
                           initializer)]

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

    def _own_specs(self, cell_input_shape):
        return self._spec(self._initializer or self._default_initializer())

    def _prepare_tf1_inputs(self, inputs):
        if not tf.is_tensor(inputs):
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        return inputs

    def _wrapped_step(self, inputs, state, cell_call, weights_for):
        if self._mode == "tf1":
            if self._initializer is not None:
                init = self._initializer
            elif tfvars.get_variable_scope().initializer is not None:
                init = None  # the scope's
            else:
                init = self._default_initializer()
        else:
            init = None  # Keras mode: built in build()
        leaves = keras.tree.flatten(state)
        dtype = leaves[0].dtype if leaves else self.variable_dtype
        embedding = weights_for(self._spec(init), dtype)["embedding"]
        embedded = tf.gather(embedding, tf.reshape(inputs, [-1]))
        return cell_call(embedded, state)

    def get_config(self) -> dict:
        return {**super().get_config(), "embedding_classes": self._embedding_classes,
                "embedding_size": self._embedding_size,
                "initializer": serialize_initializer(self._initializer)}
