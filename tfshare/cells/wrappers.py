"""Cell wrappers: the common base :class:`CellWrapper`, and ``DropoutWrapper``,
``ResidualWrapper``, ``DeviceWrapper``.

A wrapper is a cell around ``self.cell``: its step is ``wrapped_step(inputs,
state, cell_call, training)``, where ``cell_call(x, s)`` runs the wrapped cell.
TF1 has two kinds, told apart by ``adds_scope_level``:

* ``DropoutWrapper``, ``ResidualWrapper``, ``DeviceWrapper`` add **no
  variable-scope level** (``adds_scope_level = False``): in TF1 mode the wrapper
  passes the ``scope`` it was given on to the wrapped cell; in Keras mode it
  builds the wrapped cell at the wrapper's own parent path, so
  ``keras.layers.RNN(DropoutWrapper(LSTMCell(4)), name="rnn")`` has the weight
  path ``rnn/lstm_cell/kernel``, exactly TF1's variable name.
* the ``tf.contrib.rnn`` wrappers (:mod:`tfshare.cells.contrib`) open their own
  scope, hold their own weights there (``weight_specs``) and run the wrapped
  cell inside it, which nests below them.
"""
from __future__ import annotations

import contextlib
import hashlib
import numbers
from typing import Any, Callable, Optional

import keras
import tensorflow as tf

from tfshare.cells.base import (RNNCell, _same_structure, assert_like_rnncell, cell_zero_state,
                                child_kwargs, deserialize_cell, match_structure)
from tfshare.cells.state import LSTMStateTuple

__all__ = ["CellWrapper", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]


class CellWrapper(RNNCell):
    """Base of every wrapper: sizes, zero state and (de)serialization are the
    wrapped cell's; subclasses implement :meth:`wrapped_step`.

    Subclasses without a scope level set ``adds_scope_level = False``; those
    with one may declare their own weights with ``weight_specs`` and read them
    with ``self._weight_source.get(specs, dtype)`` inside ``wrapped_step``.
    """

    adds_scope_level = False
    #: constructor arguments holding functions, deserialized by ``from_config``
    _function_args: tuple = ()

    def __init__(self, cell: Any, **kwargs):
        self._check_cell(cell)
        super().__init__(**kwargs)
        self.cell = cell

    @staticmethod
    def _check_cell(cell: Any) -> None:
        assert_like_rnncell("cell", cell)

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        """The wrapped cell's zero state, under ``<Wrapper>ZeroState``."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return cell_zero_state(self.cell, batch_size, dtype)

    def wrapped_step(self, inputs, state, cell_call: Callable, training=None):
        """One step; ``cell_call(x, s)`` runs the wrapped cell."""
        raise NotImplementedError

    def call(self, inputs, states, training=None, scope=None):
        kwargs = child_kwargs(self.cell, training)
        if scope is not None:  # TF1 mode, no scope level: the cell opens it
            kwargs["scope"] = scope

        def cell_call(x, s):
            return self.cell(x, s, **kwargs)

        return self.wrapped_step(inputs, states, cell_call, training)

    # -- inputs: the wrapped cell checks them (a wrapper with a scope level overrides)
    def _check_inputs(self, inputs) -> None:
        pass

    def _validate_state(self, state) -> None:
        pass

    def _accept_tf1_inputs(self, inputs):
        if not tf.is_tensor(inputs) and not isinstance(inputs, (tuple, list)):
            inputs = tf.convert_to_tensor(inputs)
        return inputs

    # -- Keras mode
    def build(self, input_shape):
        """Keras mode: build the wrapped cell (at this wrapper's parent path, or
        inside its own with a scope level), then this wrapper's own weights."""
        source = self._use_keras_weights()
        self._record_input_shape(input_shape)
        if isinstance(self.cell, keras.layers.Layer) and not self.cell.built:
            with self._cell_path():
                self.cell.build(self._cell_input_shape(input_shape))
        source.create(self.weight_specs(self._input_depth))

    def _record_input_shape(self, input_shape) -> None:
        """Check the build shape (and record the input depth) when the wrapper uses it."""

    def _cell_input_shape(self, input_shape):
        """The input shape of the wrapped cell, given this wrapper's."""
        return input_shape

    def _cell_path(self) -> contextlib.AbstractContextManager:
        """Keras path of the wrapped cell: no level of this wrapper's own."""
        if self.adds_scope_level:
            return contextlib.nullcontext()
        parent = (self.path or "").rpartition("/")[0]
        head, _, last = parent.rpartition("/")
        return keras.name_scope(last, override_parent=head)

    # -- serialization
    def get_config(self) -> dict:
        config = super().get_config()
        config["cell"] = keras.saving.serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Accepts ``config["cell"]`` serialized or as a cell object."""
        config = dict(config)
        config["cell"] = deserialize_cell(config["cell"], custom_objects)
        for key in cls._function_args:
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key],
                                                                    custom_objects=custom_objects)
        return cls(**config)


# ---------------------------------------------------------------------------
# DropoutWrapper


def default_dropout_state_filter_visitor(substate: Any) -> Any:
    """TF1's default: never drop ``LSTMStateTuple.c``, skip TensorArrays."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    if isinstance(substate, tf.TensorArray):
        return False
    return True


def _noise_dtype(dtype: Any) -> Any:
    """TF1's ``dtype`` argument, or the Keras dtype policy a config carries."""
    if dtype is None:
        return None
    if isinstance(dtype, (dict, keras.DTypePolicy)):
        return tf.as_dtype(keras.dtype_policies.get(dtype).compute_dtype)
    return tf.as_dtype(keras.backend.standardize_dtype(dtype))


def _is_structure(x: Any) -> bool:
    return isinstance(x, (tuple, list))


def _rebuild(like: Any, items: list) -> Any:
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def _size_leaves(size: Any) -> list:
    """Leaves of a size structure (ints or TensorShapes), in order."""
    if isinstance(size, tf.TensorShape) or not _is_structure(size):
        return [size]
    out = []
    for s in size:
        out.extend(_size_leaves(s))
    return out


class _SequenceNoise:
    """Untracked holder of a wrapper's current-sequence noise and the context
    it was drawn in (``None``: eager; else the graph of the trace)."""

    __slots__ = ("entry",)

    def __init__(self):
        self.entry = None  # (context, noise dict)


def _current_context() -> Any:
    return None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()


def _usable_here(context: Any) -> bool:
    """Whether tensors made in ``context`` may be used in the current one: the
    same eager context, or the same graph or one enclosing it (a
    ``tf.while_loop`` body inside the trace that drew them)."""
    if tf.executing_eagerly():
        return context is None
    if context is None:  # eager tensors in a trace would be frozen into it
        return False
    graph = tf.compat.v1.get_default_graph()
    while graph is not None:
        if graph is context:
            return True
        graph = getattr(graph, "outer_graph", None)
    return False


def _pack_like_sizes(size: Any, leaves: list) -> Any:
    it = iter(leaves)

    def rec(s):
        if isinstance(s, tf.TensorShape) or not _is_structure(s):
            return next(it)
        return _rebuild(s, [rec(x) for x in s])

    return rec(size)


@keras.saving.register_keras_serializable(package="tfshare")
class DropoutWrapper(CellWrapper):
    """Dropout on a cell's inputs, outgoing state and outputs, TF1's
    ``tf.nn.rnn_cell.DropoutWrapper``.

    Order: input dropout, the cell, state dropout (on the *outgoing* state),
    output dropout. A kept value is scaled by ``1/keep_prob``::

        dropped(v) = v / keep · floor(keep + U[0, 1))

    * Non-variational: a fresh mask every step (``tf.nn.dropout`` with the
      per-tensor seed ``md5(str(seed) + f"{prefix}_{i}")``).
    * ``variational_recurrent=True``: the noise ``U`` has shape ``[1, size]``
      (one tensor per input, state and output leaf), so one mask applies to
      every time step and every batch entry of a sequence. When it is drawn:

      - **Graph mode** (TF1 programs in a ``tf.Graph``): once per wrapper and
        graph, as a graph op, exactly as TF1 -- every ``session.run`` draws a
        new mask, shared by all steps (and all driver calls) of that run.
      - **Eager mode and Keras** (``keras.layers.RNN``, ``model.fit``,
        ``tf.function``): a fresh noise at the **start of each sequence**,
        drawn in the current trace, so each call of a traced function
        (each ``fit`` batch) gets new masks, as each ``session.run`` did in
        TF1. A sequence starts at ``begin_sequence()``, which is called by
        ``get_initial_state`` (so by ``keras.layers.RNN`` at every call
        without ``initial_state``; propagated through ``MultiRNNCell`` and
        nested wrappers) and by the ``tfshare.rnn`` drivers once per call.
        Steps use the noise of the last sequence started in the same context
        (eager, or the same trace / an enclosing one).
      - Otherwise -- direct ``cell(x, state)`` calls with no sequence started
        in the context, a ``keras.layers.RNN`` given ``initial_state`` or
        ``stateful=True`` -- the noise drawn once per wrapper (at construction,
        outside any trace) is used for every step of every call. Call
        ``cell.begin_sequence()`` (or ``get_initial_state``) before a manual
        loop to draw a new one.
      - ``set_variational_noise(...)`` fixes the noise for every later step in
        every mode (e.g. to replay a TF1 run's masks); ``variational_noise()``
        returns the noise a step would use.
    * By default the state filter never drops ``LSTMStateTuple.c``.
    * A Python keep probability of exactly 1 adds no op.

    TF1 mode (drivers, TF1 programs) always applies dropout, as TF1 did. In
    Keras mode dropout is skipped when the call gets ``training=False`` (e.g.
    ``model.predict``, or a ``keras.layers.RNN`` called outside ``fit``) and
    applied otherwise. Adds no variable-scope level; has no variables.

    Raises:
      TypeError: ``cell`` is not a cell, or the filter is not callable.
      ValueError: a constant keep probability outside ``[0, 1]``
        (``Parameter input_keep_prob must be between 0 and 1. Received 1.5``);
        variational mode without ``dtype``, or without ``input_size`` when
        input dropout is on.
    """

    _function_args = ("dropout_state_filter_visitor",)

    def __init__(self, cell: Any, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: Optional[int] = None,
                 dropout_state_filter_visitor: Optional[Callable] = None, **kwargs):
        super().__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable. "
                            f"Received: {dropout_state_filter_visitor}")
        self._filter_arg = dropout_state_filter_visitor
        self._state_filter = dropout_state_filter_visitor or default_dropout_state_filter_visitor
        for attr, prob in (("input_keep_prob", input_keep_prob),
                           ("state_keep_prob", state_keep_prob),
                           ("output_keep_prob", output_keep_prob)):
            setattr(self, "_" + attr, self._check_keep_prob(attr, prob))
        self._variational_recurrent = bool(variational_recurrent)
        self._input_size = input_size
        self._seed = seed
        self._noise_dtype = _noise_dtype(dtype)
        self._noise_cache: dict = {}
        self._fixed_noise: dict = {}
        object.__setattr__(self, "_sequence", _SequenceNoise())
        if self._variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            if self._should_drop(self._input_keep_prob) and input_size is None:
                raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or "
                                 "is unknown, input_size must be provided")
            self._noise()  # drawn at construction, as in TF1

    @staticmethod
    def _check_keep_prob(attr: str, prob: Any) -> Any:
        if isinstance(prob, bool):
            raise TypeError(f"Parameter {attr} must be a float or a scalar tensor. Received {prob}")
        if isinstance(prob, numbers.Real):
            value = float(prob)
        else:
            value = None
            try:
                with tf.init_scope():
                    value = tf.get_static_value(tf.convert_to_tensor(prob))
            except Exception:  # a graph tensor from another graph, a placeholder...
                value = None
            if value is None:
                return prob  # a runtime tensor: no static check, as TF1
            value = float(value)
        if value < 0 or value > 1:
            raise ValueError(f"Parameter {attr} must be between 0 and 1. Received {value}")
        return value

    @property
    def wrapped_cell(self):
        """The wrapped cell (same as ``.cell``)."""
        return self.cell

    @staticmethod
    def _should_drop(p: Any) -> bool:
        return not isinstance(p, float) or p < 1

    def _gen_seed(self, prefix: str, index: int) -> Optional[int]:
        if self._seed is None:
            return None
        text = (str(self._seed) + f"{prefix}_{index}").encode("utf-8")
        return int(hashlib.md5(text).hexdigest()[:8], 16) & 0x7FFFFFFF

    def _draw(self, size: Any, prefix: str) -> Any:
        leaves = []
        for i, s in enumerate(_size_leaves(size)):
            shape = [1] + tf.TensorShape(s).as_list()
            leaves.append(tf.random.uniform(shape, seed=self._gen_seed(prefix, i),
                                            dtype=self._noise_dtype))
        return _pack_like_sizes(size, leaves)

    def _draw_noise(self) -> dict:
        return {
            "input": (self._draw(self._input_size, "input")
                      if self._should_drop(self._input_keep_prob) else None),
            "state": self._draw(self.cell.state_size, "state"),
            "output": self._draw(self.cell.output_size, "output"),
        }

    def _noise(self) -> dict:
        """The per-wrapper variational noise of the current outer context (eager
        or graph), drawn once outside any trace."""
        with tf.init_scope():
            graph = None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()
            key = id(graph)
            entry = self._noise_cache.get(key)
            if entry is None or entry[0] is not graph:
                with tf.name_scope("DropoutWrapperInit"):
                    noise = self._draw_noise()
                entry = (graph, noise)
                self._noise_cache[key] = entry
        return entry[1]

    def set_variational_noise(self, input: Any = None, state: Any = None,
                              output: Any = None) -> None:
        """Fix the variational noise ``U`` of the given kinds for every later step,
        in every mode (graph, eager, Keras), instead of drawn noise.

        Each value is structured like ``input_size`` / the wrapped cell's
        ``state_size`` / its ``output_size``, with one array (or tensor) of shape
        ``[1, size]`` per leaf: the noise TF1 keeps in a wrapper's
        ``_recurrent_input_noise``, ``_recurrent_state_noise``,
        ``_recurrent_output_noise``. The mask of a leaf is then
        ``floor(keep_prob + U)``. Used to replay a TF1 run's masks exactly.

        Raises:
          ValueError: without ``variational_recurrent=True``, or a value whose
            structure or shapes differ from the drawn noise's.
        """
        if not self._variational_recurrent:
            raise ValueError("set_variational_noise needs a DropoutWrapper with "
                             "variational_recurrent=True.")
        drawn = self._noise()
        for kind, value in (("input", input), ("state", state), ("output", output)):
            if value is None:
                continue
            like = drawn.get(kind)
            if like is None:
                raise ValueError(f"Argument `{kind}`: this wrapper draws no {kind} noise "
                                 f"(keep probability 1). Received: {kind}={value!r}")
            want = [tuple(t.shape) for t in tf.nest.flatten(like)]
            leaves = [tf.convert_to_tensor(v, dtype=self._noise_dtype)
                      for v in tf.nest.flatten(value)]
            got = [tuple(t.shape) for t in leaves]
            if got != want:
                raise ValueError(f"Argument `{kind}` must be noise of shapes {want}. "
                                 f"Received shapes {got}")
            self._fixed_noise[kind] = tf.nest.pack_sequence_as(like, leaves)

    def variational_noise(self) -> dict:
        """The noise ``U`` a step called here and now uses, per kind (``input``,
        ``state``, ``output``; ``None`` where that kind is not dropped)."""
        return {**self._step_noise(), **self._fixed_noise}

    # -- sequences (eager / Keras mode) -----------------------------------------
    def begin_sequence(self) -> None:
        """Start a sequence: outside graph mode, draw fresh variational noise
        in the current context (eager, or the trace being built), used by every
        step of the sequence. A no-op in graph mode (TF1's per-graph noise) and
        without ``variational_recurrent``."""
        if (self._variational_recurrent
                and tf.compat.v1.executing_eagerly_outside_functions()):
            with tf.name_scope("DropoutWrapperSequence"):
                noise = self._draw_noise()
            self._sequence.entry = (_current_context(), noise)
        super().begin_sequence()

    def _get_sequence_state(self) -> Optional[dict]:
        entry = self._sequence.entry
        if entry is not None and _usable_here(entry[0]):
            return entry[1]
        return None

    def _set_sequence_state(self, noise: dict) -> Any:
        previous = self._sequence.entry
        self._sequence.entry = (_current_context(), noise)
        return previous

    def _restore_sequence_state(self, previous: Any) -> None:
        self._sequence.entry = previous

    def _step_noise(self) -> dict:
        """The drawn noise of this step: the current sequence's, else the
        per-wrapper noise."""
        current = self._get_sequence_state()
        return self._noise() if current is None else current

    def _dropout(self, values: Any, prefix: str, keep: Any, noise: Any, use_filter: bool) -> Any:
        counter = [0]

        def drop(v, n):
            i = counter[0]
            counter[0] += 1
            if self._variational_recurrent:
                mask = tf.floor(keep + n)
                out = tf.divide(v, keep) * mask
                out.set_shape(v.shape)
                return out
            return tf.nn.dropout(v, rate=1.0 - keep, seed=self._gen_seed(prefix, i))

        def skip(v):
            counter[0] += 1
            return v

        def rec(v, n):
            decision = self._state_filter(v) if use_filter else True
            if isinstance(decision, bool):
                if not decision:
                    return skip(v)
                if not _is_structure(v):
                    return drop(v, n)
                ns = list(n) if _is_structure(n) else [None] * len(v)
                return _rebuild(v, [rec(x, y) for x, y in zip(v, ns)])
            # a depth-1 structure of booleans, one per child
            flags = list(decision)
            ns = list(n) if _is_structure(n) else [None] * len(v)
            out = []
            for flag, x, y in zip(flags, v, ns):
                out.append(rec(x, y) if flag else skip(x))
            return _rebuild(v, out)

        return rec(values, noise)

    def wrapped_step(self, inputs, state, cell_call, training=None):
        active = training is None or (not isinstance(training, bool)) or training
        noise = self.variational_noise() if (active and self._variational_recurrent) else {}
        if active and self._should_drop(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._input_keep_prob, noise.get("input"),
                                   use_filter=False)
        output, new_state = cell_call(inputs, state)
        if active and self._should_drop(self._state_keep_prob):
            incoming = new_state
            if isinstance(incoming, (list, tuple)) and not _same_structure(
                    incoming, self.cell.state_size):
                # Keras' list convention: restore the cell's structure (so the
                # filter sees LSTMStateTuple), drop, then answer with a list.
                new_state = keras.tree.pack_sequence_as(self.cell.state_size,
                                                        keras.tree.flatten(incoming))
            new_state = self._dropout(new_state, "state", self._state_keep_prob,
                                      noise.get("state"), use_filter=True)
            new_state = match_structure(incoming, new_state)
        if active and self._should_drop(self._output_keep_prob):
            output = self._dropout(output, "output", self._output_keep_prob, noise.get("output"),
                                   use_filter=False)
        return output, new_state

    def get_config(self) -> dict:
        def prob(p):
            if isinstance(p, float):
                return p
            raise ValueError("DropoutWrapper.get_config needs Python float keep probabilities. "
                             f"Received: {p!r}")

        input_size = self._input_size
        if isinstance(input_size, tf.TensorShape):
            input_size = input_size.as_list()
        return {**super().get_config(),
                "input_keep_prob": prob(self._input_keep_prob),
                "output_keep_prob": prob(self._output_keep_prob),
                "state_keep_prob": prob(self._state_keep_prob),
                "variational_recurrent": self._variational_recurrent,
                "input_size": input_size, "seed": self._seed,
                "dropout_state_filter_visitor": (
                    None if self._filter_arg is None
                    else keras.saving.serialize_keras_object(self._filter_arg))}


# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tfshare")
class ResidualWrapper(CellWrapper):
    """Adds the input to the cell's output, TF1's ``ResidualWrapper``::

        output = residual_fn(inputs, cell_output)   (default: inputs + cell_output)
        new_state = the cell's new state (unchanged)

    The default ``residual_fn`` checks that both have the same structure and
    compatible shapes (``ValueError: Shapes (1, 3) and (1, 2) are
    incompatible``). Adds no variable-scope level; has no variables.
    """

    _function_args = ("residual_fn",)

    def __init__(self, cell: Any, residual_fn: Optional[Callable] = None, **kwargs):
        super().__init__(cell, **kwargs)
        if residual_fn is not None and not callable(residual_fn):
            raise TypeError(f"residual_fn must be callable. Received: {residual_fn!r}")
        self._residual_fn = residual_fn

    @staticmethod
    def _default_residual(inputs, outputs):
        keras.tree.assert_same_structure(inputs, outputs)

        def add(x, y):
            tf.TensorShape(x.shape).assert_is_compatible_with(tf.TensorShape(y.shape))
            return x + y

        return keras.tree.map_structure(add, inputs, outputs)

    def wrapped_step(self, inputs, state, cell_call, training=None):
        output, new_state = cell_call(inputs, state)
        fn = self._residual_fn or self._default_residual
        return fn(inputs, output), new_state

    def get_config(self) -> dict:
        return {**super().get_config(),
                "residual_fn": (None if self._residual_fn is None
                                else keras.saving.serialize_keras_object(self._residual_fn))}


@keras.saving.register_keras_serializable(package="tfshare")
class DeviceWrapper(CellWrapper):
    """Runs the wrapped cell's step and ``zero_state`` on ``device``
    (``tf.device``), TF1's ``DeviceWrapper``. Adds no variable-scope level."""

    def __init__(self, cell: Any, device: str, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    @property
    def device(self) -> str:
        return self._device

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"), tf.device(self._device):
            return cell_zero_state(self.cell, batch_size, dtype)

    def wrapped_step(self, inputs, state, cell_call, training=None):
        with tf.device(self._device):
            return cell_call(inputs, state)

    def get_config(self) -> dict:
        return {**super().get_config(), "device": self._device}
