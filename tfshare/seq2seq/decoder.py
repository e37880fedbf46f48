"""The ``Decoder`` interface and ``dynamic_decode`` (TF1 ``tf.contrib.seq2seq``).

``dynamic_decode(decoder)`` calls ``decoder.initialize()`` once, then
``decoder.step(time, inputs, state)`` in one ``tf.while_loop`` until every
batch entry is finished (or ``maximum_iterations`` steps), then
``decoder.finalize``. It opens ``variable_scope(scope, default_name="decoder")``,
so a ``BasicDecoder`` over an ``LSTMCell`` creates ``decoder/lstm_cell/kernel``
as in TF1 (variables are created at the first step, inside the loop).

In eager mode the loop runs step by step in Python (as TF 1.15's did); wrap
the call in ``tf.function`` to compile it. ``parallel_iterations`` and
``swap_memory`` only tuned TF1's graph executor and are accepted and ignored.
"""
from __future__ import annotations

import abc
from typing import Any, Optional

import tensorflow as tf

from tfshare import variables as _vs
from tfshare.seq2seq._common import (constant_value, transpose_batch_time, where_rows,
                                     zero_state_tensors)

__all__ = ["Decoder", "dynamic_decode"]

nest = tf.nest


class Decoder(abc.ABC):
    """An RNN decoder: what ``dynamic_decode`` runs.

    * ``batch_size``, ``output_size`` (structure of ints / ``TensorShape``),
      ``output_dtype`` (matching structure of dtypes);
    * ``initialize(name=None) -> (finished, initial_inputs, initial_state)``;
    * ``step(time, inputs, state, name=None) -> (outputs, next_state,
      next_inputs, finished)``;
    * ``finalize(outputs, final_state, sequence_lengths)`` (optional: raise
      ``NotImplementedError`` to skip);
    * ``tracks_own_finished``: True when the decoder reorders batch entries
      (beam search) and reports ``finished`` itself.
    """

    @property
    def batch_size(self) -> Any:
        """The batch size of input values."""
        raise NotImplementedError

    @property
    def output_size(self) -> Any:
        """A (possibly nested tuple of...) integer[s] or ``TensorShape`` object[s]."""
        raise NotImplementedError

    @property
    def output_dtype(self) -> Any:
        """A (possibly nested tuple of...) dtype[s]."""
        raise NotImplementedError

    @abc.abstractmethod
    def initialize(self, name: Optional[str] = None) -> tuple:
        """``(finished, initial_inputs, initial_state)``."""
        raise NotImplementedError

    @abc.abstractmethod
    def step(self, time: Any, inputs: Any, state: Any, name: Optional[str] = None) -> tuple:
        """``(outputs, next_state, next_inputs, finished)``."""
        raise NotImplementedError

    def finalize(self, outputs: Any, final_state: Any, sequence_lengths: Any) -> tuple:
        """``(final_outputs, final_state)`` after the loop."""
        raise NotImplementedError

    @property
    def tracks_own_finished(self) -> bool:
        """Whether the decoder keeps track of finished states itself."""
        return False


def _element_shape(batch_size: Any, size: Any) -> Optional[tf.TensorShape]:
    """TF1's TensorArray element shape: ``[batch] + size`` for a ``TensorShape``
    of rank >= 1, else unknown (ints and scalars)."""
    if not isinstance(size, tf.TensorShape) or size.rank in (None, 0):
        return None
    return tf.TensorShape([constant_value(batch_size)]).concatenate(size)


def dynamic_decode(decoder: Decoder, output_time_major: bool = False,
                   impute_finished: bool = False, maximum_iterations: Any = None,
                   parallel_iterations: int = 32, swap_memory: bool = False,
                   scope: Any = None) -> tuple:
    """Run ``decoder`` to the end (TF1 ``tf.contrib.seq2seq.dynamic_decode``).

    Loop (``t = 0, 1, ...`` while some entry is unfinished, at most
    ``maximum_iterations`` times)::

        outputs_t, state, inputs, done = decoder.step(t, inputs, state)
        finished = done if decoder.tracks_own_finished else done | finished
        lengths[b] = t + 1 for entries unfinished before this step

    With ``impute_finished`` an entry finished before step ``t`` gets zero
    outputs and keeps its state (scalar and ``TensorArray`` states pass
    through).

    Args:
      decoder: a ``Decoder``.
      output_time_major: return ``[time, batch, ...]`` outputs (else batch major).
      impute_finished: zero outputs and copy states of finished entries.
      maximum_iterations: optional int32 scalar: at most this many steps.
      parallel_iterations: ignored (TF1 graph-executor tuning).
      swap_memory: ignored.
      scope: variable scope (default ``"decoder"``).

    Returns:
      ``(final_outputs, final_state, final_sequence_lengths)``.

    Raises:
      TypeError: ``decoder`` is not a ``Decoder``.
      ValueError: ``maximum_iterations`` is not a scalar.
    """
    del parallel_iterations, swap_memory
    if not isinstance(decoder, Decoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    with _vs.variable_scope(scope, default_name="decoder"):
        if maximum_iterations is not None:
            maximum_iterations = tf.convert_to_tensor(maximum_iterations, dtype=tf.int32,
                                                      name="maximum_iterations")
            if maximum_iterations.shape.rank != 0:
                raise ValueError("maximum_iterations must be a scalar")
        initial_finished, initial_inputs, initial_state = decoder.initialize()
        zero_outputs = nest.map_structure(
            lambda s, d: zero_state_tensors(s, decoder.batch_size, d),
            decoder.output_size, decoder.output_dtype)
        if maximum_iterations is not None:
            initial_finished = tf.logical_or(initial_finished, 0 >= maximum_iterations)
        initial_lengths = tf.zeros_like(initial_finished, dtype=tf.int32)
        initial_tas = nest.map_structure(
            lambda s, d: tf.TensorArray(dtype=d, size=0, dynamic_size=True,
                                        element_shape=_element_shape(decoder.batch_size, s)),
            decoder.output_size, decoder.output_dtype)

        def condition(unused_time, unused_tas, unused_state, unused_inputs, finished, unused_len):
            return tf.logical_not(tf.reduce_all(finished))

        def body(time, tas, state, inputs, finished, lengths):
            outputs, decoder_state, next_inputs, decoder_finished = decoder.step(time, inputs,
                                                                                 state)
            if decoder.tracks_own_finished:
                next_finished = decoder_finished
            else:
                next_finished = tf.logical_or(decoder_finished, finished)
            next_lengths = tf.where(tf.logical_not(finished),
                                    tf.fill(tf.shape(lengths), time + 1), lengths)
            nest.assert_same_structure(state, decoder_state)
            nest.assert_same_structure(tas, outputs)
            nest.assert_same_structure(inputs, next_inputs)
            if impute_finished:
                emit = nest.map_structure(lambda out, zero: where_rows(finished, zero, out),
                                          outputs, zero_outputs)
                next_state = nest.map_structure(_copy_finished(finished), decoder_state, state)
            else:
                emit, next_state = outputs, decoder_state
            tas = nest.map_structure(lambda ta, out: ta.write(time, out), tas, emit)
            return time + 1, tas, next_state, next_inputs, next_finished, next_lengths

        loop_vars = (tf.constant(0, tf.int32), initial_tas, initial_state, initial_inputs,
                     initial_finished, initial_lengths)
        res = tf.while_loop(condition, body, loop_vars, maximum_iterations=maximum_iterations)
        final_state, final_lengths = res[2], res[5]
        final_outputs = nest.map_structure(lambda ta: ta.stack(), res[1])
        try:
            final_outputs, final_state = decoder.finalize(final_outputs, final_state,
                                                          final_lengths)
        except NotImplementedError:
            pass
        if not output_time_major:
            final_outputs = nest.map_structure(transpose_batch_time, final_outputs)
    return final_outputs, final_state, final_lengths


def _copy_finished(finished: tf.Tensor):
    """``impute_finished``'s state rule: finished rows keep the old state."""

    def copy(new: Any, cur: Any) -> Any:
        if isinstance(cur, tf.TensorArray):
            return new
        new.set_shape(cur.shape)
        if new.shape.rank == 0:
            return new
        return where_rows(finished, cur, new)

    return copy

