"""Keras 3 layers of the seq2seq family, with TF1's weight paths.

The same math as the TF1 classes (one implementation; only the weights come
from elsewhere: Keras weights created in ``build`` instead of ``get_variable``):

* the attention mechanisms ``LuongAttention``, ``BahdanauAttention``,
  ``LuongMonotonicAttention``, ``BahdanauMonotonicAttention``: Keras layers
  whose memory is given with ``setup_memory(memory, memory_sequence_length)``
  (in the model's ``call``, before the decoder runs; call it again for another
  memory, e.g. ``tile_batch(memory, beam_width)`` for beam search);
* ``AttentionWrapper``: an attention cell for ``keras.layers.RNN`` (and for
  ``tfshare.seq2seq.BasicDecoder`` / ``BeamSearchDecoder`` with
  ``dynamic_decode``);
* ``CRF``: the linear-chain CRF's ``transitions`` weight with Viterbi
  decoding and the log-likelihood loss.

Weight paths are TF1's variable names: ``keras.layers.RNN(AttentionWrapper(
tfshare.LSTMCell(64), BahdanauAttention(64), attention_layer_size=64),
name="decoder")`` has the weights ``decoder/attention_wrapper/lstm_cell/kernel``,
``decoder/attention_wrapper/bahdanau_attention/query_layer/kernel``,
``decoder/attention_wrapper/bahdanau_attention/attention_v``,
``decoder/attention_wrapper/attention_layer/kernel`` -- the names TF1's
``dynamic_decode`` gives them -- and the mechanism's ``memory_layer/kernel``
sits where ``setup_memory`` is first called (TF1: where the mechanism was
built). ``CRF(name="crf")`` has ``crf/transitions``. So ``tfshare.restore``
loads TF 1.15 checkpoints into them by name (an ``assignment_map`` handles
different outer scopes).

In ``keras.layers.RNN`` the wrapper's state is an ``AttentionWrapperState``
whose ``time`` is a ``[batch, 1]`` column (so Keras masks work; Keras casts
it to the float compute dtype);
``alignment_history`` needs a scalar ``time`` and a ``TensorArray``, which
``keras.layers.RNN`` cannot carry: use it with ``dynamic_decode``.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Optional

import keras
import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.seq2seq import attention as _att
from tfshare.seq2seq import crf as _crf
from tfshare.seq2seq.attention_wrapper import AttentionWrapperBase, AttentionWrapperState

__all__ = [
    "LuongAttention",
    "BahdanauAttention",
    "LuongMonotonicAttention",
    "BahdanauMonotonicAttention",
    "AttentionWrapper",
    "CRF",
]

nest = tf.nest


# --------------------------------------------------------------------------- mechanisms
class _KerasMechanism(_att.MechanismBase, keras.layers.Layer):
    """Keras weight source of the mechanisms: ``memory_layer`` / ``query_layer``
    are ``keras.layers.Dense(units, use_bias=False)`` sub-layers; the mechanism's
    own weights (``attention_v`` ...) are created in ``build`` by running the
    score once on zeros with a recording weight source, so the TF1 score code
    decides which weights exist."""

    _has_query_layer = False

    def __init__(self, units: int, memory: Any = None, memory_sequence_length: Any = None,
                 probability_fn: Optional[Callable] = None, score_mask_value: Any = None,
                 name: Optional[str] = None, **kwargs):
        keras.layers.Layer.__init__(self, name=name or self._scope_name, **kwargs)
        self._values = self._keys = self._batch_size = self._alignments_size = None
        self._num_units = int(units)
        self._probability = probability_fn
        self._score_mask_value = score_mask_value
        self.memory_layer = keras.layers.Dense(units, use_bias=False, name="memory_layer")
        self.query_layer = (keras.layers.Dense(units, use_bias=False, name="query_layer")
                            if self._has_query_layer else None)
        self._creating = False
        self._held: dict = {}
        if memory is not None:
            self.setup_memory(memory, memory_sequence_length)

    def setup_memory(self, memory: Any, memory_sequence_length: Any = None) -> None:
        """Attend over ``memory`` ``[batch, max_time, depth]`` (masked past
        ``memory_sequence_length``) from now on: ``values`` and ``keys =
        memory_layer(values)``. Call it in the same ``call``/trace that runs
        the decoder."""
        self._set_memory(memory, memory_sequence_length, self._probability,
                         self._score_mask_value)

    def _require_memory(self) -> None:
        if self._values is None:
            raise ValueError(f"Attention mechanism '{self.name}' has no memory: call "
                             "setup_memory(memory, memory_sequence_length) first.")

    @property
    def values(self) -> tf.Tensor:
        self._require_memory()
        return self._values

    def build(self, query_shape: Any) -> None:
        """Create the weights for queries of depth ``query_shape[-1]``."""
        depth = static_axis(tf.TensorShape(query_shape), -1)
        keys = self.__dict__.get("_keys")
        self._keys = tf.zeros([1, 1, self._num_units])
        self._creating = True
        try:
            self._score(tf.zeros([1, depth]))
        finally:
            self._creating = False
            self._keys = keys

    def call(self, query: Any, state: Any = None) -> tuple:
        self._require_memory()
        return self._attend(query, state)

    def _attention_scope(self):
        return contextlib.nullcontext()

    def _weight(self, name: str, shape: Any, dtype: Any, initializer: Any = None) -> Any:
        if self._creating and name not in self._held:
            if shape is None:  # a Python number: a scalar with that value
                initializer, shape = keras.initializers.Constant(initializer), ()
            self._held[name] = self.add_weight(
                name=name, shape=tuple(shape),
                initializer=initializer if initializer is not None else "glorot_uniform")
            setattr(self, name, self._held[name])  # an attribute: in TF's object graph too
        return tf.convert_to_tensor(self._held[name])


def _mechanism_doc(cls):
    cls.__doc__ = (cls.__doc__ or "") + """

    Keras layer (default name: TF1's scope name) of the TF1 mechanism of the
    same name in ``tfshare.seq2seq`` (same arguments, ``units`` for
    ``num_units``; ``memory`` optional, see ``setup_memory``)."""
    return cls


@_mechanism_doc
class LuongAttention(_att.LuongScore, _KerasMechanism):
    """Luong (multiplicative) attention."""

    def __init__(self, units: int, memory: Any = None, memory_sequence_length: Any = None,
                 scale: bool = False, probability_fn: Optional[Callable] = None,
                 score_mask_value: Any = None, name: Optional[str] = None, **kwargs):
        super().__init__(units, memory, memory_sequence_length, _att.softmax_or(probability_fn),
                         score_mask_value, name, **kwargs)
        self._scale = scale


@_mechanism_doc
class BahdanauAttention(_att.BahdanauScore, _KerasMechanism):
    """Bahdanau (additive) attention, weight-normalized with ``normalize``."""

    _has_query_layer = True

    def __init__(self, units: int, memory: Any = None, memory_sequence_length: Any = None,
                 normalize: bool = False, probability_fn: Optional[Callable] = None,
                 score_mask_value: Any = None, name: Optional[str] = None, **kwargs):
        super().__init__(units, memory, memory_sequence_length, _att.softmax_or(probability_fn),
                         score_mask_value, name, **kwargs)
        self._normalize = normalize


@_mechanism_doc
class LuongMonotonicAttention(_att.LuongMonotonicScore, _KerasMechanism):
    """Monotonic Luong attention."""

    def __init__(self, units: int, memory: Any = None, memory_sequence_length: Any = None,
                 scale: bool = False, score_mask_value: Any = None, sigmoid_noise: float = 0.,
                 sigmoid_noise_seed: Optional[int] = None, score_bias_init: float = 0.,
                 mode: str = "parallel", name: Optional[str] = None, **kwargs):
        super().__init__(units, memory, memory_sequence_length,
                         _att.monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
                         score_mask_value, name, **kwargs)
        self._scale = scale
        self._score_bias_init = score_bias_init


@_mechanism_doc
class BahdanauMonotonicAttention(_att.BahdanauMonotonicScore, _KerasMechanism):
    """Monotonic Bahdanau attention."""

    _has_query_layer = True

    def __init__(self, units: int, memory: Any = None, memory_sequence_length: Any = None,
                 normalize: bool = False, score_mask_value: Any = None,
                 sigmoid_noise: float = 0., sigmoid_noise_seed: Optional[int] = None,
                 score_bias_init: float = 0., mode: str = "parallel",
                 name: Optional[str] = None, **kwargs):
        super().__init__(units, memory, memory_sequence_length,
                         _att.monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
                         score_mask_value, name, **kwargs)
        self._normalize = normalize
        self._score_bias_init = score_bias_init


# --------------------------------------------------------------------------- wrapper
def _tf1_unique_names(mechanisms: tuple) -> None:
    """TF1's scope counter for several mechanisms: ``bahdanau_attention``,
    ``bahdanau_attention_1``, ... and ``memory_layer``, ``memory_layer_1``, ...
    (only layers not built yet are renamed)."""
    seen: dict = {}
    for i, m in enumerate(mechanisms):
        if not isinstance(m, _KerasMechanism):
            continue
        if not m.built:
            n = seen.get(m.name, 0)
            seen[m.name] = n + 1
            if n:
                m.name = f"{m.name}_{n}"
        if i and not m.memory_layer.built and m.memory_layer.name == "memory_layer":
            m.memory_layer.name = f"memory_layer_{i}"


class AttentionWrapper(AttentionWrapperBase, keras.layers.Layer):
    """``tfshare.seq2seq.AttentionWrapper`` as a Keras 3 RNN cell.

    Same arguments and step as the TF1 wrapper (``name`` defaults to
    ``attention_wrapper``); the wrapped ``cell`` (a tfshare cell, or any cell
    called as ``cell(inputs, state)``), the mechanisms (Keras mechanisms of this
    module) and the ``attention_layer`` s (``attention_layer``,
    ``attention_layer_1``, ...) are built inside its path. Several mechanisms of
    one kind get TF1's names ``bahdanau_attention``, ``bahdanau_attention_1``...

    Use it in ``keras.layers.RNN`` (states: the ``AttentionWrapperState``
    fields as a list), or call it ``cell(inputs, state)`` with an
    ``AttentionWrapperState`` (``BasicDecoder``, ``BeamSearchDecoder``).

    Raises:
      ValueError: used before the mechanisms' ``setup_memory``.
    """

    def __init__(self, cell: Any, attention_mechanism: Any, attention_layer_size: Any = None,
                 alignment_history: bool = False, cell_input_fn: Optional[Callable] = None,
                 output_attention: bool = True, initial_cell_state: Any = None,
                 name: Optional[str] = None, attention_layer: Any = None,
                 attention_fn: Optional[Callable] = None, **kwargs):
        keras.layers.Layer.__init__(self, name=name or "attention_wrapper", **kwargs)
        self._configure(cell, attention_mechanism, attention_layer_size, alignment_history,
                        cell_input_fn, output_attention, initial_cell_state, name,
                        attention_layer, attention_fn)
        _tf1_unique_names(self._attention_mechanisms)

    def _make_attention_layer(self, size: int, name: str, mechanism: Any) -> Any:
        return keras.layers.Dense(size, use_bias=False, name=name)

    def _time_zeros(self, batch_size: Any) -> tf.Tensor:
        if self._alignment_history:
            return tf.zeros([], dtype=tf.int32)
        return tf.zeros(tf.stack([batch_size, 1]), dtype=tf.int32)

    @property
    def state_size(self) -> AttentionWrapperState:
        """As the TF1 wrapper's, but ``time`` is ``[1]`` per row (without
        ``alignment_history``); sizes that need the memory are ``None`` before
        ``setup_memory``."""
        time = tf.TensorShape([] if self._alignment_history else [1])
        try:
            return super().state_size._replace(time=time)
        except ValueError:
            return AttentionWrapperState(self._cell.state_size, None, time, None, (), None)

    def get_initial_state(self, inputs: Any = None, batch_size: Any = None,
                          dtype: Any = None) -> AttentionWrapperState:
        """``zero_state(batch_size, dtype)`` (dtype: the layer's compute dtype)."""
        if inputs is not None:
            batch_size = tf.shape(inputs)[0]
        return self.zero_state(batch_size, dtype or self.compute_dtype)

    def build(self, input_shape: Any) -> None:
        """Build the cell, the mechanisms and the attention layers, in that order."""
        depth = static_axis(tf.TensorShape(input_shape), -1)
        for m in self._attention_mechanisms:
            if isinstance(m, _KerasMechanism):
                m._require_memory()
        attention = self._attention_layer_size
        cell_depth = static_axis(self._cell_input_fn(tf.zeros([1, depth]), tf.zeros(
            [1, attention])), -1)
        if isinstance(self._cell, keras.layers.Layer) and not self._cell.built:
            self._cell.build((None, cell_depth))
        query_depth = self._cell.output_size
        for i, m in enumerate(self._attention_mechanisms):
            if isinstance(m, keras.layers.Layer) and not m.built:
                m.build((None, query_depth))
            if self._attention_layers:
                layer = self._attention_layers[i]
                if isinstance(layer, keras.layers.Layer) and not layer.built:
                    layer.build((None, query_depth + static_axis(m.values, -1)))

    def call(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        """One step; ``states`` an ``AttentionWrapperState`` or its fields as a
        list (``keras.layers.RNN``); the new state comes back in the same form."""
        state = states if isinstance(states, AttentionWrapperState) \
            else AttentionWrapperState(*states)
        output, next_state = self._attention_step(inputs, state)
        if isinstance(states, AttentionWrapperState):
            return output, next_state
        return output, list(next_state)

    def __call__(self, inputs: Any, state: Any = None, **kwargs: Any) -> tuple:
        return keras.layers.Layer.__call__(self, inputs, state, **kwargs)


# --------------------------------------------------------------------------- CRF
class CRF(keras.layers.Layer):
    """A linear-chain CRF over unary potentials ``[batch, T, num_tags]``.

    Weight: ``transitions`` ``[num_tags, num_tags]`` (glorot-uniform), so
    ``CRF(num_tags, name="crf")`` has the path ``crf/transitions``, the
    variable TF1's ``crf_log_likelihood`` creates in ``variable_scope("crf")``.

    ``crf(potentials, sequence_length)`` returns the Viterbi tags ``[batch, T]``
    (int32, 0 past each length; ``crf_decode``). With ``tags=`` it also adds
    ``-mean(log_likelihood)`` to the layer's losses, so a model compiled
    without a loss trains on it. Without ``sequence_length`` the lengths come
    from the Keras mask (else every sequence is full length).
    """

    def __init__(self, num_tags: int, name: str = "crf", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_tags = int(num_tags)

    def build(self, potentials_shape: Any, *args: Any, **kwargs: Any) -> None:
        depth = static_axis(tf.TensorShape(potentials_shape), -1)
        if depth is not None and depth != self.num_tags:
            raise ValueError(f"Argument `potentials` of CRF '{self.name}' must have "
                             f"{self.num_tags} tags on its last axis. Received: "
                             f"potentials.shape={tuple(tf.TensorShape(potentials_shape))}")
        self.transitions = self.add_weight(name="transitions",
                                           shape=(self.num_tags, self.num_tags),
                                           initializer="glorot_uniform")

    def _lengths(self, potentials: tf.Tensor, sequence_length: Any, mask: Any) -> tf.Tensor:
        if sequence_length is not None:
            return tf.cast(sequence_length, tf.int32)
        if mask is not None:
            return tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
        return tf.fill(tf.shape(potentials)[:1], tf.shape(potentials)[1])

    def log_likelihood(self, potentials: Any, tags: Any, sequence_length: Any) -> tf.Tensor:
        """``crf_log_likelihood`` with this layer's transitions; ``[batch]``."""
        return _crf.crf_log_likelihood(potentials, tags, sequence_length,
                                       tf.convert_to_tensor(self.transitions))[0]

    def decode(self, potentials: Any, sequence_length: Any) -> tuple:
        """``crf_decode``: ``(tags [batch, T], best score [batch])``."""
        return _crf.crf_decode(potentials, tf.convert_to_tensor(self.transitions),
                               sequence_length)

    def call(self, potentials: Any, sequence_length: Any = None, tags: Any = None,
             mask: Any = None) -> tf.Tensor:
        potentials = tf.convert_to_tensor(potentials)
        lengths = self._lengths(potentials, sequence_length, mask)
        if tags is not None:
            self.add_loss(-tf.reduce_mean(self.log_likelihood(potentials, tags, lengths)))
        return self.decode(potentials, lengths)[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tags": self.num_tags}
