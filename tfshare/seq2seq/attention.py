"""Attention mechanisms of ``tf.contrib.seq2seq`` (TF1 math, names and errors).

A mechanism is built on a ``memory`` ``[batch, max_time, depth]`` (encoder
outputs): ``values = memory`` masked past ``memory_sequence_length``;
``keys = memory_layer(values)``. Called with a decoder ``query`` and its
previous ``state`` (the previous alignments) it returns ``(alignments,
next_state)``, ``alignments`` ``[batch, max_time]``.

=============================  =======================================================
mechanism                      score (before masking and ``probability_fn``)
=============================  =======================================================
``LuongAttention``             ``score_j = query · keys_j`` (``* g`` with ``scale``)
``BahdanauAttention``          ``score_j = v · tanh(keys_j + W_q query)``; with
                               ``normalize``: ``g v/|v| · tanh(keys_j + W_q query + b)``
``LuongMonotonicAttention``    Luong score ``+ r``, then :func:`monotonic_attention`
``BahdanauMonotonicAttention`` Bahdanau score ``+ r``, then :func:`monotonic_attention`
=============================  =======================================================

TF1 variables (mechanism built in scope ``S``, called by an ``AttentionWrapper``
whose scope is ``W``):

* ``S/memory_layer/kernel`` ``[depth, num_units]`` (``memory_layer_1``, ... for
  more mechanisms in the same scope);
* ``W/bahdanau_attention/query_layer/kernel`` ``[query depth, num_units]``,
  ``W/bahdanau_attention/attention_v`` ``[num_units]`` and, with
  ``normalize``, ``.../attention_g`` (scalar, ``sqrt(1/num_units)``) and
  ``.../attention_b`` ``[num_units]`` (zeros);
* ``W/luong_attention/attention_g`` (scalar, 1.0) with ``scale``;
* monotonic variants: scopes ``bahdanau_monotonic_attention`` /
  ``luong_monotonic_attention`` and a scalar ``attention_score_bias``
  (``score_bias_init``).

Masking: scores past ``memory_sequence_length`` become ``score_mask_value``
(default ``-inf``) before ``probability_fn`` (default softmax); every length
must be > 0 (checked at run time, TF1's message).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from tfshare import variables as _vs
from tfshare._shapes import static_axis
from tfshare.seq2seq._common import Dense, static_or_dynamic, zero_state_tensors

__all__ = [
    "AttentionMechanism",
    "LuongAttention",
    "BahdanauAttention",
    "LuongMonotonicAttention",
    "BahdanauMonotonicAttention",
    "hardmax",
    "safe_cumprod",
    "monotonic_attention",
]

nest = tf.nest


# --------------------------------------------------------------------------- functions
def hardmax(logits: Any, name: Optional[str] = None) -> tf.Tensor:
    """One-hot of ``argmax(logits, -1)`` in the dtype of ``logits``."""
    with tf.name_scope(name or "Hardmax"):
        logits = tf.convert_to_tensor(logits, name="logits")
        depth = static_axis(logits, -1)
        if depth is None:
            depth = tf.shape(logits)[-1]
        return tf.one_hot(tf.argmax(logits, -1), depth, dtype=logits.dtype)


def safe_cumprod(x: Any, *args: Any, **kwargs: Any) -> tf.Tensor:
    """``cumprod(x)`` computed as ``exp(cumsum(log(clip(x, tiny, 1))))`` (no
    underflow to 0 for long products); extra arguments go to ``cumsum``."""
    with tf.name_scope("SafeCumprod"):
        x = tf.convert_to_tensor(x, name="x")
        tiny = np.finfo(x.dtype.as_numpy_dtype).tiny
        return tf.exp(tf.cumsum(tf.math.log(tf.clip_by_value(x, tiny, 1)), *args, **kwargs))


def monotonic_attention(p_choose_i: Any, previous_attention: Any, mode: str) -> tf.Tensor:
    """Expected monotonic alignment (Raffel et al. 2017) from the choosing
    probabilities ``p_choose_i`` ``[batch, T]`` and the previous alignment.

    ``mode``: ``"recursive"`` (a ``scan`` over memory steps), ``"parallel"``
    (cumulative products, can be inexact when ``p_choose_i`` is near 1) or
    ``"hard"`` (``p_choose_i`` in {0, 1}, previous attention one-hot).

    Raises:
      ValueError: unknown ``mode``.
    """
    p_choose_i = tf.convert_to_tensor(p_choose_i, name="p_choose_i")
    previous_attention = tf.convert_to_tensor(previous_attention, name="previous_attention")
    if mode == "recursive":
        batch_size = static_or_dynamic(p_choose_i, 0)
        shifted = tf.concat([tf.ones((batch_size, 1)), 1 - p_choose_i[:, :-1]], 1)
        scanned = tf.scan(lambda x, yz: tf.reshape(yz[0] * x + yz[1], (batch_size,)),
                          [tf.transpose(shifted), tf.transpose(previous_attention)],
                          tf.zeros((batch_size,)))
        return p_choose_i * tf.transpose(scanned)
    if mode == "parallel":
        cumprod_1mp = safe_cumprod(1 - p_choose_i, axis=1, exclusive=True)
        return p_choose_i * cumprod_1mp * tf.cumsum(
            previous_attention / tf.clip_by_value(cumprod_1mp, 1e-10, 1.), axis=1)
    if mode == "hard":
        p_choose_i *= tf.cumsum(previous_attention, axis=1)
        return p_choose_i * tf.math.cumprod(1 - p_choose_i, axis=1, exclusive=True)
    raise ValueError("mode must be 'recursive', 'parallel', or 'hard'.")


def _monotonic_probability_fn(score: tf.Tensor, previous_alignments: tf.Tensor,
                              sigmoid_noise: float, mode: str,
                              seed: Optional[int] = None) -> tf.Tensor:
    if sigmoid_noise > 0:
        score += sigmoid_noise * tf.random.normal(tf.shape(score), dtype=score.dtype, seed=seed)
    if mode == "hard":
        p_choose_i = tf.cast(score > 0, score.dtype)
    else:
        p_choose_i = tf.sigmoid(score)
    return monotonic_attention(p_choose_i, previous_alignments, mode)


def luong_score(query: tf.Tensor, keys: tf.Tensor, scale: Any = None) -> tf.Tensor:
    """``score[b, j] = query[b] · keys[b, j]`` (times ``scale`` when given).

    Raises:
      ValueError: query and keys depths differ (TF1's text).
    """
    depth, key_units = static_axis(query, -1), static_axis(keys, -1)
    if depth is not None and key_units is not None and depth != key_units:
        raise ValueError(
            "Incompatible or unknown inner dimensions between query and keys.  "
            f"Query ({query}) has units: {depth}.  Keys ({keys}) have units: {key_units}.  "
            f"Perhaps you need to set num_units to the keys' dimension ({key_units})?")
    score = tf.squeeze(tf.matmul(tf.expand_dims(query, 1), keys, transpose_b=True), [1])
    return score if scale is None else scale * score


def bahdanau_score(processed_query: tf.Tensor, keys: tf.Tensor, attention_v: Any,
                   attention_g: Any = None, attention_b: Any = None) -> tf.Tensor:
    """``score[b, j] = v · tanh(keys[b, j] + q[b])``; normalized (``g`` and ``b``
    given): ``(g v / |v|) · tanh(keys[b, j] + q[b] + b)``."""
    processed_query = tf.expand_dims(processed_query, 1)
    if attention_g is not None and attention_b is not None:
        normed_v = attention_g * attention_v * tf.math.rsqrt(
            tf.reduce_sum(tf.square(attention_v)))
        return tf.reduce_sum(normed_v * tf.tanh(keys + processed_query + attention_b), [2])
    return tf.reduce_sum(attention_v * tf.tanh(keys + processed_query), [2])


def prepare_memory(memory: Any, memory_sequence_length: Any = None,
                   check_inner_dims_defined: bool = True) -> Any:
    """``memory`` as tensors, zeroed past ``memory_sequence_length``.

    Raises:
      ValueError: an inner dimension (axis >= 2) of ``memory`` is unknown.
    """
    memory = nest.map_structure(lambda m: tf.convert_to_tensor(m, name="memory"), memory)
    if memory_sequence_length is not None:
        memory_sequence_length = tf.convert_to_tensor(memory_sequence_length,
                                                      name="memory_sequence_length")
    if check_inner_dims_defined:
        for m in nest.flatten(memory):
            if not m.shape[2:].is_fully_defined():
                raise ValueError(f"Expected memory {getattr(m, 'name', m)} to have fully defined "
                                 f"inner dims, but saw shape: {m.shape}")
    if memory_sequence_length is None:
        return memory
    first = nest.flatten(memory)[0]
    mask = tf.sequence_mask(memory_sequence_length, maxlen=tf.shape(first)[1], dtype=first.dtype)

    def apply(m):
        rank = m.shape.rank if m.shape.rank is not None else tf.rank(m)
        extra_ones = tf.ones(rank - 2, dtype=tf.int32)
        return m * tf.reshape(mask, tf.concat((tf.shape(mask), extra_ones), 0))

    return nest.map_structure(apply, memory)


def mask_score(score: tf.Tensor, memory_sequence_length: Any, score_mask_value: Any) -> tf.Tensor:
    """Scores past each sequence's length set to ``score_mask_value`` (after a
    run-time check that every length is positive)."""
    if memory_sequence_length is None:
        return score
    check = tf.debugging.assert_positive(
        memory_sequence_length,
        message="All values in memory_sequence_length must be greater than zero.")
    with tf.control_dependencies([check]):
        memory_mask = tf.sequence_mask(memory_sequence_length, maxlen=tf.shape(score)[1])
    return tf.where(memory_mask, score, score_mask_value * tf.ones_like(score))


# --------------------------------------------------------------------------- mechanisms
class AttentionMechanism:
    """Base class of the attention mechanisms (``alignments_size``, ``state_size``)."""

    @property
    def alignments_size(self) -> Any:
        raise NotImplementedError

    @property
    def state_size(self) -> Any:
        raise NotImplementedError


class MechanismBase(AttentionMechanism):
    """What every mechanism does with its memory, in TF1 and in Keras mode.

    The concrete classes combine one of the score mixins below with a weight
    source: TF1's ``_BaseAttentionMechanism`` (``get_variable`` in a variable
    scope opened per call) or the Keras layers of ``tfshare.seq2seq.layers``
    (weights created in ``build``). Both supply ``_attention_scope()``,
    ``_weight(name, shape, dtype, initializer)``, ``query_layer`` and
    ``memory_layer``.
    """

    _scope_name = "attention"

    def _set_memory(self, memory: Any, memory_sequence_length: Any, probability_fn: Callable,
                    score_mask_value: Any, check_inner_dims_defined: bool = True,
                    custom_key_value_fn: Optional[Callable] = None) -> None:
        """``values`` (the masked memory), ``keys = memory_layer(values)``, the
        batch size, ``alignments_size`` and the masked ``probability_fn``."""
        if score_mask_value is None:
            score_mask_value = tf.as_dtype(self.dtype).as_numpy_dtype(-np.inf)
        self._memory_sequence_length = memory_sequence_length
        self._probability_fn = lambda score, prev: probability_fn(
            mask_score(score, memory_sequence_length, score_mask_value), prev)
        self._values = prepare_memory(memory, memory_sequence_length,
                                      check_inner_dims_defined=check_inner_dims_defined)
        self._keys = self.memory_layer(self._values) if self.memory_layer else self._values
        if custom_key_value_fn is not None:
            self._keys, self._values = custom_key_value_fn(self._keys, self._values)
        self._batch_size = static_or_dynamic(self._keys, 0)
        self._alignments_size = static_or_dynamic(self._keys, 1)

    values = property(lambda self: self._values)
    keys = property(lambda self: self._keys)
    batch_size = property(lambda self: self._batch_size)

    @property
    def alignments_size(self) -> Any:
        return self._alignments_size

    @property
    def state_size(self) -> Any:
        return self._alignments_size

    def initial_alignments(self, batch_size: Any, dtype: Any) -> tf.Tensor:
        """Zeros ``[batch_size, max_time]``."""
        return zero_state_tensors(self._alignments_size, batch_size, dtype)

    def initial_state(self, batch_size: Any, dtype: Any) -> tf.Tensor:
        return self.initial_alignments(batch_size, dtype)

    def _attend(self, query: Any, state: Any) -> tuple:
        """``(alignments, next_state)`` for ``query`` ``[batch, depth]``;
        ``state`` is the previous alignments."""
        with self._attention_scope():
            score = self._score(query)
        alignments = self._probability_fn(score, state)
        return alignments, alignments

    def _score(self, query: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError


class _BaseAttentionMechanism(MechanismBase):
    """TF1 mode: the memory is given at construction; variables come from
    ``get_variable`` in ``variable_scope(None, default_name=_scope_name)``,
    opened at every call."""

    def __init__(self, query_layer: Any, memory: Any, probability_fn: Callable,
                 memory_sequence_length: Any = None, memory_layer: Any = None,
                 check_inner_dims_defined: bool = True, score_mask_value: Any = None,
                 custom_key_value_fn: Optional[Callable] = None, name: Optional[str] = None):
        for arg, layer in (("query_layer", query_layer), ("memory_layer", memory_layer)):
            if layer is not None and not callable(layer):
                raise TypeError(f"{arg} is not a Layer: {type(layer).__name__}")
        self._query_layer = query_layer
        self._memory_layer = memory_layer
        self.dtype = memory_layer.dtype
        if not callable(probability_fn):
            raise TypeError("probability_fn must be callable, saw type: "
                            f"{type(probability_fn).__name__}")
        with tf.name_scope(name or "BaseAttentionMechanismInit"):
            self._set_memory(memory, memory_sequence_length, probability_fn, score_mask_value,
                             check_inner_dims_defined, custom_key_value_fn)

    memory_layer = property(lambda self: self._memory_layer)
    query_layer = property(lambda self: self._query_layer)

    def __call__(self, query: Any, state: Any) -> tuple:
        """``(alignments, next_state)``; ``state`` is the previous alignments."""
        return self._attend(query, state)

    def _attention_scope(self):
        return _vs.variable_scope(None, default_name=self._scope_name)

    def _weight(self, name: str, shape: Any, dtype: Any, initializer: Any = None) -> Any:
        return _vs.get_variable(name, shape=shape, dtype=dtype, initializer=initializer)


# --------------------------------------------------------------------------- scores
def softmax_or(probability_fn: Optional[Callable]) -> Callable:
    """``(score, previous alignments) -> probability_fn(score)`` (softmax by default)."""
    fn = tf.nn.softmax if probability_fn is None else probability_fn
    return lambda score, _: fn(score)


def monotonic_fn(sigmoid_noise: float, mode: str, seed: Optional[int]) -> Callable:
    """The monotonic mechanisms' ``probability_fn``."""
    return functools.partial(_monotonic_probability_fn, sigmoid_noise=sigmoid_noise, mode=mode,
                             seed=seed)


class LuongScore:
    """Luong's score, scaled by the scalar ``attention_g`` (1.0) with ``scale``."""

    _scope_name = "luong_attention"

    def _luong(self, query: tf.Tensor) -> tf.Tensor:
        attention_g = None
        if self._scale:
            attention_g = self._weight("attention_g", (), query.dtype,
                                       tf.compat.v1.ones_initializer())
        return luong_score(query, self._keys, attention_g)

    def _score(self, query: tf.Tensor) -> tf.Tensor:
        return self._luong(query)


class BahdanauScore:
    """Bahdanau's score: ``query_layer``, ``attention_v`` (glorot) and, with
    ``normalize``, ``attention_g`` (``sqrt(1/num_units)``) and ``attention_b``
    (zeros)."""

    _scope_name = "bahdanau_attention"

    def _bahdanau(self, query: tf.Tensor) -> tuple:
        processed = self.query_layer(query) if self.query_layer else query
        attention_v = self._weight("attention_v", [self._num_units], query.dtype)
        attention_g = attention_b = None
        if self._normalize:
            attention_g = self._weight(
                "attention_g", (), query.dtype,
                tf.compat.v1.constant_initializer(math.sqrt(1. / self._num_units)))
            attention_b = self._weight("attention_b", [self._num_units], query.dtype,
                                       tf.compat.v1.zeros_initializer())
        return bahdanau_score(processed, self._keys, attention_v, attention_g, attention_b), \
            processed

    def _score(self, query: tf.Tensor) -> tf.Tensor:
        return self._bahdanau(query)[0]


class _Monotonic:
    """Monotonic mechanisms: a scalar ``attention_score_bias`` added to the
    score; the initial alignment is one-hot on the first memory entry."""

    def initial_alignments(self, batch_size: Any, dtype: Any) -> tf.Tensor:
        """One-hot ``[batch_size, max_time]`` on entry 0."""
        return tf.one_hot(tf.zeros((batch_size,), dtype=tf.int32), self._alignments_size,
                          dtype=dtype)

    def _score_bias(self, dtype: Any) -> Any:
        """The scalar ``attention_score_bias`` (initial value ``score_bias_init``)."""
        return self._weight("attention_score_bias", None, dtype, self._score_bias_init)


class LuongMonotonicScore(_Monotonic, LuongScore):
    _scope_name = "luong_monotonic_attention"

    def _score(self, query: tf.Tensor) -> tf.Tensor:
        return self._luong(query) + self._score_bias(query.dtype)


class BahdanauMonotonicScore(_Monotonic, BahdanauScore):
    _scope_name = "bahdanau_monotonic_attention"

    def _score(self, query: tf.Tensor) -> tf.Tensor:
        score, processed = self._bahdanau(query)
        return score + self._score_bias(processed.dtype)


# --------------------------------------------------------------------------- TF1 classes
def _tf1_layers(num_units: int, dtype: Any, query: bool) -> dict:
    """The bias-free ``query_layer`` (or None) and ``memory_layer`` of a TF1 mechanism."""
    dtype = dtype or tf.float32
    return dict(query_layer=Dense(num_units, name="query_layer", dtype=dtype) if query else None,
                memory_layer=Dense(num_units, name="memory_layer", dtype=dtype))


class LuongAttention(LuongScore, _BaseAttentionMechanism):
    """Multiplicative attention (Luong et al. 2015); the keys are the memory
    projected by ``memory_layer`` to ``num_units`` (must equal the query depth).

    Args:
      num_units: key depth.
      memory: ``[batch, max_time, depth]``.
      memory_sequence_length: optional ``[batch]`` lengths (masking).
      scale: learn a scalar ``attention_g`` multiplying the scores.
      probability_fn: ``score -> probabilities`` (default ``tf.nn.softmax``).
      score_mask_value: value of masked scores (default ``-inf``).
      dtype: variable dtype (default float32).
      custom_key_value_fn: ``(keys, values) -> (keys, values)``.
      name: name scope of the setup ops.
    """

    def __init__(self, num_units: int, memory: Any, memory_sequence_length: Any = None,
                 scale: bool = False, probability_fn: Optional[Callable] = None,
                 score_mask_value: Any = None, dtype: Any = None,
                 custom_key_value_fn: Optional[Callable] = None, name: str = "LuongAttention"):
        super().__init__(**_tf1_layers(num_units, dtype, query=False),
                         memory=memory, probability_fn=softmax_or(probability_fn),
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value,
                         custom_key_value_fn=custom_key_value_fn, name=name)
        self._num_units = num_units
        self._scale = scale
        self._name = name


class BahdanauAttention(BahdanauScore, _BaseAttentionMechanism):
    """Additive attention (Bahdanau et al. 2015), optionally weight-normalized
    (Salimans & Kingma 2016) with ``normalize=True``. Same arguments as
    ``LuongAttention`` with ``normalize`` instead of ``scale``."""

    def __init__(self, num_units: int, memory: Any, memory_sequence_length: Any = None,
                 normalize: bool = False, probability_fn: Optional[Callable] = None,
                 score_mask_value: Any = None, dtype: Any = None,
                 custom_key_value_fn: Optional[Callable] = None,
                 name: str = "BahdanauAttention"):
        super().__init__(**_tf1_layers(num_units, dtype, query=True),
                         memory=memory, probability_fn=softmax_or(probability_fn),
                         custom_key_value_fn=custom_key_value_fn,
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name


class BahdanauMonotonicAttention(BahdanauMonotonicScore, _BaseAttentionMechanism):
    """Bahdanau score plus a learned scalar bias ``attention_score_bias``,
    turned into a monotonic alignment by :func:`monotonic_attention`
    (``sigmoid_noise`` > 0 adds Gaussian noise to the scores, ``seed``
    ``sigmoid_noise_seed``)."""

    def __init__(self, num_units: int, memory: Any, memory_sequence_length: Any = None,
                 normalize: bool = False, score_mask_value: Any = None,
                 sigmoid_noise: float = 0., sigmoid_noise_seed: Optional[int] = None,
                 score_bias_init: float = 0., mode: str = "parallel", dtype: Any = None,
                 name: str = "BahdanauMonotonicAttention"):
        super().__init__(**_tf1_layers(num_units, dtype, query=True), memory=memory,
                         probability_fn=monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._normalize = normalize
        self._name = name
        self._score_bias_init = score_bias_init


class LuongMonotonicAttention(LuongMonotonicScore, _BaseAttentionMechanism):
    """Luong score plus a learned scalar bias, made monotonic (see
    ``BahdanauMonotonicAttention``)."""

    def __init__(self, num_units: int, memory: Any, memory_sequence_length: Any = None,
                 scale: bool = False, score_mask_value: Any = None, sigmoid_noise: float = 0.,
                 sigmoid_noise_seed: Optional[int] = None, score_bias_init: float = 0.,
                 mode: str = "parallel", dtype: Any = None,
                 name: str = "LuongMonotonicAttention"):
        super().__init__(**_tf1_layers(num_units, dtype, query=False), memory=memory,
                         probability_fn=monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
                         memory_sequence_length=memory_sequence_length,
                         score_mask_value=score_mask_value, name=name)
        self._num_units = num_units
        self._scale = scale
        self._score_bias_init = score_bias_init
        self._name = name
