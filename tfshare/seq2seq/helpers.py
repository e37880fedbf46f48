"""Sampling helpers of ``BasicDecoder`` (TF1 ``tf.contrib.seq2seq`` helpers).

A helper tells the decoder what to feed at each step and when a sequence is
finished: ``initialize() -> (finished, first_inputs)``, ``sample(time,
outputs, state) -> sample_ids`` and ``next_inputs(time, outputs, state,
sample_ids) -> (finished, next_inputs, next_state)``.

=====================================  ===================================================
helper                                 next input / finished
=====================================  ===================================================
``TrainingHelper``                     ``inputs[:, t+1]``; ``t+1 >= sequence_length``
``ScheduledEmbeddingTrainingHelper``   with probability p: ``embedding(sample)``, else
                                       the true input (``sample_id = -1``)
``ScheduledOutputTrainingHelper``      with probability p: the output itself, else the
                                       true input
``GreedyEmbeddingHelper``              ``embedding(argmax(outputs))``; ``== end_token``
``SampleEmbeddingHelper``              ``embedding(sample(outputs / temperature))``
``InferenceHelper``                    ``next_inputs_fn(sample_fn(outputs))``; ``end_fn``
``CustomHelper``                       user functions
=====================================  ===================================================

Random draws use the same ops as TF1 (``RandomUniform`` and ``Multinomial``
with the given ``seed``), so in graph mode with the same graph seed and op
seeds they draw the same numbers as TF 1.15.
"""
from __future__ import annotations

import abc
from typing import Any, Callable, Optional

import tensorflow as tf

from tfshare.seq2seq._common import transpose_batch_time, where_rows

__all__ = [
    "Helper",
    "TrainingHelper",
    "GreedyEmbeddingHelper",
    "SampleEmbeddingHelper",
    "CustomHelper",
    "ScheduledEmbeddingTrainingHelper",
    "ScheduledOutputTrainingHelper",
    "InferenceHelper",
]

nest = tf.nest


# --------------------------------------------------------------------------- sampling
def _call_sampler(sample_n_fn: Callable, sample_shape: Any) -> tf.Tensor:
    """Draw ``prod(sample_shape)`` samples and reshape to ``sample_shape + batch``."""
    with tf.name_scope("call_sampler"):
        sample_shape = tf.convert_to_tensor(sample_shape, dtype=tf.int32, name="sample_shape")
        pad = tf.cast(tf.equal(tf.rank(sample_shape), 0), tf.int32)
        sample_shape = tf.reshape(sample_shape, tf.pad(tf.shape(sample_shape), paddings=[[pad, 0]],
                                                       constant_values=1))
        samples = sample_n_fn(tf.reduce_prod(sample_shape))
        final_shape = tf.concat([sample_shape, tf.shape(samples)[1:]], 0)
        return tf.reshape(samples, final_shape)


def bernoulli_sample(probs: Any = None, logits: Any = None, dtype: Any = tf.int32,
                     sample_shape: Any = (), seed: Optional[int] = None) -> tf.Tensor:
    """``uniform < probs`` cast to ``dtype`` (one ``RandomUniform`` op)."""
    probs = tf.sigmoid(logits, name="probs") if probs is None else tf.convert_to_tensor(probs)
    batch_shape = tf.shape(probs)

    def sample_n(n):
        uniform = tf.random.uniform(tf.concat([[n], batch_shape], 0), seed=seed, dtype=probs.dtype)
        return tf.cast(tf.less(uniform, probs), dtype)

    return _call_sampler(sample_n, sample_shape)


def categorical_sample(logits: Any, dtype: Any = tf.int32, sample_shape: Any = (),
                       seed: Optional[int] = None) -> tf.Tensor:
    """Category draws from ``logits`` ``[..., classes]`` (one ``Multinomial`` op)."""
    logits = tf.convert_to_tensor(logits, name="logits")
    event_size = tf.shape(logits)[-1]
    batch_shape = tf.shape(logits)[:-1]

    def sample_n(n):
        logits_2d = logits if logits.shape.rank == 2 else tf.reshape(logits, [-1, event_size])
        sample_dtype = tf.int64 if logits.dtype.size > 4 else tf.int32
        draws = tf.random.categorical(logits_2d, n, dtype=sample_dtype, seed=seed)
        draws = tf.reshape(tf.transpose(draws), tf.concat([[n], batch_shape], 0))
        return tf.cast(draws, dtype)

    return _call_sampler(sample_n, sample_shape)


def _unstack_ta(inp: tf.Tensor) -> tf.TensorArray:
    return tf.TensorArray(dtype=inp.dtype, size=tf.shape(inp)[0],
                          element_shape=inp.shape[1:]).unstack(inp)


def _embedding_fn(embedding: Any) -> Callable:
    if callable(embedding):
        return embedding
    return lambda ids: tf.nn.embedding_lookup(embedding, ids)


def _check_sampling_probability(p: Any) -> tf.Tensor:
    p = tf.convert_to_tensor(p, name="sampling_probability")
    if p.shape.rank not in (0, 1):
        raise ValueError("sampling_probability must be either a scalar or a vector. "
                         f"saw shape: {p.shape}")
    return p


def _check_tensor_outputs(outputs: Any) -> None:
    if not tf.is_tensor(outputs):
        raise TypeError(f"Expected outputs to be a single Tensor, got: {type(outputs)}")


# --------------------------------------------------------------------------- interface
class Helper(abc.ABC):
    """Interface of the sampling helpers used by ``BasicDecoder``."""

    @property
    @abc.abstractmethod
    def batch_size(self) -> Any:
        """Batch size of the tensors ``sample`` returns (a scalar int32 tensor)."""

    @property
    @abc.abstractmethod
    def sample_ids_shape(self) -> tf.TensorShape:
        """Shape of one sample (``sample`` without the batch axis)."""

    @property
    @abc.abstractmethod
    def sample_ids_dtype(self) -> tf.DType:
        """dtype of ``sample``'s result."""

    @abc.abstractmethod
    def initialize(self, name: Optional[str] = None) -> tuple:
        """``(initial_finished, initial_inputs)``."""

    @abc.abstractmethod
    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> Any:
        """``sample_ids``."""

    @abc.abstractmethod
    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        """``(finished, next_inputs, next_state)``."""


class CustomHelper(Helper):
    """A helper made of three user functions.

    Args:
      initialize_fn: ``() -> (finished, next_inputs)``.
      sample_fn: ``(time, outputs, state) -> sample_ids``.
      next_inputs_fn: ``(time, outputs, state, sample_ids) -> (finished,
        next_inputs, next_state)``.
      sample_ids_shape: shape of one sample (default: a scalar).
      sample_ids_dtype: dtype of the samples (default int32).
    """

    def __init__(self, initialize_fn: Callable, sample_fn: Callable, next_inputs_fn: Callable,
                 sample_ids_shape: Any = None, sample_ids_dtype: Any = None):
        self._initialize_fn = initialize_fn
        self._sample_fn = sample_fn
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = None
        self._sample_ids_shape = tf.TensorShape(sample_ids_shape or [])
        self._sample_ids_dtype = sample_ids_dtype or tf.int32

    @property
    def batch_size(self) -> Any:
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    @property
    def sample_ids_shape(self) -> tf.TensorShape:
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self) -> tf.DType:
        return self._sample_ids_dtype

    def initialize(self, name: Optional[str] = None) -> tuple:
        with tf.name_scope(name or f"{type(self).__name__}Initialize"):
            finished, next_inputs = self._initialize_fn()
            if self._batch_size is None:
                self._batch_size = tf.size(finished)
        return finished, next_inputs

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> Any:
        with tf.name_scope(name or f"{type(self).__name__}Sample"):
            return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        with tf.name_scope(name or f"{type(self).__name__}NextInputs"):
            return self._next_inputs_fn(time=time, outputs=outputs, state=state,
                                        sample_ids=sample_ids)


class TrainingHelper(Helper):
    """Teacher forcing: feeds ``inputs[:, t]`` (batch major unless
    ``time_major``); sequence ``b`` is finished once ``t + 1 >=
    sequence_length[b]``. ``sample`` is ``argmax(outputs)`` (int32).

    Raises:
      ValueError: ``sequence_length`` is not a vector.
    """

    def __init__(self, inputs: Any, sequence_length: Any, time_major: bool = False,
                 name: Optional[str] = None):
        with tf.name_scope(name or "TrainingHelper"):
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            self._inputs = inputs
            if not time_major:
                inputs = nest.map_structure(transpose_batch_time, inputs)
            self._input_tas = nest.map_structure(_unstack_ta, inputs)
            self._sequence_length = tf.convert_to_tensor(sequence_length, name="sequence_length")
            if self._sequence_length.shape.rank != 1:
                raise ValueError("Expected sequence_length to be a vector, but received shape: "
                                 f"{self._sequence_length.shape}")
            self._zero_inputs = nest.map_structure(lambda inp: tf.zeros_like(inp[0, :]), inputs)
            self._batch_size = tf.size(sequence_length)

    @property
    def inputs(self) -> Any:
        return self._inputs

    @property
    def sequence_length(self) -> tf.Tensor:
        return self._sequence_length

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> tf.TensorShape:
        return tf.TensorShape([])

    @property
    def sample_ids_dtype(self) -> tf.DType:
        return tf.int32

    def _read(self, time: Any) -> Any:
        return nest.map_structure(lambda ta: ta.read(time), self._input_tas)

    def initialize(self, name: Optional[str] = None) -> tuple:
        with tf.name_scope(name or "TrainingHelperInitialize"):
            finished = tf.equal(0, self._sequence_length)
            next_inputs = tf.cond(tf.reduce_all(finished), lambda: self._zero_inputs,
                                  lambda: self._read(0))
            return finished, next_inputs

    def sample(self, time: Any, outputs: Any, name: Optional[str] = None, **unused) -> tf.Tensor:
        with tf.name_scope(name or "TrainingHelperSample"):
            return tf.cast(tf.argmax(outputs, axis=-1), tf.int32)

    def next_inputs(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None,
                    **unused) -> tuple:
        with tf.name_scope(name or "TrainingHelperNextInputs"):
            next_time = time + 1
            finished = next_time >= self._sequence_length
            next_inputs = tf.cond(tf.reduce_all(finished), lambda: self._zero_inputs,
                                  lambda: self._read(next_time))
            return finished, next_inputs, state


def _scatter_merge(sampled_where: tf.Tensor, sampled: Any, kept_where: tf.Tensor, kept: Any,
                   base_shape: tf.Tensor) -> tf.Tensor:
    """Rows ``sampled_where`` from ``sampled`` plus rows ``kept_where`` from ``kept``."""
    return (tf.scatter_nd(indices=sampled_where, updates=sampled, shape=base_shape)
            + tf.scatter_nd(indices=kept_where, updates=kept, shape=base_shape))


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """Scheduled sampling on embeddings: at each step, with probability
    ``sampling_probability`` the next input is ``embedding(id)`` for an id drawn
    from the outputs (``seed``), else the true input. ``sample_ids`` is ``-1``
    where no sampling took place (the draw to sample uses ``scheduling_seed``).

    Raises:
      ValueError: ``sampling_probability`` is not a scalar or a vector.
    """

    def __init__(self, inputs: Any, sequence_length: Any, embedding: Any,
                 sampling_probability: Any, time_major: bool = False, seed: Optional[int] = None,
                 scheduling_seed: Optional[int] = None, name: Optional[str] = None):
        with tf.name_scope(name or "ScheduledEmbeddingSamplingWrapper"):
            self._embedding_fn = _embedding_fn(embedding)
            self._sampling_probability = _check_sampling_probability(sampling_probability)
            self._seed = seed
            self._scheduling_seed = scheduling_seed
            super().__init__(inputs=inputs, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> tf.Tensor:
        with tf.name_scope(name or "ScheduledEmbeddingTrainingHelperSample"):
            select = bernoulli_sample(probs=self._sampling_probability, dtype=tf.bool,
                                      sample_shape=self.batch_size, seed=self._scheduling_seed)
            return tf.where(select, categorical_sample(logits=outputs, seed=self._seed),
                            tf.fill([self.batch_size], -1))

    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        with tf.name_scope(name or "ScheduledEmbeddingTrainingHelperNextInputs"):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids, name=name)

            def maybe_sample():
                where_sampling = tf.cast(tf.where(sample_ids > -1), tf.int32)
                where_not_sampling = tf.cast(tf.where(sample_ids <= -1), tf.int32)
                ids = tf.gather_nd(sample_ids, where_sampling)
                kept = tf.gather_nd(base_next_inputs, where_not_sampling)
                return _scatter_merge(where_sampling, self._embedding_fn(ids), where_not_sampling,
                                      kept, tf.shape(base_next_inputs))

            next_inputs = tf.cond(tf.reduce_all(finished), lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class ScheduledOutputTrainingHelper(TrainingHelper):
    """Scheduled sampling on outputs: with probability ``sampling_probability``
    the next input is the output (through ``next_inputs_fn`` when given),
    concatenated with ``auxiliary_inputs[:, t+1]`` when given; else the true
    input. ``sample_ids`` are the (int32 0/1) draws.

    Raises:
      ValueError: ``sampling_probability`` is not a scalar or a vector.
    """

    def __init__(self, inputs: Any, sequence_length: Any, sampling_probability: Any,
                 time_major: bool = False, seed: Optional[int] = None,
                 next_inputs_fn: Optional[Callable] = None, auxiliary_inputs: Any = None,
                 name: Optional[str] = None):
        with tf.name_scope(name or "ScheduledOutputTrainingHelper"):
            self._sampling_probability = _check_sampling_probability(sampling_probability)
            if auxiliary_inputs is None:
                maybe_concatenated = inputs
            else:
                inputs = tf.convert_to_tensor(inputs, name="inputs")
                auxiliary_inputs = tf.convert_to_tensor(auxiliary_inputs, name="auxiliary_inputs")
                maybe_concatenated = nest.map_structure(lambda x, y: tf.concat((x, y), -1),
                                                        inputs, auxiliary_inputs)
                if not time_major:
                    auxiliary_inputs = nest.map_structure(transpose_batch_time, auxiliary_inputs)
            self._auxiliary_input_tas = (nest.map_structure(_unstack_ta, auxiliary_inputs)
                                         if auxiliary_inputs is not None else None)
            self._seed = seed
            self._next_inputs_fn = next_inputs_fn
            super().__init__(inputs=maybe_concatenated, sequence_length=sequence_length,
                             time_major=time_major, name=name)

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> tf.Tensor:
        with tf.name_scope(name or "ScheduledOutputTrainingHelperSample"):
            return bernoulli_sample(probs=self._sampling_probability,
                                    sample_shape=self.batch_size, seed=self._seed)

    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        with tf.name_scope(name or "ScheduledOutputTrainingHelperNextInputs"):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids, name=name)
            sample_ids = tf.cast(sample_ids, tf.bool)

            def with_auxiliary(outputs_, indices=None):
                if self._auxiliary_input_tas is None:
                    return outputs_
                aux = nest.map_structure(lambda ta: ta.read(time + 1), self._auxiliary_input_tas)
                if indices is not None:
                    aux = tf.gather_nd(aux, indices)
                return nest.map_structure(lambda x, y: tf.concat((x, y), -1), outputs_, aux)

            def maybe_sample():
                if self._next_inputs_fn is None:
                    return where_rows(sample_ids, with_auxiliary(outputs), base_next_inputs)
                where_sampling = tf.cast(tf.where(sample_ids), tf.int32)
                where_not_sampling = tf.cast(tf.where(tf.logical_not(sample_ids)), tf.int32)
                sampled = with_auxiliary(self._next_inputs_fn(tf.gather_nd(outputs, where_sampling)),
                                         where_sampling)
                kept = tf.gather_nd(base_next_inputs, where_not_sampling)
                return _scatter_merge(where_sampling, sampled, where_not_sampling, kept,
                                      tf.shape(base_next_inputs))

            no_samples = tf.logical_not(tf.reduce_any(sample_ids))
            next_inputs = tf.cond(tf.logical_or(tf.reduce_all(finished), no_samples),
                                  lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class GreedyEmbeddingHelper(Helper):
    """Greedy inference: ``sample = argmax(outputs)``, next input
    ``embedding(sample)``; a sequence is finished when it emits ``end_token``.

    Args:
      embedding: a callable ``ids -> inputs``, or the ``params`` of
        ``embedding_lookup``.
      start_tokens: int32 vector ``[batch]``.
      end_token: int32 scalar.

    Raises:
      ValueError: ``start_tokens`` not a vector or ``end_token`` not a scalar.
    """

    def __init__(self, embedding: Any, start_tokens: Any, end_token: Any):
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = tf.convert_to_tensor(start_tokens, dtype=tf.int32,
                                                  name="start_tokens")
        self._end_token = tf.convert_to_tensor(end_token, dtype=tf.int32, name="end_token")
        if self._start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._batch_size = tf.size(start_tokens)
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._start_inputs = self._embedding_fn(self._start_tokens)

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> tf.TensorShape:
        return tf.TensorShape([])

    @property
    def sample_ids_dtype(self) -> tf.DType:
        return tf.int32

    def initialize(self, name: Optional[str] = None) -> tuple:
        return tf.tile([False], [self._batch_size]), self._start_inputs

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> tf.Tensor:
        _check_tensor_outputs(outputs)
        return tf.argmax(outputs, axis=-1, output_type=tf.int32)

    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        finished = tf.equal(sample_ids, self._end_token)
        next_inputs = tf.cond(tf.reduce_all(finished), lambda: self._start_inputs,
                              lambda: self._embedding_fn(sample_ids))
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """Like ``GreedyEmbeddingHelper`` but draws the id from
    ``softmax(outputs / softmax_temperature)`` (``seed``)."""

    def __init__(self, embedding: Any, start_tokens: Any, end_token: Any,
                 softmax_temperature: Any = None, seed: Optional[int] = None):
        super().__init__(embedding, start_tokens, end_token)
        self._softmax_temperature = softmax_temperature
        self._seed = seed

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> tf.Tensor:
        _check_tensor_outputs(outputs)
        logits = outputs if self._softmax_temperature is None \
            else outputs / self._softmax_temperature
        return categorical_sample(logits=logits, seed=self._seed)


class InferenceHelper(Helper):
    """Inference with user functions: ``sample_ids = sample_fn(outputs)``,
    ``finished = end_fn(sample_ids)``, next input ``next_inputs_fn(sample_ids)``
    (or the sample ids themselves)."""

    def __init__(self, sample_fn: Callable, sample_shape: Any, sample_dtype: Any,
                 start_inputs: Any, end_fn: Callable, next_inputs_fn: Optional[Callable] = None):
        self._sample_fn = sample_fn
        self._end_fn = end_fn
        self._sample_shape = tf.TensorShape(sample_shape)
        self._sample_dtype = sample_dtype
        self._next_inputs_fn = next_inputs_fn
        self._batch_size = tf.shape(start_inputs)[0]
        self._start_inputs = tf.convert_to_tensor(start_inputs, name="start_inputs")

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> tf.TensorShape:
        return self._sample_shape

    @property
    def sample_ids_dtype(self) -> tf.DType:
        return self._sample_dtype

    def initialize(self, name: Optional[str] = None) -> tuple:
        return tf.tile([False], [self._batch_size]), self._start_inputs

    def sample(self, time: Any, outputs: Any, state: Any, name: Optional[str] = None) -> Any:
        return self._sample_fn(outputs)

    def next_inputs(self, time: Any, outputs: Any, state: Any, sample_ids: Any,
                    name: Optional[str] = None) -> tuple:
        next_inputs = sample_ids if self._next_inputs_fn is None else self._next_inputs_fn(sample_ids)
        return self._end_fn(sample_ids), next_inputs, state
