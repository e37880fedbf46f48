"""``AttentionWrapper``: an RNN cell with attention over a memory (TF1
``tf.contrib.seq2seq.AttentionWrapper``).

One step, for input ``x`` and state ``s`` (an ``AttentionWrapperState``)::

    cell_output, cell_state = cell(cell_input_fn(x, s.attention), s.cell_state)
    for each mechanism i:
        alignments_i, attention_state_i = mechanism_i(cell_output, s.attention_state_i)
        context_i = alignments_i · values_i
        attention_i = attention_layer_i([cell_output, context_i])   (or context_i)
    attention = concat(attention_i)
    output = attention if output_attention else cell_output

``cell_input_fn`` defaults to ``concat([x, attention], -1)``. With
``alignment_history`` the alignments of every step are written into
``TensorArray`` s in the state.

It is a TF1 cell: its first call captures the variable scope
``<name or "attention_wrapper">`` (uniquified, or exactly ``scope`` when given)
and later calls reuse it. Under ``dynamic_decode`` the variables are
``decoder/attention_wrapper/<cell scope>/...``,
``decoder/attention_wrapper/bahdanau_attention/...`` (one scope per mechanism
call, ``_1``, ``_2`` ... for more mechanisms) and
``decoder/attention_wrapper/attention_layer/kernel`` (``attention_layer_1`` ...).
"""
from __future__ import annotations

import collections
import inspect
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfshare import _rnn_core
from tfshare import variables as _vs
from tfshare.seq2seq._common import (Dense, layer_output_depth, static_or_dynamic,
                                     zero_state_tensors)
from tfshare._shapes import static_axis
from tfshare.seq2seq.attention import AttentionMechanism

__all__ = ["AttentionWrapperState", "AttentionWrapper"]

nest = tf.nest


class AttentionWrapperState(collections.namedtuple(
        "AttentionWrapperState",
        ("cell_state", "attention", "time", "alignments", "alignment_history",
         "attention_state"))):
    """State of an ``AttentionWrapper``.

    Fields: ``cell_state`` (the wrapped cell's), ``attention`` (the last
    attention vector), ``time`` (int32 step counter), ``alignments`` (per
    mechanism), ``alignment_history`` (``TensorArray`` s, or ``()``),
    ``attention_state`` (per mechanism: its state, the previous alignments).
    """

    def clone(self, **kwargs: Any) -> "AttentionWrapperState":
        """A copy with some fields replaced; each new tensor must have the
        shape of the one it replaces (e.g. ``state.clone(cell_state=enc_state)``).

        Raises:
          ValueError: a replacement's shape differs.
        """
        def with_same_shape(old, new):
            if not (tf.is_tensor(old) and tf.is_tensor(new)):
                return new
            if tf.executing_eagerly():
                if old.shape.as_list() != new.shape.as_list():
                    raise ValueError(
                        "The shape of the AttentionWrapperState is expected to be same as the "
                        f"one to clone. self.shape: {old.shape}, input.shape: {new.shape}")
                return new
            if not old.shape.is_compatible_with(new.shape):
                raise ValueError(f"Invalid shape for tensor {new.name}, expected "
                                 f"{np.array(old.shape.as_list())}, got {new.shape}.")
            return tf.ensure_shape(new, old.shape) if old.shape.rank is not None else new

        return nest.map_structure(with_same_shape, self, super()._replace(**kwargs))


def compute_attention(attention_mechanism: Any, cell_output: tf.Tensor, attention_state: Any,
                      attention_layer: Any) -> tuple:
    """One mechanism's ``(attention, alignments, next_attention_state)``: the
    context ``alignments · values``, through ``attention_layer`` applied to
    ``[cell_output, context]`` when there is one (the default ``attention_fn``)."""
    alignments, next_attention_state = attention_mechanism(cell_output, state=attention_state)
    context = tf.squeeze(tf.matmul(tf.expand_dims(alignments, 1), attention_mechanism.values), [1])
    if attention_layer is not None:
        attention = attention_layer(tf.concat([cell_output, context], 1))
    else:
        attention = context
    return attention, alignments, next_attention_state


_INIT_MSG = ("Non-matching batch sizes between the memory (encoder output) and "
             "initial_cell_state.  Are you using the BeamSearchDecoder?  You may need to tile "
             "your initial state via the tf.contrib.seq2seq.tile_batch function with argument "
             "multiple=beam_width.")
_ZERO_MSG = ("Non-matching batch sizes between the memory (encoder output) and the requested "
             "batch size.  Are you using the BeamSearchDecoder?  If so, make sure your encoder "
             "output has been tiled to beam_width via tf.contrib.seq2seq.tile_batch, and the "
             "batch_size= argument passed to zero_state is batch_size * beam_width.")
_CALL_MSG = ("Non-matching batch sizes between the memory (encoder output) and the query "
             "(decoder output).  Are you using the BeamSearchDecoder?  You may need to tile your "
             "memory input via the tf.contrib.seq2seq.tile_batch function with argument "
             "multiple=beam_width.")


class AttentionWrapperBase:
    """The wrapper's configuration, sizes, zero state and step, shared by the
    TF1 cell below and the Keras layer ``tfshare.seq2seq.layers.AttentionWrapper``.

    Subclasses supply ``_make_attention_layer(size, mechanism)`` (the bias-free
    ``attention_layer`` for ``attention_layer_size``) and
    ``_time_zeros(batch_size)`` (the initial ``time``).
    """

    def _configure(self, cell: Any, attention_mechanism: Any, attention_layer_size: Any,
                   alignment_history: bool, cell_input_fn: Optional[Callable],
                   output_attention: bool, initial_cell_state: Any, name: Optional[str],
                   attention_layer: Any, attention_fn: Optional[Callable]) -> None:
        _rnn_core.assert_like_rnncell("cell", cell)
        self._base_name = name or "attention_wrapper"
        mechanisms = self._check_mechanisms(attention_mechanism)
        if cell_input_fn is None:
            cell_input_fn = _concat_inputs
        elif not callable(cell_input_fn):
            raise TypeError("cell_input_fn must be callable, saw type: "
                            f"{type(cell_input_fn).__name__}")
        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("Only one of attention_layer_size and attention_layer should be set")
        self._attention_layer_sizes = None
        if attention_layer_size is not None:
            sizes = tuple(attention_layer_size if isinstance(attention_layer_size, (list, tuple))
                          else (attention_layer_size,))
            if len(sizes) != len(mechanisms):
                raise ValueError(
                    "If provided, attention_layer_size must contain exactly one integer per "
                    f"attention_mechanism, saw: {len(sizes)} vs {len(mechanisms)}")
            self._attention_layers = tuple(
                self._make_attention_layer(size, "attention_layer" + (f"_{i}" if i else ""), m)
                for i, (size, m) in enumerate(zip(sizes, mechanisms)))
            self._attention_layer_sizes = sizes
        elif attention_layer is not None:
            layers = tuple(attention_layer if isinstance(attention_layer, (list, tuple))
                           else (attention_layer,))
            if len(layers) != len(mechanisms):
                raise ValueError(
                    "If provided, attention_layer must contain exactly one layer per "
                    f"attention_mechanism, saw: {len(layers)} vs {len(mechanisms)}")
            self._attention_layers = layers
        else:
            self._attention_layers = None
        self._attention_fn = attention_fn or compute_attention
        self._cell = cell
        self._attention_mechanisms = mechanisms
        self._cell_input_fn = cell_input_fn
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        self._initial_cell_state = None
        if initial_cell_state is not None:
            with tf.name_scope(name or "AttentionWrapperInit"):
                last = nest.flatten(initial_cell_state)[-1]
                checks = self._batch_size_checks(
                    static_or_dynamic(last, 0),
                    f"When constructing AttentionWrapper {self._base_name}: " + _INIT_MSG)
                with tf.control_dependencies(checks):
                    self._initial_cell_state = nest.map_structure(
                        lambda s: tf.identity(s, name="check_initial_cell_state"),
                        initial_cell_state)

    def _make_attention_layer(self, size: int, name: str, mechanism: Any) -> Any:
        raise NotImplementedError

    def _time_zeros(self, batch_size: Any) -> tf.Tensor:
        return tf.zeros([], dtype=tf.int32)

    def _check_mechanisms(self, attention_mechanism: Any) -> tuple:
        if isinstance(attention_mechanism, (list, tuple)):
            self._is_multi = True
            for m in attention_mechanism:
                if not isinstance(m, AttentionMechanism):
                    raise TypeError("attention_mechanism must contain only instances of "
                                    f"AttentionMechanism, saw type: {type(m).__name__}")
            return tuple(attention_mechanism)
        self._is_multi = False
        if not isinstance(attention_mechanism, AttentionMechanism):
            raise TypeError("attention_mechanism must be an AttentionMechanism or list of multiple "
                            "AttentionMechanism instances, saw type: "
                            f"{type(attention_mechanism).__name__}")
        return (attention_mechanism,)

    def _batch_size_checks(self, batch_size: Any, message: str) -> list:
        return [tf.debugging.assert_equal(batch_size, m.batch_size, message=message)
                for m in self._attention_mechanisms]

    def _item_or_tuple(self, seq: Any) -> Any:
        t = tuple(seq)
        return t if self._is_multi else t[0]

    # -- sizes ----------------------------------------------------------------
    @property
    def _attention_layer_size(self) -> Any:
        if self._attention_layer_sizes is not None:
            return sum(self._attention_layer_sizes)
        if self._attention_layers is not None:
            return sum(layer_output_depth(layer, self._cell.output_size + static_axis(m.values, -1))
                       for layer, m in zip(self._attention_layers, self._attention_mechanisms))
        return sum(static_axis(m.values, -1) for m in self._attention_mechanisms)

    @property
    def output_size(self) -> Any:
        return self._attention_layer_size if self._output_attention else self._cell.output_size

    @property
    def state_size(self) -> AttentionWrapperState:
        """The ``AttentionWrapperState`` of sizes (``time`` is a scalar shape)."""
        return AttentionWrapperState(
            cell_state=self._cell.state_size,
            time=tf.TensorShape([]),
            attention=self._attention_layer_size,
            alignments=self._item_or_tuple(a.alignments_size for a in self._attention_mechanisms),
            attention_state=self._item_or_tuple(a.state_size for a in self._attention_mechanisms),
            alignment_history=self._item_or_tuple(
                a.alignments_size if self._alignment_history else ()
                for a in self._attention_mechanisms))

    # -- initial state ----------------------------------------------------------
    def zero_state(self, batch_size: Any, dtype: Any) -> AttentionWrapperState:
        """The initial state: the cell's (or ``initial_cell_state``), zero
        attention, the mechanisms' initial alignments, ``time`` 0, empty
        alignment histories. Checks (at run time) that ``batch_size`` equals
        the memory's batch size."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if self._initial_cell_state is not None:
                cell_state = self._initial_cell_state
            else:
                cell_state = _cell_zero_state(self._cell, batch_size, dtype)
            checks = self._batch_size_checks(
                batch_size, f"When calling zero_state of AttentionWrapper {self._base_name}: "
                + _ZERO_MSG)
            with tf.control_dependencies(checks):
                cell_state = nest.map_structure(
                    lambda s: tf.identity(s, name="checked_cell_state"), cell_state)
            initial_alignments = [m.initial_alignments(batch_size, dtype)
                                  for m in self._attention_mechanisms]
            return AttentionWrapperState(
                cell_state=cell_state,
                time=self._time_zeros(batch_size),
                attention=zero_state_tensors(self._attention_layer_size, batch_size, dtype),
                alignments=self._item_or_tuple(initial_alignments),
                attention_state=self._item_or_tuple(
                    m.initial_state(batch_size, dtype) for m in self._attention_mechanisms),
                alignment_history=self._item_or_tuple(
                    tf.TensorArray(dtype, size=0, dynamic_size=True, element_shape=a.shape)
                    if self._alignment_history else () for a in initial_alignments))

    # -- one step ---------------------------------------------------------------
    def _attention_step(self, inputs: Any, state: Any) -> tuple:
        """``(output, next_state)`` (see the module docstring).

        Raises:
          TypeError: ``state`` is not an ``AttentionWrapperState``.
        """
        if not isinstance(state, AttentionWrapperState):
            raise TypeError("Expected state to be instance of AttentionWrapperState. "
                            f"Received type {type(state)} instead.")
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state)
        checks = self._batch_size_checks(
            static_or_dynamic(cell_output, 0),
            f"When applying AttentionWrapper {self._base_name}: " + _CALL_MSG)
        with tf.control_dependencies(checks):
            cell_output = tf.identity(cell_output, name="checked_cell_output")
        if self._is_multi:
            prev_states, prev_histories = state.attention_state, state.alignment_history
        else:
            prev_states, prev_histories = [state.attention_state], [state.alignment_history]
        alignments_all, attentions, states, histories = [], [], [], []
        for i, mechanism in enumerate(self._attention_mechanisms):
            layer = self._attention_layers[i] if self._attention_layers else None
            attention, alignments, next_attention_state = self._attention_fn(
                mechanism, cell_output, prev_states[i], layer)
            history = (prev_histories[i].write(state.time, alignments)
                       if self._alignment_history else ())
            states.append(next_attention_state)
            alignments_all.append(alignments)
            attentions.append(attention)
            histories.append(history)
        attention = tf.concat(attentions, 1)
        next_state = AttentionWrapperState(
            time=state.time + 1, cell_state=next_cell_state, attention=attention,
            attention_state=self._item_or_tuple(states),
            alignments=self._item_or_tuple(alignments_all),
            alignment_history=self._item_or_tuple(histories))
        return (attention if self._output_attention else cell_output), next_state


def _cell_zero_state(cell: Any, batch_size: Any, dtype: Any) -> Any:
    """The wrapped cell's initial state: TF1's ``get_initial_state(batch_size=,
    dtype=)`` or ``zero_state``, or Keras 3's ``get_initial_state(batch_size)``."""
    get = getattr(cell, "get_initial_state", None)
    if get is None:
        return cell.zero_state(batch_size, dtype)
    try:
        takes_dtype = "dtype" in inspect.signature(get).parameters
    except (TypeError, ValueError):
        takes_dtype = True
    if takes_dtype:
        return get(batch_size=batch_size, dtype=dtype)
    return nest.map_structure(lambda s: tf.cast(s, dtype), get(batch_size=batch_size))


def _concat_inputs(inputs: Any, attention: Any) -> tf.Tensor:
    """The default ``cell_input_fn``: ``concat([inputs, attention], -1)``."""
    return tf.concat([inputs, attention], -1)


class AttentionWrapper(AttentionWrapperBase):
    """Wraps ``cell`` with attention (see the module docstring for the step).

    Args:
      cell: the RNN cell to wrap.
      attention_mechanism: an ``AttentionMechanism`` or a list of them (then
        ``alignments``/``attention_state``/``alignment_history`` are tuples).
      attention_layer_size: int (or one per mechanism): project
        ``[cell_output, context]`` with a bias-free ``attention_layer`` of this
        width; else the attention is the context itself.
      alignment_history: keep every step's alignments in the state
        (``TensorArray``).
      cell_input_fn: ``(inputs, attention) -> cell inputs``.
      output_attention: output the attention (Luong style) or the cell output
        (Bahdanau style).
      initial_cell_state: the cell state ``zero_state`` returns.
      name: variable scope base name (default ``attention_wrapper``).
      attention_layer: a layer (or one per mechanism) instead of
        ``attention_layer_size``.
      attention_fn: ``(mechanism, cell_output, attention_state,
        attention_layer) -> (attention, alignments, next_attention_state)``.
      dtype: accepted for compatibility.

    Raises:
      TypeError: a non-cell, non-mechanism or non-callable argument.
      ValueError: both ``attention_layer_size`` and ``attention_layer``, or a
        count that does not match the mechanisms (TF1's texts).
    """

    def __init__(self, cell: Any, attention_mechanism: Union[AttentionMechanism, Sequence[Any]],
                 attention_layer_size: Any = None, alignment_history: bool = False,
                 cell_input_fn: Optional[Callable] = None, output_attention: bool = True,
                 initial_cell_state: Any = None, name: Optional[str] = None,
                 attention_layer: Any = None, attention_fn: Optional[Callable] = None,
                 dtype: Any = None):
        del dtype
        self._scope = None
        self._configure(cell, attention_mechanism, attention_layer_size, alignment_history,
                        cell_input_fn, output_attention, initial_cell_state, name,
                        attention_layer, attention_fn)

    def _make_attention_layer(self, size: int, name: str, mechanism: Any) -> Any:
        # TF1 names them all "attention_layer"; the scope counter adds _1, _2 ...
        return Dense(size, name="attention_layer", dtype=mechanism.dtype)

    def get_initial_state(self, inputs: Any = None, batch_size: Any = None,
                          dtype: Any = None) -> AttentionWrapperState:
        """``zero_state(batch_size, dtype)`` (from ``inputs`` when given)."""
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs)
            batch_size = static_or_dynamic(inputs, 0)
            dtype = inputs.dtype
        return self.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        """``(output, next_state)`` for one step, in the wrapper's variable scope."""
        if self._scope is None:
            ctx = _vs.variable_scope(scope) if scope is not None \
                else _vs.variable_scope(None, default_name=self._base_name)
        else:
            ctx = _vs.variable_scope(self._scope, reuse=True)
        with ctx as vs:
            if self._scope is None:
                self._scope = vs
            return self.call(inputs, state)

    def call(self, inputs: Any, state: Any) -> tuple:
        """The step inside the wrapper's scope (see the module docstring)."""
        return self._attention_step(inputs, state)

    # -- variables ---------------------------------------------------------------
    @property
    def variables(self) -> list:
        """The variables created in the wrapper's scope (empty before the first call)."""
        if self._scope is None:
            return []
        prefix = self._scope.name + "/"
        return [v for v in _vs.global_variables() if v.name.startswith(prefix)]

    @property
    def trainable_variables(self) -> list:
        return [v for v in self.variables if v.trainable]

    weights = variables
    trainable_weights = trainable_variables
