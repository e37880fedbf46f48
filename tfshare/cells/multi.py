"""``MultiRNNCell``: a stack of cells run one after the other."""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Optional, Sequence

import keras
import tensorflow as tf

from tfshare._shapes import static_shape
from tfshare.cells.base import (RNNCell, assert_like_rnncell, cell_zero_state, check_state_width,
                                child_kwargs, deserialize_cell, flat_size, match_structure)
from tfshare.cells.fused import FusedStack

__all__ = ["MultiRNNCell"]

_log = logging.getLogger("tfshare")


@keras.saving.register_keras_serializable(package="tfshare")
class MultiRNNCell(RNNCell):
    """RNN cell composed sequentially of several cells, TF1's
    ``tf.nn.rnn_cell.MultiRNNCell``.

    Step: ``x_0 = inputs``; for each cell ``k``: ``x_{k+1}, s'_k = cell_k(x_k,
    s_k)``; the output is the last cell's output, the new state is
    ``(s'_0, s'_1, ...)`` (or, with ``state_is_tuple=False``, the
    concatenation of the sub-states on axis 1).

    TF1 variable names: each sub-cell runs in ``variable_scope("cell_%d" % k)``
    inside this cell's scope ``multi_rnn_cell``, e.g.
    ``rnn/multi_rnn_cell/cell_0/lstm_cell/kernel``,
    ``rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel``. The Keras weight
    paths are the same. A wrapped sub-cell adds no level. The same cell object
    listed twice shares its weights (those of its first position).

    Args:
      cells: list or tuple of cells (at least one).
      state_is_tuple: True: the state is a tuple with one entry per cell;
        False: one concatenated tensor (all sub-states must be tensors).
    """

    def __init__(self, cells: Sequence[Any], state_is_tuple: bool = True, **kwargs):
        super().__init__(**kwargs)
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not isinstance(cells, (list, tuple)):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        for cell in cells:
            assert_like_rnncell("cells", cell)
        if len({id(c) for c in cells}) < len(cells):
            _log.warning("At least two cells provided to MultiRNNCell are the same object and "
                         "will share weights.")
        self._cells = list(cells)
        for k, cell in enumerate(self._cells):  # in TF's object graph, as TF1 scopes them
            self._weight_tree.put(f"cell_{k}", cell)
        self._state_is_tuple = bool(state_is_tuple)
        if not self._state_is_tuple:
            sizes = [c.state_size for c in self._cells]
            if any(isinstance(s, (tuple, list)) for s in sizes):
                raise ValueError("Some cells return tuples of states, but the flag state_is_tuple "
                                 f"is not set. State sizes are: {sizes}")

    @property
    def cells(self) -> list:
        """The sub-cells, in order."""
        return list(self._cells)

    def _sequence_children(self) -> list:
        return list(self._cells)

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(c.state_size for c in self._cells)
        return sum(flat_size(c.state_size) for c in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        """A tuple of the sub-cells' ``zero_state`` s (ops under
        ``MultiRNNCellZeroState``); one tensor when not ``state_is_tuple``."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell_zero_state(c, batch_size, dtype) for c in self._cells)
            return super().zero_state(batch_size, dtype)

    def build(self, input_shape):
        """Keras mode: build each sub-cell under the path level ``cell_<k>``."""
        self._use_keras_weights()
        shape = tuple(static_shape(tf.TensorShape(input_shape)) or ())
        depth = self._depth_from_shape(shape)
        self._input_depth = depth
        for k, cell in enumerate(self._cells):
            with keras.name_scope(f"cell_{k}"):
                if isinstance(cell, keras.layers.Layer) and not cell.built:
                    cell.build((shape[0], depth))
            depth = cell.output_size

    def _sub_states(self, state):
        if self._state_is_tuple:
            if not isinstance(state, (tuple, list)) or len(state) != len(self._cells):
                raise ValueError(f"Expected state to be a tuple of length {len(self._cells)}, "
                                 f"but received: {state}")
            return list(state)
        check_state_width(self, state, self.state_size)
        subs, start = [], 0
        for cell in self._cells:
            size = flat_size(cell.state_size)
            subs.append(tf.slice(state, [0, start], [-1, size]))
            start += size
        return subs

    def _join(self, new_states):
        if self._state_is_tuple:
            return tuple(new_states)
        return tf.concat(new_states, 1)

    def call(self, inputs, states, training=None):
        """Each sub-cell in turn, in TF1 mode inside ``variable_scope("cell_<k>")``."""
        subs = self._sub_states(self._unwrap(states))
        cur, new_states = inputs, []
        for k, (cell, sub) in enumerate(zip(self._cells, subs)):
            with self._weight_source.child_scope(f"cell_{k}"):
                cur, new = cell(cur, _as_state_of(cell, sub), **child_kwargs(cell, training))
            new_states.append(new)
        return cur, match_structure(states, self._join(new_states))

    def _validate_state(self, state) -> None:
        state = self._unwrap(state)
        if self._state_is_tuple and (not isinstance(state, (tuple, list))
                                     or len(state) != len(self._cells)):
            self._sub_states(state)  # raises TF1's error

    def _unwrap(self, states):
        """Keras wraps a single concatenated state in a list/tuple of one."""
        if (not self._state_is_tuple and isinstance(states, (list, tuple))
                and len(states) == 1):
            return states[0]
        return states

    def fused_spec(self) -> Optional[FusedStack]:
        """A ``FusedStack`` of the cells' specs when every cell has one (and the
        state is a tuple); else ``None``."""
        if not self._state_is_tuple:
            return None
        specs = [getattr(c, "fused_spec", lambda: None)() for c in self._cells]
        return None if any(s is None for s in specs) else FusedStack(tuple(specs))

    def step_weights(self, input_depth: int, dtype: Any) -> Optional[dict]:
        """The cells' step weights, ``{"cell_<k>/<name>": tensor}`` (TF1 mode: in
        ``variable_scope("cell_<k>")`` inside this cell's scope, as a call
        creates them); ``None`` when a cell cannot supply its own."""
        source = self._source()
        if self._input_depth is not None and self._input_depth != input_depth:
            return None
        with source.entered(None) if source.tf1 else contextlib.nullcontext():
            out, depth = {}, input_depth
            for k, cell in enumerate(self._cells):
                with source.child_scope(f"cell_{k}"):
                    weights = cell.step_weights(depth, dtype)
                if weights is None:
                    return None
                out.update({f"cell_{k}/{name}": w for name, w in weights.items()})
                depth = cell.output_size
        if source.tf1:
            self._input_depth = input_depth
        return out

    def get_config(self) -> dict:
        return {**super().get_config(),
                "cells": [keras.saving.serialize_keras_object(c) for c in self._cells],
                "state_is_tuple": self._state_is_tuple}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        config["cells"] = [deserialize_cell(c, custom_objects) for c in config["cells"]]
        return cls(**config)


def _as_state_of(cell, state):
    """``state`` in the structure of ``cell.state_size`` (TF1 ignores the
    containers a sub-state comes in), when its tensors fit it."""
    size = cell.state_size
    flat = keras.tree.flatten(state)
    if len(flat) != len(keras.tree.flatten(size)):
        return state  # the cell reports the mismatch
    return keras.tree.pack_sequence_as(size, flat)
