"""Beam search decoding (TF1 ``tf.contrib.seq2seq.BeamSearchDecoder``),
``tile_batch`` and ``gather_tree``.

Per step, for each batch entry, every beam ``k`` extends its hypothesis by
every word ``w``::

    total[k, w] = log_probs[k] + log_softmax(logits[k])[w]   (finished beams: only
                                                              end_token, at no cost)
    score[k, w] = total[k, w] / lp(length[k, w]) + cp * coverage[k]

and the ``beam_width`` best ``(k, w)`` pairs survive (``top_k`` over the
flattened ``beam_width * vocab`` scores). ``lp(n) = ((5 + n) / 6) **
length_penalty_weight`` (Wu et al. 2016); the coverage penalty ``cp =
coverage_penalty_weight`` sums ``log(min(accumulated attention, 1))`` over the
memory for finished beams (it needs an ``AttentionWrapper`` state). The cell
state is reordered to follow the surviving beams. At the end ``gather_tree``
follows the parent pointers back from the last step to give whole hypotheses
(``predicted_ids`` ``[batch, time, beam_width]``, best beam first).

The cell sees ``batch_size * beam_width`` rows: tile the memory and the
initial state with ``tile_batch(x, beam_width)``.
"""
from __future__ import annotations

import collections
import logging
from typing import Any, Optional

import numpy as np
import tensorflow as tf

from tfshare import _rnn_core
from tfshare._shapes import static_axis
from tfshare.seq2seq._common import check_layer, constant_value, output_size_of
from tfshare.seq2seq.attention_wrapper import AttentionWrapperState
from tfshare.seq2seq.decoder import Decoder

__all__ = [
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "BeamSearchDecoder",
    "FinalBeamSearchDecoderOutput",
    "tile_batch",
    "gather_tree",
]

nest = tf.nest
_log = logging.getLogger("tfshare")


class BeamSearchDecoderState(collections.namedtuple(
        "BeamSearchDecoderState",
        ("cell_state", "log_probs", "finished", "lengths", "accumulated_attention_probs"))):
    """Loop state of ``BeamSearchDecoder`` (``[batch, beam_width, ...]`` each)."""


class BeamSearchDecoderOutput(collections.namedtuple(
        "BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))):
    """Per-step outputs: beam scores, the word each beam emitted, its parent beam."""


class FinalBeamSearchDecoderOutput(collections.namedtuple(
        "FinalBeamDecoderOutput", ["predicted_ids", "beam_search_decoder_output"])):
    """``predicted_ids`` (whole hypotheses, via ``gather_tree``) and the raw
    per-step ``BeamSearchDecoderOutput``."""


# --------------------------------------------------------------------------- tiling
def _tile_batch(t: Any, multiplier: int) -> tf.Tensor:
    t = tf.convert_to_tensor(t, name="t")
    rank = t.shape.rank
    if rank is None or rank < 1:
        raise ValueError("t must have statically known rank")
    shape_t = tf.shape(t)
    tiling = [1] * (rank + 1)
    tiling[1] = multiplier
    batch = static_axis(t, 0)
    tiled = tf.tile(tf.expand_dims(t, 1), tiling)
    tiled = tf.reshape(tiled, tf.concat(([shape_t[0] * multiplier], shape_t[1:]), 0))
    tiled.set_shape(tf.TensorShape([batch * multiplier if batch is not None else None])
                    .concatenate(t.shape[1:]))
    return tiled


def tile_batch(t: Any, multiplier: int, name: Optional[str] = None) -> Any:
    """Repeat every batch entry ``multiplier`` times, entries kept together:
    ``[a, b] -> [a, a, ..., b, b, ...]`` (each ``multiplier`` times), for every
    tensor of the structure ``t``.

    Raises:
      ValueError: a tensor of unknown rank or a scalar.
    """
    with tf.name_scope(name or "tile_batch"):
        return nest.map_structure(lambda t_: _tile_batch(t_, multiplier), t)


# --------------------------------------------------------------------------- gather_tree
def gather_tree(step_ids: Any, parent_ids: Any, max_sequence_lengths: Any, end_token: Any,
                name: Optional[str] = None) -> tf.Tensor:
    """Whole beams from per-step ids and parent pointers (TF1's ``GatherTree`` op).

    For batch entry ``b`` with ``L = min(T, max_sequence_lengths[b])`` and
    beam ``k``: ``out[L-1, b, k] = step_ids[L-1, b, k]``, then walking back
    ``p = parent_ids[t+1, b, p]``: ``out[t, b, k] = step_ids[t, b, p]``. Steps
    ``>= L`` and every step after the first ``end_token`` are ``end_token``.

    Args:
      step_ids, parent_ids: int32 ``[max_time, batch, beam_width]``.
      max_sequence_lengths: int32 ``[batch]``.
      end_token: int32 scalar.

    Returns:
      int32 ``[max_time, batch, beam_width]``.

    Raises:
      ValueError: wrong ranks or mismatched shapes (TF1's texts).
      InvalidArgumentError (at run time): a parent id out of range.
    """
    with tf.name_scope(name or "GatherTree"):
        step_ids = tf.convert_to_tensor(step_ids, tf.int32, name="step_ids")
        parent_ids = tf.convert_to_tensor(parent_ids, tf.int32, name="parent_ids")
        lengths = tf.convert_to_tensor(max_sequence_lengths, tf.int32,
                                       name="max_sequence_lengths")
        end_token = tf.convert_to_tensor(end_token, tf.int32, name="end_token")
        if step_ids.shape.rank not in (None, 3):
            raise ValueError(f"step_ids must be a 3-tensor, saw shape: {step_ids.shape}")
        if lengths.shape.rank not in (None, 1):
            raise ValueError(f"max_sequence_lengths must be a vector, saw shape: {lengths.shape}")
        if end_token.shape.rank not in (None, 0):
            raise ValueError(f"end_token must be a scalar, saw shape: {end_token.shape}")
        if not step_ids.shape.is_compatible_with(parent_ids.shape):
            raise ValueError("step_ids.shape must match parent_ids.shape.  but shapes are: "
                             f"{step_ids.shape} and {parent_ids.shape}")
        max_time = tf.shape(step_ids)[0]
        lengths = tf.minimum(lengths, max_time)
        beam_width = tf.shape(step_ids)[2]
        start = tf.tile(tf.expand_dims(tf.range(beam_width), 0), [tf.shape(step_ids)[1], 1])

        def back(carry, elems):
            pointer, _ = carry
            t, step_t, parent_t = elems
            active = tf.expand_dims(t < lengths, 1)
            ids = tf.where(active, tf.gather(step_t, pointer, batch_dims=1), end_token)
            pointer = tf.where(active, tf.gather(parent_t, pointer, batch_dims=1), pointer)
            return pointer, ids

        _, beams = tf.scan(back, (tf.range(max_time), step_ids, parent_ids),
                           initializer=(start, tf.zeros_like(start)), reverse=True)
        ended_before = tf.cumsum(tf.cast(tf.equal(beams, end_token), tf.int32), axis=0,
                                 exclusive=True) > 0
        beams = tf.where(ended_before, end_token, beams)
        beams.set_shape(step_ids.shape)
        return beams


def gather_tree_from_array(t: tf.Tensor, parent_ids: tf.Tensor,
                           sequence_length: tf.Tensor) -> tf.Tensor:
    """Reorder a stacked ``[max_time, batch * beam_width, ...]`` tensor (e.g. an
    alignment history) along the beams' ancestry (``gather_tree`` of the beam
    indices; steps past each beam's length keep their own beam)."""
    max_time = static_axis(parent_ids, 0) or tf.shape(parent_ids)[0]
    batch_size = static_axis(parent_ids, 1) or tf.shape(parent_ids)[1]
    beam_width = static_axis(parent_ids, 2) or tf.shape(parent_ids)[2]
    beam_ids = tf.tile(tf.expand_dims(tf.expand_dims(tf.range(beam_width), 0), 0),
                       [max_time, batch_size, 1])
    max_lengths = tf.cast(tf.reduce_max(sequence_length, axis=1), tf.int32)
    sorted_ids = gather_tree(beam_ids, parent_ids, max_lengths, beam_width + 1)
    in_bound = tf.transpose(tf.sequence_mask(sequence_length, maxlen=max_time), perm=[2, 0, 1])
    sorted_ids = tf.where(in_bound, sorted_ids, beam_ids)
    time_ind = tf.tile(tf.reshape(tf.range(max_time), [-1, 1, 1]), [1, batch_size, beam_width])
    batch_ind = tf.transpose(tf.tile(tf.reshape(tf.range(batch_size), [-1, 1, 1]),
                                     [1, max_time, beam_width]), perm=[1, 0, 2])
    indices = tf.stack([time_ind, batch_ind, sorted_ids], -1)
    final_shape = tf.shape(t)
    ordered = tf.gather_nd(tf.reshape(t, [max_time, batch_size, beam_width, -1]), indices)
    return tf.reshape(ordered, final_shape)


# --------------------------------------------------------------------------- checks
def _check_ndims(t: tf.Tensor) -> None:
    if t.shape.rank is None:
        raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")


def _check_static_batch_beam_maybe(shape: tf.TensorShape, batch_size: Optional[int],
                                   beam_width: int) -> bool:
    dim0 = static_axis(shape, 0) if shape.rank else None
    dim1 = static_axis(shape, 1) if shape.rank and shape.rank >= 2 else None
    if batch_size is not None and dim0 is not None and (
            dim0 != batch_size * beam_width
            or (dim1 is not None and (dim0 != batch_size or dim1 != beam_width))):
        _log.warning("TensorArray reordering expects elements to be reshapable to %s which is "
                     "incompatible with the current shape %s. Consider setting "
                     "reorder_tensor_arrays to False to disable TensorArray reordering during "
                     "the beam search.", tf.TensorShape([batch_size, beam_width, None]), shape)
        return False
    return True


def _check_batch_beam(t: tf.Tensor, batch_size: Any, beam_width: int) -> Any:
    message = ("TensorArray reordering expects elements to be reshapable to [batch_size, "
               "beam_size, -1] which is incompatible with the dynamic shape of "
               f"{t if tf.executing_eagerly() else t.name} elements. Consider setting "
               "reorder_tensor_arrays to False to disable TensorArray reordering during the "
               "beam search.")
    shape = tf.shape(t)
    if t.shape.rank == 2:
        condition = tf.equal(shape[1], batch_size * beam_width)
    else:
        condition = tf.logical_or(tf.equal(shape[1], batch_size * beam_width),
                                  tf.logical_and(tf.equal(shape[1], batch_size),
                                                 tf.equal(shape[2], beam_width)))
    return tf.debugging.Assert(condition, [message])


def _as_shape(s: Any) -> tf.TensorShape:
    if tf.is_tensor(s):
        value = tf.get_static_value(s)
        return tf.TensorShape(None if value is None else list(value))
    if isinstance(s, tf.TensorShape):
        return s
    return tf.TensorShape(s if isinstance(s, (list, tuple)) else [s])


# --------------------------------------------------------------------------- decoder
class BeamSearchDecoder(Decoder):
    """Beam search over a cell (see the module docstring).

    Args:
      cell: an RNN cell (its state tiled to ``batch_size * beam_width``).
      embedding: a callable ``ids -> inputs`` or ``embedding_lookup`` params.
      start_tokens: int32 ``[batch_size]``.
      end_token: int32 scalar.
      initial_state: the cell's initial state, ``batch_size * beam_width`` rows
        (``tile_batch``).
      beam_width: number of beams.
      output_layer: optional layer applied to the cell output (the logits).
      length_penalty_weight: ``alpha`` of the length penalty (0: none).
      coverage_penalty_weight: weight of the coverage penalty (0: none).
      reorder_tensor_arrays: reorder ``TensorArray`` s of the final cell state
        (alignment histories) along the final beams.

    ``dynamic_decode`` returns a ``FinalBeamSearchDecoderOutput`` and a
    ``BeamSearchDecoderState``.

    Raises:
      TypeError: ``cell`` or ``output_layer`` of the wrong kind.
      ValueError: ``start_tokens`` not a vector, ``end_token`` not a scalar.
    """

    def __init__(self, cell: Any, embedding: Any, start_tokens: Any, end_token: Any,
                 initial_state: Any, beam_width: int, output_layer: Any = None,
                 length_penalty_weight: Any = 0.0, coverage_penalty_weight: Any = 0.0,
                 reorder_tensor_arrays: bool = True):
        _rnn_core.assert_like_rnncell("cell", cell)
        check_layer("output_layer", output_layer)
        self._cell = cell
        self._output_layer = output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._beam_width = beam_width
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._embedding_fn = embedding if callable(embedding) \
            else (lambda ids: tf.nn.embedding_lookup(embedding, ids))
        self._start_tokens = tf.convert_to_tensor(start_tokens, dtype=tf.int32,
                                                  name="start_tokens")
        if self._start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._end_token = tf.convert_to_tensor(end_token, dtype=tf.int32, name="end_token")
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = tf.size(start_tokens)
        self._initial_cell_state = nest.map_structure(self._maybe_split_batch_beams,
                                                      initial_state, self._cell.state_size)
        self._start_tokens = tf.tile(tf.expand_dims(self._start_tokens, 1), [1, beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        self._finished = tf.one_hot(tf.zeros([self._batch_size], dtype=tf.int32),
                                    depth=beam_width, on_value=False, off_value=True,
                                    dtype=tf.bool)

    # -- sizes ----------------------------------------------------------------
    @property
    def batch_size(self) -> Any:
        return self._batch_size

    def _rnn_output_size(self) -> Any:
        return output_size_of(self._output_layer, self._cell.output_size)

    @property
    def tracks_own_finished(self) -> bool:
        """True: beams are reordered every step, so the decoder reports
        ``finished`` itself."""
        return True

    @property
    def output_size(self) -> BeamSearchDecoderOutput:
        shape = tf.TensorShape([self._beam_width])
        return BeamSearchDecoderOutput(scores=shape, predicted_ids=shape, parent_ids=shape)

    @property
    def output_dtype(self) -> BeamSearchDecoderOutput:
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(
            scores=nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            predicted_ids=tf.int32, parent_ids=tf.int32)

    # -- decoding ---------------------------------------------------------------
    def initialize(self, name: Optional[str] = None) -> tuple:
        """``(finished, start_inputs, initial BeamSearchDecoderState)``: beam 0
        starts with log-probability 0, the others with ``-inf``."""
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        log_probs = tf.one_hot(tf.zeros([self._batch_size], dtype=tf.int32),
                               depth=self._beam_width,
                               on_value=tf.convert_to_tensor(0.0, dtype=dtype),
                               off_value=tf.convert_to_tensor(-np.inf, dtype=dtype), dtype=dtype)
        init_attention_probs = get_attention_probs(self._initial_cell_state,
                                                   self._coverage_penalty_weight)
        if init_attention_probs is None:
            init_attention_probs = ()
        state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state, log_probs=log_probs, finished=self._finished,
            lengths=tf.zeros([self._batch_size, self._beam_width], dtype=tf.int64),
            accumulated_attention_probs=init_attention_probs)
        return self._finished, self._start_inputs, state

    def step(self, time: Any, inputs: Any, state: BeamSearchDecoderState,
             name: Optional[str] = None) -> tuple:
        """One beam step: ``(BeamSearchDecoderOutput, next_state, next_inputs, finished)``."""
        with tf.name_scope(name or "BeamSearchDecoderStep"):
            inputs = nest.map_structure(lambda inp: self._merge_batch_beams(inp, inp.shape[2:]),
                                        inputs)
            cell_state = nest.map_structure(self._maybe_merge_batch_beams, state.cell_state,
                                            self._cell.state_size)
            cell_outputs, next_cell_state = self._cell(inputs, cell_state)
            cell_outputs = nest.map_structure(
                lambda out: self._split_batch_beams(out, out.shape[1:]), cell_outputs)
            next_cell_state = nest.map_structure(self._maybe_split_batch_beams, next_cell_state,
                                                 self._cell.state_size)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            output, next_state = _beam_search_step(
                time=time, logits=cell_outputs, next_cell_state=next_cell_state, beam_state=state,
                batch_size=self._batch_size, beam_width=self._beam_width,
                end_token=self._end_token, length_penalty_weight=self._length_penalty_weight,
                coverage_penalty_weight=self._coverage_penalty_weight)
            finished = next_state.finished
            next_inputs = tf.cond(tf.reduce_all(finished), lambda: self._start_inputs,
                                  lambda: self._embedding_fn(output.predicted_ids))
        return output, next_state, next_inputs, finished

    def finalize(self, outputs: BeamSearchDecoderOutput, final_state: BeamSearchDecoderState,
                 sequence_lengths: Any) -> tuple:
        """``gather_tree`` the per-step ids into whole hypotheses; reorder
        ``TensorArray`` s of the cell state (``reorder_tensor_arrays``)."""
        del sequence_lengths
        max_lengths = tf.cast(tf.reduce_max(final_state.lengths, axis=1), tf.int32)
        predicted_ids = gather_tree(outputs.predicted_ids, outputs.parent_ids,
                                    max_sequence_lengths=max_lengths, end_token=self._end_token)
        if self._reorder_tensor_arrays:
            final_state = final_state._replace(cell_state=nest.map_structure(
                lambda t: self._maybe_sort_array_beams(t, outputs.parent_ids,
                                                       final_state.lengths),
                final_state.cell_state))
        return FinalBeamSearchDecoderOutput(beam_search_decoder_output=outputs,
                                            predicted_ids=predicted_ids), final_state

    # -- reshaping between [batch * beam, ...] and [batch, beam, ...] ----------
    def _merge_batch_beams(self, t: tf.Tensor, s: Any = None) -> tf.Tensor:
        s = _as_shape(s)
        static_batch = constant_value(self._batch_size)
        merged = tf.reshape(t, tf.concat(([self._batch_size * self._beam_width],
                                          tf.shape(t)[2:]), 0))
        merged.set_shape(tf.TensorShape(
            [None if static_batch is None else static_batch * self._beam_width]).concatenate(s))
        return merged

    def _split_batch_beams(self, t: tf.Tensor, s: Any = None) -> tf.Tensor:
        s = _as_shape(s)
        split = tf.reshape(t, tf.concat(([self._batch_size, self._beam_width], tf.shape(t)[1:]), 0))
        expected = tf.TensorShape([constant_value(self._batch_size),
                                   self._beam_width]).concatenate(s)
        if not split.shape.is_compatible_with(expected):
            raise ValueError(
                "Unexpected behavior when reshaping between beam width and batch size.  The "
                f"reshaped tensor has shape: {split.shape}.  We expected it to have shape "
                f"(batch_size, beam_width, depth) == {expected}.  Perhaps you forgot to create "
                "a zero_state with batch_size=encoder_batch_size * beam_width?")
        split.set_shape(expected)
        return split

    def _maybe_split_batch_beams(self, t: Any, s: Any) -> Any:
        if isinstance(t, tf.TensorArray):
            return t
        _check_ndims(t)
        return self._split_batch_beams(t, s) if t.shape.rank >= 1 else t

    def _maybe_merge_batch_beams(self, t: Any, s: Any) -> Any:
        if isinstance(t, tf.TensorArray):
            return t
        _check_ndims(t)
        return self._merge_batch_beams(t, s) if t.shape.rank >= 2 else t

    def _maybe_sort_array_beams(self, t: Any, parent_ids: tf.Tensor,
                                sequence_length: tf.Tensor) -> Any:
        if not isinstance(t, tf.TensorArray):
            return t
        element_shape = t.element_shape
        if element_shape.rank is None or element_shape.rank < 1:
            _log.warning("The TensorArray in the cell state is not amenable to sorting based on "
                         "the beam search result. For a TensorArray to be sorted, its elements "
                         "shape must be defined and have at least a rank of 1, but saw shape: %s",
                         element_shape)
            return t
        if not _check_static_batch_beam_maybe(element_shape, constant_value(self._batch_size),
                                              self._beam_width):
            return t
        stacked = t.stack()
        with tf.control_dependencies([_check_batch_beam(stacked, self._batch_size,
                                                        self._beam_width)]):
            return gather_tree_from_array(stacked, parent_ids, sequence_length)


# --------------------------------------------------------------------------- one step
def _beam_search_step(time: Any, logits: tf.Tensor, next_cell_state: Any,
                      beam_state: BeamSearchDecoderState, batch_size: Any, beam_width: int,
                      end_token: tf.Tensor, length_penalty_weight: Any,
                      coverage_penalty_weight: Any) -> tuple:
    static_batch = constant_value(batch_size)
    lengths = beam_state.lengths
    previously_finished = beam_state.finished
    not_finished = tf.logical_not(previously_finished)

    step_log_probs = _mask_probs(tf.nn.log_softmax(logits), end_token, previously_finished)
    total_probs = tf.expand_dims(beam_state.log_probs, 2) + step_log_probs

    vocab_size = static_axis(logits, -1) or tf.shape(logits)[-1]
    # A candidate's length is its beam's length + 1, except for end_token and on
    # finished beams. TF1 built these [batch, beam, vocab] lengths with one_hot and
    # took the penalty's power of each; the two possible values per beam give the
    # same numbers with [batch, beam] powers.
    grows = tf.logical_and(tf.not_equal(tf.range(vocab_size), end_token),
                           tf.expand_dims(not_finished, 2))

    accumulated_attention_probs = None
    attention_probs = get_attention_probs(next_cell_state, coverage_penalty_weight)
    if attention_probs is not None:
        attention_probs *= tf.expand_dims(tf.cast(not_finished, tf.float32), 2)
        accumulated_attention_probs = beam_state.accumulated_attention_probs + attention_probs

    scores = _get_scores(log_probs=total_probs, lengths=lengths, grows=grows,
                         length_penalty_weight=length_penalty_weight,
                         coverage_penalty_weight=coverage_penalty_weight,
                         finished=previously_finished,
                         accumulated_attention_probs=accumulated_attention_probs)

    scores_flat = tf.reshape(scores, [batch_size, -1])
    next_beam_size = tf.convert_to_tensor(beam_width, dtype=tf.int32, name="beam_width")
    next_beam_scores, word_indices = tf.math.top_k(scores_flat, k=next_beam_size)
    next_beam_scores.set_shape([static_batch, beam_width])
    word_indices.set_shape([static_batch, beam_width])

    next_beam_probs = _tensor_gather_helper(word_indices, total_probs, batch_size,
                                            range_size=beam_width * vocab_size, gather_shape=[-1],
                                            name="next_beam_probs")
    next_word_ids = tf.cast(tf.math.floormod(word_indices, vocab_size, name="next_beam_word_ids"),
                            tf.int32)
    next_beam_ids = tf.cast(word_indices // vocab_size, tf.int32, name="next_beam_parent_ids")

    previously_finished = _tensor_gather_helper(next_beam_ids, previously_finished, batch_size,
                                                range_size=beam_width, gather_shape=[-1])
    next_finished = tf.logical_or(previously_finished, tf.equal(next_word_ids, end_token),
                                  name="next_beam_finished")
    next_lengths = _tensor_gather_helper(next_beam_ids, beam_state.lengths, batch_size,
                                         range_size=beam_width, gather_shape=[-1])
    next_lengths += tf.cast(tf.logical_not(previously_finished), tf.int64)
    next_accumulated = ()
    if accumulated_attention_probs is not None:
        next_accumulated = _tensor_gather_helper(
            next_beam_ids, accumulated_attention_probs, batch_size, range_size=beam_width,
            gather_shape=[batch_size * beam_width, -1], name="next_accumulated_attention_probs")
    next_cell_state = nest.map_structure(
        lambda gather_from: _maybe_tensor_gather_helper(
            next_beam_ids, gather_from, batch_size, range_size=beam_width,
            gather_shape=[batch_size * beam_width, -1]),
        next_cell_state)
    next_state = BeamSearchDecoderState(
        cell_state=next_cell_state, log_probs=next_beam_probs, lengths=next_lengths,
        finished=next_finished, accumulated_attention_probs=next_accumulated)
    output = BeamSearchDecoderOutput(scores=next_beam_scores, predicted_ids=next_word_ids,
                                     parent_ids=next_beam_ids)
    return output, next_state


def attention_probs_from_attn_state(attention_state: AttentionWrapperState) -> tf.Tensor:
    """The state's alignments (averaged over mechanisms when several)."""
    probs = attention_state.alignments
    if isinstance(probs, tuple):
        probs = tf.reduce_mean(tf.concat([tf.expand_dims(p, -1) for p in probs], -1), -1)
    return probs


def get_attention_probs(next_cell_state: Any, coverage_penalty_weight: Any) -> Any:
    """The attention probabilities for the coverage penalty, or ``None`` when
    the penalty is off.

    Raises:
      ValueError: a coverage penalty without an ``AttentionWrapper`` state.
    """
    if not tf.is_tensor(coverage_penalty_weight) and coverage_penalty_weight == 0.0:
        return None
    per_layer = []
    if isinstance(next_cell_state, AttentionWrapperState):
        per_layer = [attention_probs_from_attn_state(next_cell_state)]
    elif isinstance(next_cell_state, tuple):
        per_layer = [attention_probs_from_attn_state(s) for s in next_cell_state
                     if isinstance(s, AttentionWrapperState)]
    if not per_layer:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    if len(per_layer) == 1:
        return per_layer[0]
    return tf.reduce_mean(tf.concat([tf.expand_dims(p, -1) for p in per_layer], -1), -1)


def _get_scores(log_probs: tf.Tensor, lengths: tf.Tensor, grows: tf.Tensor,
                length_penalty_weight: Any, coverage_penalty_weight: Any, finished: tf.Tensor,
                accumulated_attention_probs: Any) -> tf.Tensor:
    """``log_probs / lp(candidate length) (+ coverage penalty)``; a candidate's
    length is ``lengths + 1`` where ``grows``, else ``lengths``."""
    same = _length_penalty(lengths, length_penalty_weight)
    if isinstance(same, float):  # no length penalty
        scores = log_probs / tf.cast(same, log_probs.dtype)
    else:
        longer = _length_penalty(lengths + 1, length_penalty_weight)
        penalty = tf.where(grows, tf.expand_dims(longer, 2), tf.expand_dims(same, 2))
        scores = log_probs / tf.cast(penalty, log_probs.dtype)
    coverage_penalty_weight = tf.convert_to_tensor(coverage_penalty_weight,
                                                   name="coverage_penalty_weight")
    if coverage_penalty_weight.shape.rank != 0:
        raise ValueError("coverage_penalty_weight should be a scalar, but saw shape: "
                         f"{coverage_penalty_weight.shape}")
    if tf.get_static_value(coverage_penalty_weight) == 0.0:
        return scores
    if accumulated_attention_probs is None:
        raise ValueError("accumulated_attention_probs can be None only if coverage penalty is "
                         "disabled.")
    probs = tf.where(tf.equal(accumulated_attention_probs, 0.0),
                     tf.ones_like(accumulated_attention_probs), accumulated_attention_probs)
    coverage_penalty = tf.reduce_sum(tf.math.log(tf.minimum(probs, 1.0)), 2)
    coverage_penalty *= tf.cast(finished, tf.float32)
    weighted = tf.expand_dims(coverage_penalty * coverage_penalty_weight, 2)
    return scores + weighted


def _length_penalty(sequence_lengths: tf.Tensor, penalty_factor: Any) -> Any:
    """``((5 + n) / 6) ** penalty_factor`` (1.0 when the factor is statically 0)."""
    penalty_factor = tf.convert_to_tensor(penalty_factor, name="penalty_factor")
    penalty_factor.set_shape(())
    static = tf.get_static_value(penalty_factor)
    if static is not None and static == 0:
        return 1.0
    return tf.math.divide((5. + tf.cast(sequence_lengths, tf.float32)) ** penalty_factor,
                          (5. + 1.) ** penalty_factor)


def _mask_probs(probs: tf.Tensor, eos_token: tf.Tensor, finished: tf.Tensor) -> tf.Tensor:
    """Finished beams may only emit ``eos_token``, at log-probability 0 (every
    other word: the dtype's lowest value)."""
    finished_row = tf.one_hot(eos_token, tf.shape(probs)[2], dtype=probs.dtype,
                              on_value=tf.convert_to_tensor(0., dtype=probs.dtype),
                              off_value=probs.dtype.min)
    return tf.where(tf.expand_dims(finished, 2), finished_row, probs)


def _maybe_tensor_gather_helper(gather_indices: tf.Tensor, gather_from: Any, batch_size: Any,
                                range_size: Any, gather_shape: list) -> Any:
    if isinstance(gather_from, tf.TensorArray):
        return gather_from
    _check_ndims(gather_from)
    if gather_from.shape.rank >= len(gather_shape):
        return _tensor_gather_helper(gather_indices, gather_from, batch_size, range_size,
                                     gather_shape)
    return gather_from


def _tensor_gather_helper(gather_indices: tf.Tensor, gather_from: tf.Tensor, batch_size: Any,
                          range_size: Any, gather_shape: list,
                          name: Optional[str] = None) -> tf.Tensor:
    """Row ``gather_indices[b, k]`` of batch entry ``b`` of ``gather_from``."""
    with tf.name_scope(name or "tensor_gather_helper"):
        range_ = tf.expand_dims(tf.range(batch_size) * range_size, 1)
        flat_indices = tf.reshape(gather_indices + range_, [-1])
        output = tf.gather(tf.reshape(gather_from, gather_shape), flat_indices)
        final_shape = tf.shape(gather_from)[:1 + len(gather_shape)]
        output = tf.reshape(output, final_shape, name="output")
        output.set_shape(tf.TensorShape([constant_value(batch_size)]).concatenate(
            gather_from.shape[1:1 + len(gather_shape)]))
        return output
