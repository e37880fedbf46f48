"""The TF1 ``RNNCell`` contract as a Keras 3 layer, and its weight plumbing.

A cell declares its weights once (``_weight_specs``) and computes one time step
once (``_step``). Where the weights come from depends on the *mode*, fixed at
the cell's first call (or first ``build``):

* **Keras mode** (inside ``keras.layers.RNN``, a functional or Sequential
  model, or a direct eager call outside any tfshare variable scope):
  ``build()`` creates Keras weights. A ``/`` in a weight's TF1 name becomes a
  sub-layer, so ``keras.layers.RNN(GRUCell(4), name="rnn")`` has the weight
  paths ``rnn/gru_cell/gates/kernel`` etc., exactly TF1's variable names.
* **TF1 mode** (``tfshare.variables.tf1_mode()`` is True at the first call, or
  ``scope=`` is given): the first call captures a variable scope (``scope``
  exactly, else ``variable_scope(None, default_name=<name or snake_case class
  name>)``), later calls re-enter it with ``reuse=True``, and each weight is
  ``tfshare.variables.get_variable(<TF1 name>, shape, dtype=<input dtype>,
  initializer=...)`` there.
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import numbers
import re
from typing import Any, Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from tfshare import errors
from tfshare._shapes import static_axis, static_dim, static_shape
from tfshare import variables as tfvars

__all__ = ["RNNCell", "WeightSpec"]  # package-internal: begin_sequence, sequence_state


@dataclasses.dataclass(frozen=True)
class WeightSpec:
    """One TF1 variable of a cell.

    ``path`` is the TF1 local name (``kernel``, ``gates/kernel``,
    ``projection/kernel``, ``w_f_diag``); ``initializer`` ``None`` means "the
    variable scope's initializer, else glorot-uniform" (Keras mode: glorot).
    """

    path: str
    shape: tuple
    initializer: Any = None
    trainable: bool = True


# ---------------------------------------------------------------------------
# small helpers shared by the cell modules


def snake_case(name: str) -> str:
    """``BasicLSTMCell`` -> ``basic_lstm_cell`` (TF1's scope naming rule)."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return "private" + s if s.startswith("_") else s


def check_positive_int(arg: str, value: Any, allow_none: bool = False) -> Optional[int]:
    """Validate a size argument; return it as ``int`` (or ``None``)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(errors.bad_argument(arg, value, "a positive integer"))
    return int(value)


def _float_error(dtype: Any) -> ValueError:
    return ValueError(f"RNN cell only supports floating point inputs, but received dtype: {dtype}")


def _is_floating(dtype: Any) -> bool:
    try:
        return tf.as_dtype(dtype).is_floating
    except TypeError:
        return "float" in str(dtype)


def check_float_dtype(dtype: Any) -> None:
    """TF1's ``RNN cell only supports floating point inputs ...`` check for a
    ``dtype=`` argument (Keras dtype-policy objects and dicts pass through)."""
    if dtype is None or not isinstance(dtype, (str, tf.DType, np.dtype, type)):
        return
    try:
        if isinstance(dtype, str):
            name = keras.dtype_policies.get(dtype).compute_dtype
        else:
            name = keras.backend.standardize_dtype(dtype)
    except (ValueError, TypeError):
        raise _float_error(dtype) from None
    if not _is_floating(name):
        raise _float_error(_dtype_repr(name))


def _dtype_repr(dtype: Any) -> Any:
    try:
        return tf.as_dtype(dtype)
    except TypeError:
        return dtype


def get_activation(activation: Any) -> Callable:
    """``None`` -> tanh; strings and serialized forms via Keras."""
    if activation is None:
        return tf.math.tanh
    return keras.activations.get(activation)


def serialize_activation(activation: Any) -> Any:
    if activation is None or isinstance(activation, str):
        return activation
    try:
        return keras.activations.serialize(activation)
    except Exception:  # a user function Keras does not know
        return keras.saving.serialize_keras_object(activation)


def get_initializer(initializer: Any) -> Any:
    """Normalize a user initializer: strings/dicts become Keras initializers;
    other callables (e.g. ``tf.compat.v1`` initializers) are kept as given."""
    if initializer is None:
        return None
    return keras.initializers.get(initializer)


def serialize_initializer(initializer: Any) -> Any:
    if initializer is None:
        return None
    if isinstance(initializer, keras.initializers.Initializer):
        return keras.initializers.serialize(initializer)
    return keras.saving.serialize_keras_object(initializer)


def _tf1_initializer(initializer: Any) -> Any:
    """Adapt a Keras initializer to TF1's ``init(shape, dtype, partition_info)``."""
    if isinstance(initializer, keras.initializers.Initializer):
        keras_init = initializer

        def init(shape, dtype=None, partition_info=None, **_):
            return keras_init(shape, dtype=dtype)

        return init
    return initializer


def _as_tensor(v: Any) -> Any:
    return v.value if isinstance(v, keras.Variable) else v


def assert_like_rnncell(arg: str, cell: Any) -> None:
    """Raise TF1's ``... is not an RNNCell: ...`` TypeError for non-cells."""
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
    if problems:
        raise TypeError(f"The argument '{arg}' ({cell!r}) is not an RNNCell: {', '.join(problems)}.")


def in_tf1_mode() -> bool:
    """``tfshare.variables.tf1_mode()``: is a TF1-style call in force?"""
    return bool(tfvars.tf1_mode())


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


class CellDelegate:
    """Mixin of the wrappers: ``state_size``, ``output_size`` and ``zero_state``
    are the wrapped ``self.cell``'s (``zero_state`` under ``<Wrapper>ZeroState``)."""

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        """The wrapped cell's zero state, under ``<Wrapper>ZeroState``."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if hasattr(self.cell, "zero_state"):
                return self.cell.zero_state(batch_size, dtype)
            return self.cell.get_initial_state(batch_size=batch_size, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config["cell"] = keras.saving.serialize_keras_object(self.cell)
        return config

    @staticmethod
    def _config_with_cell(config: dict, custom_objects=None) -> dict:
        """A copy of ``config`` whose serialized ``cell`` is deserialized."""
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(config["cell"],
                                                               custom_objects=custom_objects)
        return config


class _WeightGroup(keras.layers.Layer):
    """A sub-layer holding the weights under one extra path level
    (``gates``, ``candidate``, ``projection``)."""

    def __init__(self, name: str, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pending: list = []

    def build(self, input_shape=None):
        for local, shape, init, trainable, dtype in self._pending:
            var = self.add_weight(shape=shape, initializer=init, trainable=trainable, dtype=dtype,
                                  name=local)
            _Holder.get(self).put(local, var)
        self._pending = []


class _Holder:
    """Untracked name -> variable map (keeps Keras' tracker out of it)."""

    __slots__ = ("vars",)

    def __init__(self):
        self.vars = {}

    def put(self, name, var):
        self.vars[name] = var

    @staticmethod
    def get(layer) -> "_Holder":
        holder = layer.__dict__.get("_tfshare_holder")
        if holder is None:
            holder = _Holder()
            object.__setattr__(layer, "_tfshare_holder", holder)
        return holder


# ---------------------------------------------------------------------------


class RNNCell(keras.layers.Layer):
    """Base class of the TF1 RNN cells: a Keras 3 layer with TF1's contract.

    Contract (TF1 ``tf.nn.rnn_cell.RNNCell``):

    * ``state_size`` / ``output_size``: ints, ``LSTMStateTuple`` or tuples;
    * ``zero_state(batch_size, dtype)``; ``get_initial_state(inputs=None,
      batch_size=None, dtype=None)`` (also Keras 3's
      ``get_initial_state(batch_size=...)``);
    * ``__call__(inputs, state, scope=None)`` -> ``(output, new_state)``.
      ``state`` may also be a list (Keras 3's RNN convention); the new state is
      then returned as a list too.

    Subclasses implement ``_weight_specs(input_depth, dtype)`` and
    ``_step(inputs, state, weights)``; see the module docstring for where the
    weights come from. A subclass may instead override ``call(inputs, state)``
    and create TF1 variables with ``tfshare.get_variable`` there (TF1 mode).

    Args:
      trainable: whether the weights are trainable.
      name: layer name; in TF1 mode also the default variable-scope name
        (uniquified as TF1 does: ``x``, ``x_1``).
      dtype: variable dtype / Keras dtype policy; must be floating.
      reuse: TF1's ``reuse`` (True: the variables must exist; TF1 mode only).
    """

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 reuse: Any = None, **kwargs):
        check_float_dtype(dtype)
        if isinstance(dtype, tf.DType):
            dtype = dtype.name
        # An unnamed cell gets the TF1 default name as its Keras name (not Keras'
        # session-uniquified ``basic_lstm_cell_3``), so that weight paths are the
        # TF1 names in every model built in the process.
        super().__init__(trainable=trainable, name=name or snake_case(type(self).__name__),
                         dtype=dtype, **kwargs)
        self._tf1_name = name if name else snake_case(type(self).__name__)
        self._reuse = reuse
        self._mode: Optional[str] = None
        self._tf1_scope = None
        self._input_depth: Optional[int] = None
        object.__setattr__(self, "_tf1_variables", [])

    # -- sizes ------------------------------------------------------------
    @property
    def state_size(self):
        """Size(s) of the state: int, ``LSTMStateTuple`` or tuple."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self) -> int:
        """Width of the output."""
        raise NotImplementedError("Abstract method")

    # -- the math (one implementation for both modes) -----------------------
    def _weight_specs(self, input_depth: int, dtype: Any) -> list:
        """The cell's TF1 variables, in TF1's creation order."""
        raise NotImplementedError

    def _step(self, inputs, state, weights: dict):
        """One step: ``(output, new_state)``; ``state`` has the structure of
        ``state_size``, ``weights`` maps TF1 local names to tensors."""
        raise NotImplementedError

    # -- initial states ------------------------------------------------------
    def zero_state(self, batch_size, dtype):
        """Zeros with the structure of ``state_size``, each ``[batch_size, size]``
        (ops under the name scope ``<ClassName>ZeroState``)."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return _zeros_like_size(self.state_size, batch_size, dtype)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """TF1 ``get_initial_state(inputs, batch_size, dtype)`` and Keras 3's
        ``get_initial_state(batch_size)`` (dtype then defaults to the cell's
        compute dtype)."""
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

    # -- sequences -------------------------------------------------------------
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

    # -- calling -------------------------------------------------------------
    def __call__(self, inputs, state=None, scope=None, **kwargs):
        if self._mode is None:
            self._mode = "tf1" if (scope is not None or in_tf1_mode()) else "keras"
        if self._mode == "tf1":
            return self._tf1_call(inputs, state, scope, **kwargs)
        self._check_inputs(inputs)
        self._validate_state(state)  # before Keras, which rewraps errors raised in call()
        return super().__call__(inputs, state, **kwargs)

    def _enter_keras_mode(self) -> None:
        if self._mode == "tf1":
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was first called as a TF1 cell (variables "
                f"in variable scope '{getattr(self._tf1_scope, 'name', '')}'); it cannot also be "
                "built as a Keras layer. Use a new cell instance for Keras.")
        self._mode = "keras"

    def _validate_state(self, state) -> None:
        if not _is_symbolic(state):
            self._canonical_state(state)

    def build(self, input_shape):
        """Keras mode: create the Keras weights for inputs of ``input_shape``."""
        self._enter_keras_mode()
        depth = self._depth_from_shape(input_shape)
        self._input_depth = depth
        specs = self._weight_specs(depth, self.variable_dtype)
        holder = _Holder.get(self)
        groups: dict = {}
        for spec in specs:
            init = "glorot_uniform" if spec.initializer is None else spec.initializer
            if "/" in spec.path:
                group, local = spec.path.split("/", 1)
                groups.setdefault(group, []).append((spec.path, local, spec, init))
            else:
                var = self.add_weight(shape=tuple(spec.shape), initializer=init,
                                      trainable=spec.trainable, name=spec.path)
                holder.put(spec.path, var)
        for group, items in groups.items():
            layer = _WeightGroup(name=group, dtype=self.dtype_policy)
            setattr(self, "_group_" + group, layer)
            layer._pending = [(local, tuple(s.shape), init, s.trainable, None)
                              for _, local, s, init in items]
            layer.build(None)
            sub = _Holder.get(layer)
            for path, local, _, _ in items:
                holder.put(path, sub.vars[local])

    def call(self, inputs, states):
        weights = {k: _as_tensor(v) for k, v in _Holder.get(self).vars.items()}
        state = self._canonical_state(states)
        output, new_state = self._step(inputs, state, weights)
        return output, self._match_state(states, new_state)

    # -- TF1 mode ------------------------------------------------------------
    def _tf1_scope_context(self, scope):
        """Enter this cell's variable scope: captured at the first call."""
        if self._tf1_scope is not None:
            return tfvars.variable_scope(self._tf1_scope, reuse=True)
        reuse = {} if self._reuse is None else {"reuse": self._reuse}
        if scope is not None:
            return tfvars.variable_scope(scope, **reuse)
        if self._reuse:
            return tfvars.variable_scope(self._tf1_name, **reuse)
        return tfvars.variable_scope(None, default_name=self._tf1_name)

    def _tf1_call(self, inputs, state, scope, **kwargs):
        if not tf.is_tensor(inputs):
            inputs = tf.convert_to_tensor(inputs)
        self._check_inputs(inputs)
        with self._tf1_scope_context(scope) as vs:
            first_call = self._tf1_scope is None
            if first_call:
                self._tf1_scope = vs
            if type(self).call is not RNNCell.call:  # TF1-style subclass
                result = self.call(inputs, state, **kwargs)
                if first_call:  # track what its call created in its scope
                    prefix = vs.name + "/"
                    self._tf1_variables.extend(
                        var for var in tfvars.global_variables() if var.name.startswith(prefix))
                return result
            depth = static_axis(inputs, -1)
            if self._input_depth is None:
                self._input_depth = depth
            weights = self._tf1_weights(depth, inputs.dtype)
            canonical = self._canonical_state(state)
            output, new_state = self._step(inputs, canonical, weights)
            return output, self._match_state(state, new_state)

    def _tf1_weights(self, depth: int, dtype: Any) -> dict:
        """TF1 mode: ``get_variable`` every weight in the current (the cell's) scope."""
        weights = {}
        for spec in self._weight_specs(depth, dtype):
            var = tfvars.get_variable(spec.path, shape=list(spec.shape), dtype=dtype,
                                 initializer=_tf1_initializer(spec.initializer),
                                 trainable=spec.trainable)
            if not any(var is w for w in self._tf1_variables):
                self._tf1_variables.append(var)
            weights[spec.path] = _as_tensor(var)
        return weights

    def _fast_path_weights(self, depth: int, dtype: Any) -> Optional[dict]:
        """The weights as ``{TF1 local name: tensor}`` for ``tfshare.fastpath``.

        Creates (or reuses) them exactly as the cell's first call would: the mode
        is fixed now if it is not yet; in TF1 mode each weight is ``get_variable``
        in the cell's captured scope. Returns None when the cell cannot supply
        them: an unbuilt Keras-mode cell, or an input depth other than the built
        one (the exact path then raises its error).
        """
        if self._mode is None:
            self._mode = "tf1" if in_tf1_mode() else "keras"
        if self._input_depth is not None and self._input_depth != depth:
            return None
        if self._mode == "keras":
            held = _Holder.get(self).vars
            specs = self._weight_specs(depth, dtype)
            if not self.built or any(s.path not in held for s in specs):
                return None
            return {s.path: _as_tensor(held[s.path]) for s in specs}
        with self._tf1_scope_context(None) as vs:
            if self._tf1_scope is None:
                self._tf1_scope = vs
            self._input_depth = depth
            return self._tf1_weights(depth, dtype)

    def _tf1_variable_list(self) -> list:
        return list(self._tf1_variables)

    # Weight lists: TF1-mode cells list the store's variables they use.
    @property
    def weights(self):
        if self._mode == "tf1":
            return self._tf1_variable_list()
        return super().weights

    @property
    def variables(self):
        if self._mode == "tf1":
            return self._tf1_variable_list()
        return super().variables

    @property
    def trainable_weights(self):
        if self._mode == "tf1":
            return [w for w in self._tf1_variable_list() if w.trainable]
        return super().trainable_weights

    @property
    def non_trainable_weights(self):
        if self._mode == "tf1":
            return [w for w in self._tf1_variable_list() if not w.trainable]
        return super().non_trainable_weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    # -- validation and state plumbing ---------------------------------------
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
        if not _is_floating(keras.backend.standardize_dtype(dtype)):
            raise _float_error(_dtype_repr(dtype))
        depth = self._depth_from_shape(getattr(inputs, "shape", None))
        if self._input_depth is not None and depth != self._input_depth:
            raise ValueError(
                f"Argument `inputs` of {type(self).__name__} '{self.name}' has depth {depth}, but "
                f"the cell was built for input depth {self._input_depth}. "
                f"Received: inputs.shape={tuple(inputs.shape)}")

    def _canonical_state(self, state):
        """Restructure ``state`` (TF1 structure, or Keras' list) as ``state_size``."""
        size = self.state_size
        flat = keras.tree.flatten(state) if state is not None else []
        want = len(keras.tree.flatten(size))
        if state is None or len(flat) != want:
            raise ValueError(
                f"Argument `state` of {type(self).__name__} '{self.name}' must have the structure "
                f"of state_size={size!r} ({want} tensor(s)). Received: state={state!r}")
        return keras.tree.pack_sequence_as(size, flat)

    @staticmethod
    def _match_state(incoming, new_state):
        """Answer in the caller's container types when they differ from the
        cell's (Keras passes states as a list or plain tuple); else TF1's."""
        return match_structure(incoming, new_state)

    # -- serialization --------------------------------------------------------
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


# ---------------------------------------------------------------------------
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
    """``new_state`` restructured like ``incoming`` if their containers differ."""
    if isinstance(incoming, (list, tuple)) and not _same_structure(incoming, new_state):
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
