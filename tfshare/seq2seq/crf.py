"""Linear-chain conditional random fields (TF1 ``tf.contrib.crf``).

For unary potentials ``x`` ``[batch, T, num_tags]``, tags ``y`` and the
transition matrix ``A`` ``[num_tags, num_tags]``, over the first ``L``
(``sequence_lengths``) steps of each sequence:

* ``crf_sequence_score = Σ_t x[t, y_t] + Σ_{t>0} A[y_{t-1}, y_t]``
  (``crf_unary_score`` + ``crf_binary_score``);
* ``crf_log_norm = log Σ_y exp(score(y))`` (forward algorithm:
  ``α_0 = x_0``, ``α_t = x_t + logsumexp_i(α_{t-1}[i] + A[i, :])``);
* ``crf_log_likelihood = score(y) - log_norm``; without ``transition_params``
  it creates the variable ``transitions`` ``[num_tags, num_tags]`` with
  ``get_variable`` in the current variable scope (TF1's name);
* ``crf_decode`` / ``viterbi_decode`` (numpy): the best tag sequence and its
  score (max-product instead of sum-product, then backtracking).

Sequences of length 0 score 0. Steps past a sequence's length are ignored
(decoded tags there are 0). The forward/backward recursions run in a
``tf.while_loop`` with TF1's ``dynamic_rnn`` masking rule, using the public
``CrfForwardRnnCell`` / ``CrfDecodeForwardRnnCell`` / ``CrfDecodeBackwardRnnCell``
(which also work with ``tfshare.dynamic_rnn``).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from tfshare import variables as _vs
from tfshare._shapes import static_axis
from tfshare.seq2seq._common import transpose_batch_time, where_rows

__all__ = [
    "crf_sequence_score",
    "crf_log_norm",
    "crf_log_likelihood",
    "crf_unary_score",
    "crf_binary_score",
    "CrfForwardRnnCell",
    "viterbi_decode",
    "crf_decode",
    "CrfDecodeForwardRnnCell",
    "CrfDecodeBackwardRnnCell",
    "crf_multitag_sequence_score",
]


def _branch_on_single_step(inputs: tf.Tensor, single: Callable, multi: Callable) -> Any:
    """``single()`` when ``inputs`` has one time step, else ``multi()``; a
    ``tf.cond`` when the number of steps is not static."""
    steps = static_axis(inputs, 1)
    if steps is not None:
        return single() if steps == 1 else multi()
    return tf.cond(tf.equal(tf.shape(inputs)[1], 1), single, multi)


def _zero_where_empty(lengths: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
    return tf.where(tf.less_equal(lengths, 0), tf.zeros_like(values), values)


def _lengths_less_one(lengths: tf.Tensor) -> tf.Tensor:
    return tf.maximum(tf.constant(0, dtype=lengths.dtype), lengths - 1)


def _masked_loop(cell: Any, inputs: tf.Tensor, initial_state: tf.Tensor, lengths: tf.Tensor,
                 out_dtype: Any = None) -> tuple:
    """``dynamic_rnn(cell, inputs, lengths, initial_state)`` for the CRF cells:
    steps at ``t >= lengths[b]`` keep the state and output zeros. Returns
    ``(outputs [batch, time, ...] or None, final_state)``."""
    inputs_tm = transpose_batch_time(inputs)
    steps = tf.shape(inputs_tm)[0]
    lengths = tf.cast(lengths, tf.int32)
    tas_in = tf.TensorArray(inputs.dtype, size=steps, element_shape=inputs_tm.shape[1:]) \
        .unstack(inputs_tm)
    tas_out = () if out_dtype is None else tf.TensorArray(out_dtype, size=steps)

    def body(t, state, tas):
        output, new_state = cell(tas_in.read(t), state)
        done = t >= lengths
        new_state = where_rows(done, state, new_state)
        if out_dtype is not None:
            tas = tas.write(t, where_rows(done, tf.zeros_like(output), output))
        return t + 1, new_state, tas

    _, final_state, tas = tf.while_loop(lambda t, *_: t < steps, body,
                                        (tf.constant(0), initial_state, tas_out))
    final_state.set_shape(initial_state.shape)
    if out_dtype is None:
        return None, final_state
    return transpose_batch_time(tas.stack()), final_state


# --------------------------------------------------------------------------- scores
def crf_sequence_score(inputs: Any, tag_indices: Any, sequence_lengths: Any,
                       transition_params: Any) -> tf.Tensor:
    """Unnormalized score of ``tag_indices`` ``[batch, T]``: unary plus binary
    scores (a single step: the unary score only); ``[batch]``."""
    inputs = tf.convert_to_tensor(inputs)
    tag_indices = tf.convert_to_tensor(tag_indices)
    sequence_lengths = tf.convert_to_tensor(sequence_lengths)

    def single():
        batch_size = tf.shape(inputs, out_type=tag_indices.dtype)[0]
        example_inds = tf.reshape(tf.range(batch_size, dtype=tag_indices.dtype), [-1, 1])
        scores = tf.gather_nd(tf.squeeze(inputs, [1]),
                              tf.concat([example_inds, tag_indices], axis=1))
        return _zero_where_empty(sequence_lengths, scores)

    def multi():
        return (crf_unary_score(tag_indices, sequence_lengths, inputs)
                + crf_binary_score(tag_indices, sequence_lengths, transition_params))

    return _branch_on_single_step(inputs, single, multi)


def crf_multitag_sequence_score(inputs: Any, tag_bitmap: Any, sequence_lengths: Any,
                                transition_params: Any) -> tf.Tensor:
    """Log-sum of the scores of every tag sequence allowed by the boolean
    ``tag_bitmap`` ``[batch, T, num_tags]``; ``[batch]``."""
    inputs = tf.convert_to_tensor(inputs)

    def filtered():
        return tf.where(tag_bitmap, inputs, tf.fill(tf.shape(inputs), float("-inf")))

    return _branch_on_single_step(
        inputs, lambda: tf.reduce_logsumexp(filtered(), axis=[1, 2], keepdims=False),
        lambda: crf_log_norm(filtered(), sequence_lengths, transition_params))


def crf_log_norm(inputs: Any, sequence_lengths: Any, transition_params: Any) -> tf.Tensor:
    """The partition function ``log Σ_y exp(score(y))`` per sequence; ``[batch]``."""
    inputs = tf.convert_to_tensor(inputs)
    sequence_lengths = tf.convert_to_tensor(sequence_lengths)
    first_input = tf.squeeze(tf.slice(inputs, [0, 0, 0], [-1, 1, -1]), [1])

    def single():
        return _zero_where_empty(sequence_lengths, tf.reduce_logsumexp(first_input, [1]))

    def multi():
        rest = tf.slice(inputs, [0, 1, 0], [-1, -1, -1])
        _, alphas = _masked_loop(CrfForwardRnnCell(transition_params), rest, first_input,
                                 _lengths_less_one(sequence_lengths))
        return _zero_where_empty(sequence_lengths, tf.reduce_logsumexp(alphas, [1]))

    return _branch_on_single_step(inputs, single, multi)


def crf_log_likelihood(inputs: Any, tag_indices: Any, sequence_lengths: Any,
                       transition_params: Any = None) -> tuple:
    """``(log_likelihood [batch], transition_params)``; creates the variable
    ``transitions`` in the current variable scope when ``transition_params``
    is None."""
    inputs = tf.convert_to_tensor(inputs)
    num_tags = static_axis(inputs, 2)
    if transition_params is None:
        transition_params = _vs.get_variable("transitions", [num_tags, num_tags])
    sequence_scores = crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params)
    log_norm = crf_log_norm(inputs, sequence_lengths, transition_params)
    return sequence_scores - log_norm, transition_params


def crf_unary_score(tag_indices: Any, sequence_lengths: Any, inputs: Any) -> tf.Tensor:
    """``Σ_{t<L} inputs[t, tag_t]``; ``[batch]``."""
    inputs = tf.convert_to_tensor(inputs)
    tag_indices = tf.convert_to_tensor(tag_indices)
    batch_size, max_seq_len, num_tags = tf.unstack(tf.shape(inputs))
    flattened_inputs = tf.reshape(inputs, [-1])
    offsets = tf.expand_dims(tf.range(batch_size) * max_seq_len * num_tags, 1)
    offsets += tf.expand_dims(tf.range(max_seq_len) * num_tags, 0)
    if tag_indices.dtype == tf.int64:
        offsets = tf.cast(offsets, tf.int64)
    flat_tags = tf.reshape(offsets + tag_indices, [-1])
    unary = tf.reshape(tf.gather(flattened_inputs, flat_tags), [batch_size, max_seq_len])
    masks = tf.sequence_mask(sequence_lengths, maxlen=tf.shape(tag_indices)[1], dtype=tf.float32)
    return tf.reduce_sum(unary * masks, 1)


def crf_binary_score(tag_indices: Any, sequence_lengths: Any,
                     transition_params: Any) -> tf.Tensor:
    """``Σ_{0<t<L} A[tag_{t-1}, tag_t]``; ``[batch]``."""
    tag_indices = tf.convert_to_tensor(tag_indices)
    transition_params = tf.convert_to_tensor(transition_params)
    num_tags = static_axis(transition_params, 0)
    num_transitions = tf.shape(tag_indices)[1] - 1
    start = tf.slice(tag_indices, [0, 0], [-1, num_transitions])
    end = tf.slice(tag_indices, [0, 1], [-1, num_transitions])
    binary = tf.gather(tf.reshape(transition_params, [-1]), start * num_tags + end)
    masks = tf.sequence_mask(sequence_lengths, maxlen=tf.shape(tag_indices)[1], dtype=tf.float32)
    return tf.reduce_sum(binary * tf.slice(masks, [0, 1], [-1, -1]), 1)


# --------------------------------------------------------------------------- cells
class _CrfCell:
    """TF1 cell protocol (no variables): ``state_size``, ``output_size``,
    ``zero_state``, ``__call__(inputs, state, scope=None)``."""

    _num_tags: Optional[int] = None

    @property
    def state_size(self) -> Optional[int]:
        return self._num_tags

    @property
    def output_size(self) -> Optional[int]:
        return self._num_tags

    def zero_state(self, batch_size: Any, dtype: Any) -> tf.Tensor:
        return tf.zeros(tf.stack([batch_size, self.state_size]), dtype=dtype)


class _TransitionCell(_CrfCell):
    """A CRF cell over the transition matrix ``A`` ``[num_tags, num_tags]``."""

    def __init__(self, transition_params: Any):
        transition_params = tf.convert_to_tensor(transition_params)
        self._transition_params = tf.expand_dims(transition_params, 0)
        self._num_tags = static_axis(transition_params, 0)


class CrfForwardRnnCell(_TransitionCell):
    """One step of the forward algorithm: ``α' = x + logsumexp_i(α[i] + A[i, :])``
    (output and state)."""

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        scores = tf.expand_dims(state, 2) + self._transition_params
        new_alphas = inputs + tf.reduce_logsumexp(scores, [1])
        return new_alphas, new_alphas


class CrfDecodeForwardRnnCell(_TransitionCell):
    """One Viterbi step: state ``x + max_i(s[i] + A[i, :])``, output the
    backpointers ``argmax_i`` (int32)."""

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        scores = tf.expand_dims(state, 2) + self._transition_params
        new_state = inputs + tf.reduce_max(scores, [1])
        backpointers = tf.cast(tf.argmax(scores, 1), dtype=tf.int32)
        return backpointers, new_state


class CrfDecodeBackwardRnnCell(_CrfCell):
    """One backtracking step: the state (``[batch, 1]`` tag) indexes the
    backpointers ``inputs`` ``[batch, num_tags]``; output and state the new tag."""

    def __init__(self, num_tags: int):
        self._num_tags = num_tags

    @property
    def state_size(self) -> int:
        return 1

    @property
    def output_size(self) -> int:
        return 1

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        state = tf.squeeze(state, axis=[1])
        indices = tf.stack([tf.range(tf.shape(inputs)[0]), state], axis=1)
        new_tags = tf.expand_dims(tf.gather_nd(inputs, indices), axis=-1)
        return new_tags, new_tags


# --------------------------------------------------------------------------- decoding
def viterbi_decode(score: np.ndarray, transition_params: np.ndarray) -> tuple:
    """Best tag sequence of one sequence, in numpy: ``score`` ``[T, num_tags]``.

    Returns:
      ``(viterbi, viterbi_score)``: a list of ``T`` ints and the best score.
    """
    steps = score.shape[0]
    trellis = np.zeros_like(score)
    backpointers = np.zeros_like(score, dtype=np.int32)
    trellis[0] = score[0]
    for t in range(1, steps):
        candidates = trellis[t - 1][:, None] + transition_params
        trellis[t] = score[t] + candidates.max(axis=0)
        backpointers[t] = candidates.argmax(axis=0)
    best = [int(np.argmax(trellis[-1]))]
    for t in range(steps - 1, 0, -1):
        best.append(int(backpointers[t][best[-1]]))
    best.reverse()
    return best, np.max(trellis[-1])


def crf_decode(potentials: Any, transition_params: Any, sequence_length: Any) -> tuple:
    """Viterbi decoding in TensorFlow.

    Returns:
      ``(decode_tags [batch, T] int32, best_score [batch])``; tags past a
      sequence's length are 0.
    """
    potentials = tf.convert_to_tensor(potentials)
    sequence_length = tf.convert_to_tensor(sequence_length)

    def single():
        squeezed = tf.squeeze(potentials, [1])
        tags = tf.expand_dims(tf.argmax(squeezed, axis=1), 1)
        return tf.cast(tags, dtype=tf.int32), tf.reduce_max(squeezed, axis=1)

    def multi():
        num_tags = static_axis(potentials, 2)
        initial_state = tf.squeeze(tf.slice(potentials, [0, 0, 0], [-1, 1, -1]), axis=[1])
        inputs = tf.slice(potentials, [0, 1, 0], [-1, -1, -1])
        lengths_less_one = _lengths_less_one(sequence_length)
        backpointers, last_score = _masked_loop(CrfDecodeForwardRnnCell(transition_params),
                                                inputs, initial_state, lengths_less_one, tf.int32)
        backpointers = tf.reverse_sequence(backpointers, lengths_less_one, seq_axis=1,
                                           batch_axis=0)
        best_last = tf.expand_dims(tf.cast(tf.argmax(last_score, axis=1), dtype=tf.int32), -1)
        tags, _ = _masked_loop(CrfDecodeBackwardRnnCell(num_tags), backpointers, best_last,
                               lengths_less_one, tf.int32)
        tags = tf.concat([best_last, tf.squeeze(tags, axis=[2])], axis=1)
        tags = tf.reverse_sequence(tags, sequence_length, seq_axis=1, batch_axis=0)
        return tags, tf.reduce_max(last_score, axis=1)

    return _branch_on_single_step(potentials, single, multi)
