"""``HighwayWrapper``: TF1's ``tf.contrib.rnn`` wrapper adding a highway
connection from the cell's input to its output (Srivastava et al., 2015)."""
from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfshare.cells._args import check_number
from tfshare.cells._contrib_ops import width
from tfshare.cells._keras_paths import ScopeKerasWeights, choose_keras_source
from tfshare.cells.base import WeightSpec
from tfshare.cells.wrappers import CellWrapper

__all__ = ["HighwayWrapper"]


@keras.saving.register_keras_serializable(package="tfshare")
class HighwayWrapper(CellWrapper):
    """Highway connection around a cell, TF1's ``tf.contrib.rnn.HighwayWrapper``::

        o, new_state = cell(x, state)
        t = σ(x · carry_w + carry_b)
        output = x ⊙ t + o ⊙ (1 − t)                  (couple_carry_transform_gates)
        output = x ⊙ t + o ⊙ σ(x · transform_w + transform_b)   (otherwise)

    The cell's output must have the input's shape. Like ``ResidualWrapper``
    it adds no variable-scope level, yet it has variables: TF1 created them
    in the scope the wrapper is called from (``rnn/carry_w`` in
    ``dynamic_rnn``; the cell's own are ``rnn/<cell>/...``), after the cell's:
    ``carry_w`` ``[depth, depth]`` (scope initializer, else glorot-uniform),
    ``carry_b`` ``[depth]`` (``carry_bias_init``) and, with uncoupled gates,
    ``transform_w``, ``transform_b`` (``-carry_bias_init``). In Keras mode
    their paths are the same (``rnn/carry_w``).

    Args:
      cell: the wrapped cell.
      couple_carry_transform_gates: transform gate = 1 − carry gate.
      carry_bias_init: initial carry bias.
    """

    def __init__(self, cell: Any, couple_carry_transform_gates: bool = True,
                 carry_bias_init: float = 1.0, **kwargs):
        super().__init__(cell, **kwargs)
        self._couple = bool(couple_carry_transform_gates)
        self._carry_bias_init = check_number("carry_bias_init", carry_bias_init)

    def weight_specs(self, input_depth):
        if input_depth is None:
            return []
        init = keras.initializers.Constant
        specs = [WeightSpec("carry_w", (input_depth, input_depth)),
                 WeightSpec("carry_b", (input_depth,), init(self._carry_bias_init))]
        if not self._couple:
            specs += [WeightSpec("transform_w", (input_depth, input_depth)),
                      WeightSpec("transform_b", (input_depth,), init(-self._carry_bias_init))]
        return specs

    def _source(self, scope: Any = None):
        choose_keras_source(self, ScopeKerasWeights, scope)
        return super()._source(scope)

    def _record_input_shape(self, input_shape) -> None:
        self._input_depth = self._depth_from_shape(input_shape)

    def build(self, input_shape):
        """Keras mode: the cell's weights and the wrapper's, at the parent path."""
        source = self._use_keras_weights()
        self._record_input_shape(input_shape)
        with self._cell_path():
            if isinstance(self.cell, keras.layers.Layer) and not self.cell.built:
                self.cell.build(input_shape)
            source.create(self.weight_specs(self._input_depth))

    def wrapped_step(self, inputs, state, cell_call, training=None):
        output, new_state = cell_call(inputs, state)
        keras.tree.assert_same_structure(inputs, output)
        tf.TensorShape(inputs.shape).assert_is_compatible_with(tf.TensorShape(output.shape))
        weights = self._weight_source.get(self.weight_specs(width(inputs)), inputs.dtype)
        carry = tf.sigmoid(tf.nn.bias_add(tf.matmul(inputs, weights["carry_w"]),
                                          weights["carry_b"]))
        if self._couple:
            transform = 1 - carry
        else:
            transform = tf.sigmoid(tf.nn.bias_add(tf.matmul(inputs, weights["transform_w"]),
                                                  weights["transform_b"]))
        return inputs * carry + output * transform, new_state

    def get_config(self) -> dict:
        return {**super().get_config(), "couple_carry_transform_gates": self._couple,
                "carry_bias_init": self._carry_bias_init}
