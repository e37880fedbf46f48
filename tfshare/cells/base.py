"""The TF1 ``RNNCell`` contract as a Keras 3 layer.

A cell is described once, and every path derives from that description:

* ``weight_specs(input_depth)``: its TF1 variables (:class:`WeightSpec`: local
  name, shape, initializer), in TF1's creation order;
* ``step(inputs, state, weights)``: one time step, ``weights`` mapping the
  local names to tensors;
* optionally ``fused_spec()``: the fused kernel that computes the same step
  over a whole sequence (:mod:`tfshare.cells.fused`), used by ``dynamic_rnn``
  and ``tfshare.RNN``.

The weights come from the cell's weight source (:mod:`tfshare.cells.weights`),
chosen at its first call (or ``build``) and kept: Keras weights made by
``build()`` (Keras mode), or TF1 variables from ``tfshare.get_variable`` in the
variable scope captured at the first call (TF1 mode: ``scope=`` given, or
``tfshare.variables.tf1_mode()``). A TF1-style subclass may instead override
``call(inputs, state)`` and call ``tfshare.get_variable`` there (TF1 mode).

States: a cell's state has the structure of its ``state_size`` (TF1's:
``LSTMStateTuple``, nested tuples). A call answers in that structure, except
that a state given as a *list* (Keras' convention) is answered as a list.
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Optional

import keras
import tensorflow as tf

from tfshare import variables as tfvars
from tfshare._shapes import static_axis, static_dim, static_shape
from tfshare.cells._args import (check_float_dtype, dtype_name, dtype_repr, float_error,
                                 is_floating, snake_case)
from tfshare.cells.state import LSTMStateTuple
from tfshare.cells.weights import KerasWeights, TF1Weights, WeightSpec, WeightTree, unique

__all__ = ["RNNCell", "WeightSpec"]  # package-internal: begin_sequence, sequence_state


def rnncell_problems(cell: Any) -> list:
    """What keeps ``cell`` from being an RNN cell (TF1's duck-typing rule), as
    TF1's phrases; empty for a cell."""
    problems = []
    for attr in ("output_size", "state_size"):
        try:
            getattr(cell, attr)
        except AttributeError:
            problems.append(f"'{attr}' property is missing")
    if not (hasattr(cell, "get_initial_state") or hasattr(cell, "zero_state")):
        problems.append("either 'zero_state' or 'get_initial_state' method is required")
    if not callable(cell):
        problems.append("is not callable")
    return problems


def assert_like_rnncell(arg: str, cell: Any) -> None:
    """Raise TF1's ``... is not an RNNCell: ...`` TypeError for non-cells."""
    problems = rnncell_problems(cell)
    if problems:
        raise TypeError(f"The argument '{arg}' ({cell!r}) is not an RNNCell: {', '.join(problems)}.")


def flat_size(size: Any) -> int:
    """Total width of a (possibly nested) ``state_size``."""
    return sum(int(s) for s in keras.tree.flatten(size))


def call_accepts_training(layer: Any) -> bool:
    call = getattr(layer, "call", None)
    if call is None:
        return False
    try:
        return "training" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def child_kwargs(child: Any, training: Any) -> dict:
    """``{"training": training}`` when it is set and ``child.call`` takes it."""
    return {"training": training} if training is not None and call_accepts_training(child) else {}


def cell_zero_state(cell: Any, batch_size: Any, dtype: Any) -> Any:
    """``cell.zero_state``, else Keras' ``cell.get_initial_state``."""
    if hasattr(cell, "zero_state"):
        return cell.zero_state(batch_size, dtype)
    return cell.get_initial_state(batch_size=batch_size, dtype=dtype)


def deserialize_cell(cell: Any, custom_objects=None) -> Any:
    """A cell from a config entry: a serialized cell (dict or registered name) is
    deserialized, a cell object is used as it is."""
    if isinstance(cell, (dict, str)):
        return keras.saving.deserialize_keras_object(cell, custom_objects=custom_objects)
    return cell


def _writes_own_call(cell: Any) -> bool:
    """A ``call`` written outside tfshare (a TF1-style subclass) creates its
    variables itself, with ``get_variable``."""
    return not (getattr(type(cell).call, "__module__", None) or "").startswith("tfshare.")


class RNNCell(keras.layers.Layer):
    """Base class of the TF1 RNN cells: a Keras 3 layer with TF1's contract.

    Contract (TF1 ``tf.nn.rnn_cell.RNNCell``):

    * ``state_size`` / ``output_size``: ints, ``LSTMStateTuple`` or tuples;
    * ``zero_state(batch_size, dtype)``; ``get_initial_state(inputs=None,
      batch_size=None, dtype=None)`` (also Keras 3's
      ``get_initial_state(batch_size=...)``);
    * ``__call__(inputs, state, scope=None)`` -> ``(output, new_state)``;
    * ``dtype``: the ``dtype=`` given, else ``None`` until the first call
      fixes it (TF1: the input dtype; Keras mode: the variable dtype).

    Subclasses implement ``weight_specs`` and ``step`` (see the module
    docstring), and ``fused_spec`` to get the fast path.

    Args:
      trainable: whether the weights are trainable.
      name: layer name; in TF1 mode also the default variable-scope name
        (uniquified as TF1 does: ``x``, ``x_1``).
      dtype: variable dtype / Keras dtype policy; must be floating.
      reuse: TF1's ``reuse`` (True: the variables must exist; TF1 mode only).
    """

    #: False for wrappers that add no variable-scope level (``DropoutWrapper``).
    adds_scope_level = True

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 reuse: Any = None, **kwargs):
        check_float_dtype(dtype)
        self._tf1_dtype = dtype_name(dtype)
        if isinstance(dtype, tf.DType):
            dtype = dtype.name
        # An unnamed cell gets the TF1 default name as its Keras name (not Keras'
        # session-uniquified ``basic_lstm_cell_3``), so that weight paths are the
        # TF1 names in every model built in the process.
        default = snake_case(type(self).__name__)
        super().__init__(trainable=trainable, name=name or default, dtype=dtype, **kwargs)
        self._tf1_name = name or default
        self._reuse = reuse
        self._input_depth: Optional[int] = None
        self._weight_source: Optional[KerasWeights | TF1Weights] = None
        self._weight_tree = WeightTree()  # the weights in TF's object graph

    # -- the description of the cell ---------------------------------------------------
    @property
    def state_size(self):
        """Size(s) of the state: int, ``LSTMStateTuple`` or tuple."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self) -> int:
        """Width of the output."""
        raise NotImplementedError("Abstract method")

    def weight_specs(self, input_depth: Optional[int]) -> list:
        """The cell's TF1 variables for inputs of depth ``input_depth``, in TF1's
        creation order (none by default)."""
        del input_depth
        return []

    def step(self, inputs, state, weights: dict):
        """One step: ``(output, new_state)``; ``state`` has the structure of
        ``state_size``, ``weights`` maps TF1 local names to tensors."""
        raise NotImplementedError(f"{type(self).__name__} implements neither `step` nor `call`.")

    def fused_spec(self) -> Any:
        """The fused kernel's description of ``step`` (``tfshare.cells.FusedLSTM``
        or ``FusedGRU``), or ``None`` (the default): no fast path."""
        return None

    @property
    def dtype(self) -> Optional[str]:
        """TF1's ``dtype``: the ``dtype=`` given, else ``None`` until the first call
        fixes it (the input dtype in TF1 mode, the variable dtype in Keras mode)."""
        return self._tf1_dtype

    # -- initial states ------------------------------------------------------------------
    def zero_state(self, batch_size, dtype):
        """Zeros with the structure of ``state_size``, each ``[batch_size, size]``
        (ops under the name scope ``<ClassName>ZeroState``)."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return _zeros_like_size(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """TF1 ``get_initial_state(inputs, batch_size, dtype)`` and Keras 3's
        ``get_initial_state(batch_size)`` (dtype then defaults to the cell's
        compute dtype). Starts a sequence (:meth:`begin_sequence`)."""
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            static_batch = static_axis(inputs, 0)
            if batch_size is not None:
                given = (tf.get_static_value(batch_size, partial=True)
                         if tf.is_tensor(batch_size) else batch_size)
                if static_batch != given:
                    raise ValueError(
                        "batch size from input tensor is different from the input param. "
                        f"Input tensor batch: {static_batch}, batch_size: {batch_size}")
            if dtype is not None and inputs.dtype != tf.as_dtype(dtype):
                raise ValueError(
                    "dtype from input tensor is different from the input param. "
                    f"Input tensor dtype: {inputs.dtype}, dtype: {dtype}")
            batch_size = static_batch if static_batch is not None else tf.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None:
            raise ValueError(
                "batch_size and dtype cannot be None while constructing initial state: "
                f"batch_size={batch_size}, dtype={dtype}")
        if dtype is None:
            dtype = self.compute_dtype
        self.begin_sequence()  # Keras' RNN calls this at the start of every sequence
        return self.zero_state(batch_size, dtype)

    # -- sequences -----------------------------------------------------------------------
    def begin_sequence(self) -> None:
        """Mark the start of a sequence (a new run of this cell over time).

        Called by ``get_initial_state`` (so by ``keras.layers.RNN`` at each
        call without ``initial_state``) and by the ``tfshare.rnn`` drivers once
        per call. The base cell only forwards it to the cells it contains; a
        variational ``DropoutWrapper`` draws its per-sequence noise here.
        """
        for child in self._sequence_children():
            begin_sequence(child)

    def _sequence_children(self) -> list:
        """The cells this cell runs (a wrapper's ``cell``); MultiRNNCell overrides."""
        child = getattr(self, "cell", None)
        return [child] if child is not None and child is not self else []

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, inputs, state=None, scope=None, **kwargs):
        if self._source(scope).tf1:
            return self._tf1_call(inputs, state, scope, kwargs)
        self._check_inputs(inputs)
        self._validate_state(state)  # before Keras, which rewraps errors raised in call()
        return super().__call__(inputs, state, **kwargs)

    def _source(self, scope: Any = None) -> KerasWeights | TF1Weights:
        """The weight source, chosen at the first use: TF1 when ``scope`` is given
        or ``tfshare.variables.tf1_mode()``, else Keras."""
        if self._weight_source is None:
            tf1 = scope is not None or bool(tfvars.tf1_mode())
            self._weight_source = (TF1Weights(self, self._weight_tree) if tf1
                                   else KerasWeights(self, self._weight_tree))
        return self._weight_source

    def _tf1_call(self, inputs, state, scope, kwargs):
        """TF1 mode: ``call`` inside the cell's variable scope (a wrapper without a
        scope level passes ``scope`` on to its cell instead)."""
        inputs = self._accept_tf1_inputs(inputs)
        if not self.adds_scope_level:
            if scope is not None:
                kwargs = dict(kwargs, scope=scope)
            return self.call(inputs, state, **kwargs)
        source = self._weight_source
        with source.entered(scope) as vs:
            first_call = not source.called
            source.called = True
            result = self.call(inputs, state, **kwargs)
            if first_call and _writes_own_call(self):  # collect what its call created
                prefix = vs.name + "/"
                source.track(v for v in tfvars.global_variables() if v.name.startswith(prefix))
        return result

    def _first_scope(self, scope: Any) -> contextlib.AbstractContextManager:
        """The variable scope of the first TF1 call: ``scope`` exactly, else the
        cell's name uniquified (exactly, with ``reuse=True``)."""
        reuse = {} if self._reuse is None else {"reuse": self._reuse}
        if scope is not None:
            return tfvars.variable_scope(scope, **reuse)
        if self._reuse:
            return tfvars.variable_scope(self._tf1_name, **reuse)
        return tfvars.variable_scope(None, default_name=self._tf1_name)

    def _accept_tf1_inputs(self, inputs):
        """TF1 mode: the inputs as a tensor, checked; the first fixes the input
        depth and ``dtype``."""
        if not tf.is_tensor(inputs):
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        if self._input_depth is None:
            self._input_depth = static_axis(inputs, -1)
        if self._tf1_dtype is None:
            self._tf1_dtype = inputs.dtype.name
        return inputs

    def _use_keras_weights(self) -> KerasWeights:
        source = self._source()
        if source.tf1:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was first called as a TF1 cell (variables "
                f"in variable scope '{getattr(source.scope, 'name', '')}'); it cannot also be "
                "built as a Keras layer. Use a new cell instance for Keras.")
        if self._tf1_dtype is None:
            self._tf1_dtype = self.variable_dtype
        return source

    def build(self, input_shape):
        """Keras mode: create the Keras weights for inputs of ``input_shape``."""
        source = self._use_keras_weights()
        self._input_depth = self._depth_from_shape(input_shape)
        source.create(self.weight_specs(self._input_depth))

    def call(self, inputs, states):
        """``step`` with the weights of the cell's source (both modes)."""
        depth = static_axis(inputs, -1)
        weights = self._weight_source.get(self.weight_specs(depth), inputs.dtype)
        output, new_state = self.step(inputs, self._canonical_state(states), weights)
        return output, match_structure(states, new_state)

    def step_weights(self, input_depth: int, dtype: Any) -> Optional[dict]:
        """The weights of one step, ``{TF1 local name: tensor}``, as ``call`` reads them.

        In TF1 mode they are created (or reused) in the cell's scope exactly as
        its first call would create them; the weight source is chosen now if it
        is not yet. Returns ``None`` when the cell cannot supply them: Keras mode
        before ``build``, or an input depth other than the built one (a call
        then raises the error).
        """
        source = self._source()
        if self._input_depth is not None and self._input_depth != input_depth:
            return None
        specs = self.weight_specs(input_depth)
        if not source.tf1:
            return source.get(specs) if self.built and source.has(specs) else None
        with source.entered(None):
            self._input_depth = input_depth
            if self._tf1_dtype is None:
                self._tf1_dtype = tf.as_dtype(dtype).name
            return source.get(specs, dtype)

    # -- weight lists: the TF1 variables a TF1-mode cell owns, then Keras' --------------------
    def _own_tf1_variables(self) -> list:
        source = self._weight_source
        return list(source.variables) if source is not None else []

    @property
    def weights(self):
        return unique(self._own_tf1_variables() + super().weights)

    @property
    def variables(self):
        return unique(self._own_tf1_variables() + super().variables)

    # -- validation and state plumbing -----------------------------------------------------
    def _depth_from_shape(self, input_shape) -> int:
        shape = tuple(static_shape(tf.TensorShape(input_shape)) or ()) if input_shape is not None else ()
        if len(shape) != 2:
            raise ValueError(
                f"Argument `inputs` of {type(self).__name__} '{self.name}' must be a 2-D tensor "
                f"[batch, depth]. Received: inputs.shape={shape}")
        if shape[-1] is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {shape}")
        return int(shape[-1])

    def _check_inputs(self, inputs) -> None:
        dtype = getattr(inputs, "dtype", None)
        if dtype is None:
            inputs = tf.convert_to_tensor(inputs)
            dtype = inputs.dtype
        if not is_floating(keras.backend.standardize_dtype(dtype)):
            raise float_error(dtype_repr(dtype))
        depth = self._depth_from_shape(getattr(inputs, "shape", None))
        if self._input_depth is not None and depth != self._input_depth:
            raise ValueError(
                f"Argument `inputs` of {type(self).__name__} '{self.name}' has depth {depth}, but "
                f"the cell was built for input depth {self._input_depth}. "
                f"Received: inputs.shape={tuple(inputs.shape)}")

    def _validate_state(self, state) -> None:
        if not _is_symbolic(state):
            self._canonical_state(state)

    def _canonical_state(self, state):
        """``state`` (TF1 structure, or Keras' list) restructured as ``state_size``;
        each tensor's static width must be its size."""
        size = self.state_size
        flat = keras.tree.flatten(state) if state is not None else []
        sizes = keras.tree.flatten(size)
        if state is None or len(flat) != len(sizes):
            raise ValueError(
                f"Argument `state` of {type(self).__name__} '{self.name}' must have the structure "
                f"of state_size={size!r} ({len(sizes)} tensor(s)). Received: state={state!r}")
        for leaf, want in zip(flat, sizes):
            check_state_width(self, leaf, want)
        return keras.tree.pack_sequence_as(size, flat)

    # -- serialization ---------------------------------------------------------------------
    def get_build_config(self):
        """None: a cell is built by its parent (RNN, MultiRNNCell, wrapper)
        inside the parent's path, not on its own while being deserialized
        (which would lose the ``rnn/`` prefix of the TF1 names)."""
        return None

    def get_config(self) -> dict:
        config = super().get_config()
        if self._reuse is not None and isinstance(self._reuse, bool):
            config["reuse"] = self._reuse
        return config


class UnitsCell(RNNCell):
    """A cell whose state and output are both ``num_units`` wide (``self._num_units``)."""

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units


class LSTMUnitsCell(RNNCell):
    """An LSTM cell with state ``LSTMStateTuple(c, h)``: ``c`` is ``num_units``
    wide (``self._num_units``), ``h`` and the output ``_m_dim`` wide (``num_units``
    unless a projected cell overrides ``_m_dim``)."""

    @property
    def _m_dim(self) -> int:
        return self._num_units

    @property
    def state_size(self) -> LSTMStateTuple:
        return LSTMStateTuple(self._num_units, self._m_dim)

    @property
    def output_size(self) -> int:
        return self._m_dim


def check_state_width(cell: Any, leaf: Any, size: Any) -> None:
    """A state tensor whose static last dimension is not ``size`` is refused
    (TF1 sliced a too-wide concatenated LSTM state silently)."""
    width = static_axis(leaf, -1) if hasattr(leaf, "shape") else None
    want = static_dim(size) if not isinstance(size, tf.TensorShape) else None
    if width is not None and want is not None and width != want:
        raise ValueError(
            f"Argument `state` of {type(cell).__name__} '{cell.name}' must hold tensors of "
            f"width {want} (state_size={cell.state_size!r}). Received a tensor of shape "
            f"{tuple(static_shape(leaf) or ())}")


# ---------------------------------------------------------------------------------------
# per-sequence state (variational dropout noise), package-internal


def begin_sequence(cell: Any) -> None:
    """``cell.begin_sequence()`` if the cell has it (non-tfshare cells: no-op)."""
    fn = getattr(cell, "begin_sequence", None)
    if callable(fn):
        fn()


def _cell_tree(cell: Any) -> list:
    """``cell`` and every cell inside it, depth first, each object once."""
    out: list = []
    seen: set = set()

    def visit(c):
        if id(c) in seen:
            return
        seen.add(id(c))
        out.append(c)
        children = getattr(c, "_sequence_children", None)
        for child in (children() if callable(children) else []):
            visit(child)

    visit(cell)
    return out


def sequence_state(cell: Any) -> tuple:
    """The per-sequence tensors of ``cell``'s tree valid in the current context
    (one entry per cell of the tree, ``None`` where there is none), to pass
    into a ``tf.function`` that runs more steps of the same sequence."""
    return tuple(c._get_sequence_state() if hasattr(c, "_get_sequence_state") else None
                 for c in _cell_tree(cell))


@contextlib.contextmanager
def sequence_state_scope(cell: Any, state: tuple):
    """Inside a trace: make ``state`` (from :func:`sequence_state`, received as
    function arguments) the current sequence of ``cell``'s tree; restored on exit."""
    cells = _cell_tree(cell)
    restore = []
    try:
        for c, s in zip(cells, state):
            if s is not None and hasattr(c, "_set_sequence_state"):
                restore.append((c, c._set_sequence_state(s)))
        yield
    finally:
        for c, previous in reversed(restore):
            c._restore_sequence_state(previous)


def _is_symbolic(x: Any) -> bool:
    return any(isinstance(t, keras.KerasTensor) for t in keras.tree.flatten(x))


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return False
        return all(_same_structure(x, y) for x, y in zip(a, b))
    return True


def match_structure(incoming: Any, new_state: Any) -> Any:
    """``new_state`` (in the cell's structure) answered to a call given
    ``incoming``: as a list when ``incoming`` is one (Keras' convention), else
    unchanged (TF1: ``cell(x, (c, h))`` returns an ``LSTMStateTuple``)."""
    if isinstance(incoming, list) and not _same_structure(incoming, new_state):
        return keras.tree.pack_sequence_as(incoming, keras.tree.flatten(new_state))
    return new_state


def _zeros_like_size(size, batch_size, dtype):
    if not tf.is_tensor(batch_size):
        batch_size = static_dim(batch_size)
        if batch_size is None:
            raise ValueError("Argument `batch_size` must be known to build a zero state. "
                             "Received: batch_size=None")

    def zeros(s):
        s = static_dim(s)
        return tf.zeros(tf.stack([batch_size, s]) if tf.is_tensor(batch_size)
                        else [batch_size, s], dtype=dtype)

    return keras.tree.map_structure(zeros, size)
