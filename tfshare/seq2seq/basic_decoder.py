"""``BasicDecoder``: a cell, a sampling helper and an optional output layer
(TF1 ``tf.contrib.seq2seq.BasicDecoder``)."""
from __future__ import annotations

import collections
from typing import Any, Optional

import tensorflow as tf

from tfshare import _rnn_core
from tfshare.seq2seq._common import check_layer, output_size_of
from tfshare.seq2seq.decoder import Decoder
from tfshare.seq2seq.helpers import Helper

__all__ = ["BasicDecoderOutput", "BasicDecoder"]

nest = tf.nest


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput", ("rnn_output", "sample_id"))):
    """One step (or, stacked, all steps) of a ``BasicDecoder``: the (projected)
    cell output and the helper's sample ids."""


class BasicDecoder(Decoder):
    """Sampling decoder: per step ``o, s = cell(inputs, state)``,
    ``o = output_layer(o)`` when given, ``ids = helper.sample(o)``, then
    ``helper.next_inputs``.

    Variables are the cell's (``decoder/<cell scope>/...`` under
    ``dynamic_decode``) and the output layer's (``decoder/dense/kernel`` for an
    unnamed ``tf.layers.Dense``).

    Args:
      cell: an RNN cell.
      helper: a ``Helper``.
      initial_state: the cell's initial state.
      output_layer: optional layer applied to the cell output (e.g.
        ``tf.layers.Dense(vocab_size)``).

    Raises:
      TypeError: ``cell``, ``helper`` or ``output_layer`` of the wrong kind.
    """

    def __init__(self, cell: Any, helper: Helper, initial_state: Any, output_layer: Any = None):
        _rnn_core.assert_like_rnncell("cell", cell)
        if not isinstance(helper, Helper):
            raise TypeError(f"helper must be a Helper, received: {type(helper)}")
        check_layer("output_layer", output_layer)
        self._cell = cell
        self._helper = helper
        self._initial_state = initial_state
        self._output_layer = output_layer

    @property
    def batch_size(self) -> Any:
        return self._helper.batch_size

    def _rnn_output_size(self) -> Any:
        return output_size_of(self._output_layer, self._cell.output_size)

    @property
    def output_size(self) -> BasicDecoderOutput:
        return BasicDecoderOutput(rnn_output=self._rnn_output_size(),
                                  sample_id=self._helper.sample_ids_shape)

    @property
    def output_dtype(self) -> BasicDecoderOutput:
        dtype = nest.flatten(self._initial_state)[0].dtype
        return BasicDecoderOutput(nest.map_structure(lambda _: dtype, self._rnn_output_size()),
                                  self._helper.sample_ids_dtype)

    def initialize(self, name: Optional[str] = None) -> tuple:
        """``(finished, first_inputs, initial_state)``."""
        return tuple(self._helper.initialize()) + (self._initial_state,)

    def step(self, time: Any, inputs: Any, state: Any, name: Optional[str] = None) -> tuple:
        """``(BasicDecoderOutput, next_state, next_inputs, finished)``."""
        with tf.name_scope(name or "BasicDecoderStep"):
            cell_outputs, cell_state = self._cell(inputs, state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            sample_ids = self._helper.sample(time=time, outputs=cell_outputs, state=cell_state)
            finished, next_inputs, next_state = self._helper.next_inputs(
                time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids)
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished
