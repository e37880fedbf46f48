"""The TF1 ``tf.layers.Layer`` base, on ``get_variable``/``variable_scope``.

A layer owns one variable scope (TF1 rules, docs/variables.md §5):

* ``Layer(name=..., _scope=s)`` (the functional forms ``dense(x, 3, name="fc")``)
  captures ``variable_scope(s)`` at construction: **not** uniquified, so a second
  ``dense(x, 3, name="fc")`` raises ``Variable fc/kernel already exists...``
  unless ``reuse=True``/``AUTO_REUSE``.
* Otherwise (classes, unnamed functional calls) the scope is captured at the
  first call as ``variable_scope(None, default_name=name or snake_case(class))``:
  uniquified (``dense``, ``dense_1``, ...); with ``_reuse=True`` it is plain
  ``variable_scope(name)``.
* Later calls re-enter the captured scope with ``reuse=True``, whatever scope is
  current then.

Variables are created with ``get_variable(name, ...)`` in that scope, so their
TF1 names are ``<scope>/kernel``, ``<scope>/bias`` ... in graph and eager mode.
A ``regularizer`` adds its loss once per variable creation (graph mode:
``REGULARIZATION_LOSSES``, op ``<scope>/kernel/Regularizer/...``).
"""
from __future__ import annotations

import collections
import contextlib
import re
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence

import keras
import numpy as np
import tensorflow as tf

from tfshare.compat.v1 import _api

_v1 = tf.compat.v1


class _LayerUids:
    """Per-graph counters of unnamed layers (``dense_1``, ``dense_2``...); eager
    mode has one set, cleared by ``reset_default_graph()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graphs: "weakref.WeakKeyDictionary[Any, Dict[str, int]]" = (
            weakref.WeakKeyDictionary())
        self._eager: Dict[str, int] = collections.defaultdict(int)

    def next_name(self, base: str) -> str:
        """``base_<n>`` with the next ``n`` of the current graph (or eager mode)."""
        with self._lock:
            if _v1.executing_eagerly_outside_functions():
                uids = self._eager
            else:
                uids = self._graphs.setdefault(_v1.get_default_graph(),
                                               collections.defaultdict(int))
            uids[base] += 1
            return f"{base}_{uids[base]}"

    def reset_eager(self) -> None:
        with self._lock:
            self._eager.clear()


LAYER_UIDS = _LayerUids()


def to_snake_case(name: str) -> str:
    """``Conv2DTranspose`` -> ``conv2d_transpose``, ``BatchNormalization`` ->
    ``batch_normalization`` (the TF1 default layer names)."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def static_dims(shape: Any) -> Optional[List[Optional[int]]]:
    """A shape (or anything with ``.shape``) as a list of ``int | None`` under
    both TensorShape behaviours (``disable_v2_tensorshape()`` makes
    ``shape[i]`` a ``Dimension``); ``None`` when the rank is unknown."""
    shape = tf.TensorShape(getattr(shape, "shape", shape))
    if shape.rank is None:
        return None
    return [tf.compat.dimension_value(d) for d in shape]


def tf1_shape_str(shape: Any) -> str:
    """A shape printed as TF1 printed it in error messages: ``(?, 3)``, ``(5,)``,
    ``()``, ``<unknown>``."""
    dims = static_dims(shape)
    if dims is None:
        return "<unknown>"
    text = ", ".join("?" if d is None else str(d) for d in dims)
    return f"({text},)" if len(dims) == 1 else f"({text})"


def v1_graph_mode() -> bool:
    """True in TF1 graph mode (not eager, not inside a ``tf.function`` only)."""
    return not _v1.executing_eagerly_outside_functions()


def bad_argument(arg: str, value: Any, expected: str) -> str:
    return f"Argument `{arg}` must be {expected}. Received: {arg}={value!r}"


_ACTIVATIONS: Dict[str, Optional[Callable]] = {
    "linear": None,
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "softmax": tf.nn.softmax,
    "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign,
}


def get_activation(activation: Any) -> Optional[Callable]:
    """``None``, a callable, or a name (``"relu"``, ``"tanh"``, ...)."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(bad_argument("activation", activation, "None, a callable or one of "
                                  + ", ".join(sorted(_ACTIVATIONS))))


class L1L2:
    """``l1 * sum(|x|) + l2 * sum(x**2)``: the regularizer TF1's ``tf.layers`` built
    for the names ``"l1"``, ``"l2"`` and ``"l1_l2"`` (factors 0.01)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x: Any) -> Any:
        if not self.l1 and not self.l2:
            return tf.constant(0.0)
        total: Any = 0.0
        if self.l1:
            total += self.l1 * tf.reduce_sum(tf.abs(x))
        if self.l2:
            total += self.l2 * tf.reduce_sum(tf.square(x))
        return total

    def __repr__(self) -> str:
        return f"L1L2(l1={self.l1}, l2={self.l2})"


_REGULARIZER_NAMES = {"l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1_l2": (0.01, 0.01)}


def get_regularizer(value: Any, arg: str) -> Optional[Callable]:
    """``None``, a callable ``f(weights) -> loss``, or one of TF1's names
    ``"l1"``, ``"l2"``, ``"l1_l2"`` (an :class:`L1L2` with factors 0.01; any
    other string raises TF1's ``ValueError: Unknown regularizer:<name>``)."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        if value not in _REGULARIZER_NAMES:
            raise ValueError(f"Unknown regularizer:{value}")
        return L1L2(*_REGULARIZER_NAMES[value])
    raise ValueError(bad_argument(arg, value, 'None, a callable or one of "l1", "l2", "l1_l2"'))


def get_initializer(value: Any, arg: str) -> Any:
    """``None``, an initializer (callable or class), or a Keras initializer name
    (``"zeros"``, ``"ones"``, ``"glorot_uniform"``...), as TF1's ``tf.layers``."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        try:
            return keras.initializers.get(value)
        except ValueError:
            raise ValueError(bad_argument(arg, value, "an initializer or the name of a Keras "
                                          "initializer")) from None
    raise ValueError(bad_argument(arg, value, "None, an initializer or an initializer name"))


def normalize_tuple(value: Any, n: int, arg: str) -> tuple:
    """An int or a sequence of ``n`` positive ints -> a tuple of ``n`` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(bad_argument(arg, value, f"an int or a tuple of {n} ints")) from None
        if len(out) != n:
            raise ValueError(bad_argument(arg, value, f"an int or a tuple of {n} ints"))
    if any(v <= 0 for v in out):
        raise ValueError(bad_argument(arg, value, "positive"))
    return out


def normalize_padding(value: Any, allowed: Sequence[str] = ("valid", "same")) -> str:
    p = value.lower() if isinstance(value, str) else value
    if p not in allowed:
        raise ValueError(bad_argument("padding", value, "one of " + ", ".join(map(repr, allowed))))
    return p


def normalize_data_format(value: Any) -> str:
    if value is None:
        return "channels_last"
    v = value.lower() if isinstance(value, str) else value
    if v not in ("channels_last", "channels_first"):
        raise ValueError(bad_argument("data_format", value, "'channels_last' or 'channels_first'"))
    return v


class Layer:
    """Base of the TF1 ``tf.layers`` classes (``tf.compat.v1.layers.Layer``).

    Subclasses implement ``build(input_shape)`` (calling :meth:`add_weight`) and
    ``call(inputs, **kwargs)``. The first ``__call__`` captures the variable
    scope and builds; later calls reuse the variables.
    """

    def __init__(self, trainable: bool = True, name: Any = None, dtype: Any = None, **kwargs: Any):
        scope = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        kwargs.pop("input_shape", None)
        kwargs.pop("batch_input_shape", None)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown keyword argument(s) {sorted(kwargs)}")
        self.activity_regularizer = get_regularizer(activity_regularizer, "activity_regularizer")
        self.input_spec: Any = None
        self.trainable = bool(trainable)
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self.built = False
        self._trainable_weights: List[Any] = []
        self._non_trainable_weights: List[Any] = []
        self._graph_losses: List[Any] = []
        self._eager_losses: List[Callable[[], Any]] = []
        self._call_losses: List[Any] = []
        self._updates: List[Any] = []
        self._current_scope = None
        self._init_set_name(name)
        self._scope = None
        if scope is not None:
            with _api.variable_scope(scope) as captured:
                self._scope = captured

    # -- names ---------------------------------------------------------------
    def _init_set_name(self, name: Any) -> None:
        base = to_snake_case(type(self).__name__)
        if isinstance(name, _api.VariableScope) or isinstance(name, _v1.VariableScope):
            self._name = LAYER_UIDS.next_name(base)
            self._base_name = name.name
        elif name:
            if not isinstance(name, str):
                raise TypeError(bad_argument("name", name, "a string or a VariableScope"))
            self._name = name
            self._base_name = name
        else:
            self._name = LAYER_UIDS.next_name(base)
            self._base_name = base

    @property
    def name(self) -> str:
        """The layer's name (``"fc"``; unnamed: ``dense_1``, ``dense_2``, ...)."""
        return self._name

    @property
    def scope_name(self) -> str:
        """The captured variable scope's name (``fc``, ``fc_1``, ...)."""
        if not self._scope:
            raise ValueError(
                'No name available for layer scope because the layer "' + self._name
                + '" has not been used yet. The scope name  is determined the first time '
                "the layer instance is called. You must therefore call the layer before "
                "querying `scope_name`."
            )
        return self._scope.name

    @property
    def dtype(self) -> Any:
        return self._dtype

    # -- weights ---------------------------------------------------------------
    @property
    def trainable_weights(self) -> List[Any]:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> List[Any]:
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self) -> List[Any]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def losses(self) -> List[Any]:
        """Regularization losses of this layer (graph mode: the tensors; eager mode:
        the weight regularizers evaluated now, then the last call's activity loss)."""
        return (list(self._graph_losses) + [fn() for fn in self._eager_losses]
                + list(self._call_losses))

    @property
    def updates(self) -> List[Any]:
        """Update ops (graph mode), e.g. batch normalization's moving averages."""
        return list(self._updates)

    def add_weight(
        self,
        name: str,
        shape: Sequence[int],
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Optional[Callable] = None,
        trainable: Optional[bool] = None,
        constraint: Optional[Callable] = None,
        partitioner: Any = None,
        use_resource: Optional[bool] = None,
        synchronization: Any = tf.VariableSynchronization.AUTO,
        aggregation: Any = tf.VariableAggregation.NONE,
    ) -> Any:
        """``get_variable(name, shape, ...)`` in the layer's scope; tracks the result.

        ``initializer=None`` uses the scope's initializer, else glorot_uniform.
        The regularizer loss is added once, when the variable is created.
        ``trainable`` defaults to True, except for ``synchronization=ON_READ``
        variables (non-trainable; asking for both raises TF1's ``ValueError``).
        """
        on_read = (synchronization == tf.VariableSynchronization.ON_READ
                   or getattr(synchronization, "name", None) == "ON_READ")
        if on_read:
            if trainable:
                raise ValueError(
                    "Synchronization value can be set to VariableSynchronization.ON_READ only "
                    "for non-trainable variables. You have specified trainable=True and "
                    "synchronization=VariableSynchronization.ON_READ.")
            trainable = False
        elif trainable is None:
            trainable = True
        dtype = tf.as_dtype(dtype or self._dtype or tf.float32)
        trainable = bool(trainable) and self.trainable
        regularizer = get_regularizer(regularizer, "regularizer")
        graph = v1_graph_mode()
        existing = {id(v) for v in _v1.global_variables()} if graph else set()
        self._set_scope(None)
        with _api.variable_scope(self._scope, reuse=self.built or self._reuse,
                                 auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            with self._name_scope(scope):
                variable = _api.get_variable(
                    name, shape=list(shape), dtype=dtype,
                    initializer=get_initializer(initializer, "initializer"),
                    # graph mode: the layer adds the loss (below); elsewhere the store
                    # keeps it (a tracked Keras layer's weight regularizer)
                    regularizer=None if graph else regularizer,
                    trainable=trainable, constraint=constraint, partitioner=partitioner,
                    use_resource=use_resource, synchronization=synchronization,
                    aggregation=aggregation)
                parts = list(variable) if _is_partitioned(variable) else [variable]
                if regularizer is not None and graph:
                    if not any(id(p) in existing for p in parts):
                        for part in parts:
                            with _v1.name_scope(name + "/Regularizer"):
                                loss = regularizer(part)
                            if loss is not None:
                                self._graph_losses.append(loss)
                                _v1.add_to_collection(_v1.GraphKeys.REGULARIZATION_LOSSES, loss)
                elif regularizer is not None:
                    self._eager_losses.extend(lambda v=p, r=regularizer: r(v) for p in parts)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    def _name_scope(self, scope: Any) -> Any:
        """Graph mode: the op name scope the layer's scope was first opened with."""
        if v1_graph_mode():
            return _v1.name_scope(scope.original_name_scope)
        return contextlib.nullcontext()

    add_variable = add_weight

    def add_update(self, update: Any) -> None:
        """Record an update op (graph mode); it goes to ``UPDATE_OPS`` after the call."""
        if update is not None and v1_graph_mode():
            self._updates.append(update.op if isinstance(update, tf.Tensor) else update)

    # -- calling ---------------------------------------------------------------
    def build(self, input_shape: tf.TensorShape) -> None:  # noqa: D401 - overridden
        """Create the layer's variables (subclasses; they end by setting ``built``)."""
        self.built = True

    def call(self, inputs: Any, **kwargs: Any) -> Any:
        return inputs

    def _set_scope(self, scope: Any = None) -> None:
        if self._scope is None:
            if self._reuse:
                with _api.variable_scope(scope if scope is not None else self._base_name) as captured:
                    self._scope = captured
            else:
                with _api.variable_scope(scope, default_name=self._base_name) as captured:
                    self._scope = captured

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Apply the layer: capture the scope and build on the first call,
        re-enter the scope with ``reuse=True`` later."""
        scope = kwargs.pop("scope", None)
        inputs = tf.nest.map_structure(self._convert_input, inputs)
        if not self.built:
            check_input_spec(self.input_spec, inputs, self._name)
        self._set_scope(scope)
        reuse = True if self.built else self._reuse
        n_updates = len(self._updates)
        with _api.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as vs:
            self._current_scope = vs
            with self._name_scope(vs):
                if not self.built:
                    if self._dtype is None:
                        first = tf.nest.flatten(inputs)[0] if tf.nest.flatten(inputs) else None
                        dt = getattr(first, "dtype", None)
                        self._dtype = tf.as_dtype(dt).base_dtype if dt is not None else tf.float32
                    self.build(tf.nest.map_structure(lambda t: t.shape, inputs)
                               if not tf.is_tensor(inputs) else inputs.shape)
                    self.built = True
                outputs = self.call(inputs, *args, **kwargs)
                self._activity_regularization(outputs)
        if v1_graph_mode():
            for op in self._updates[n_updates:]:
                _v1.add_to_collection(_v1.GraphKeys.UPDATE_OPS, op)
        return outputs

    apply = __call__

    def _convert_input(self, value: Any) -> Any:
        """Numpy arrays and Python numbers become tensors (of their own dtype,
        as TF1: a float64 array gives a float64 layer); tensors pass through."""
        if tf.is_tensor(value) or isinstance(value, tf.Variable) or value is None:
            return value
        return tf.convert_to_tensor(value)

    def count_params(self) -> int:
        """The number of scalars in the layer's variables (the layer must be built)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self._name}, but the layer "
                             "isn't built. You can build it manually via: "
                             f"`{self._name}.build(batch_input_shape)`.")
        return int(sum(np.prod(tf.TensorShape(w.shape).as_list()) for w in self.weights))

    def _activity_regularization(self, outputs: Any) -> None:
        reg = getattr(self, "activity_regularizer", None)
        if reg is None:
            return
        with _v1.name_scope("ActivityRegularizer"):
            loss = reg(outputs)
            batch = tf.cast(tf.shape(outputs)[0], loss.dtype)
            loss = loss / batch
        if v1_graph_mode():
            self._graph_losses.append(loss)
            _v1.add_to_collection(_v1.GraphKeys.REGULARIZATION_LOSSES, loss)
        else:
            self._call_losses = [loss]

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} name={self._name!r}>"


def _is_partitioned(variable: Any) -> bool:
    """A ``PartitionedVariable`` (TF gives it no public class: it is the
    non-variable result of ``get_variable`` that iterates over its slices)."""
    return not isinstance(variable, tf.Variable) and hasattr(variable, "_get_variable_list")


class _KernelLayer(Layer):
    """Base of the layers computing ``activation(op(inputs, kernel) + bias)``
    (:class:`Dense`, the convolutions): their shared options and their variables
    ``<scope>/kernel`` and, with ``use_bias``, ``<scope>/bias [units]``."""

    def _set_kernel_options(
        self,
        *,
        activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Optional[Callable],
        bias_regularizer: Optional[Callable],
        activity_regularizer: Optional[Callable],
        kernel_constraint: Optional[Callable],
        bias_constraint: Optional[Callable],
    ) -> None:
        """Store the options (``activation`` resolved by :func:`get_activation`)."""
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = get_initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = get_initializer(bias_initializer, "bias_initializer")
        self.kernel_regularizer = get_regularizer(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = get_regularizer(bias_regularizer, "bias_regularizer")
        self.activity_regularizer = get_regularizer(activity_regularizer, "activity_regularizer")
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.kernel = None
        self.bias = None

    def _add_kernel_and_bias(self, kernel_shape: Sequence[int], units: int) -> None:
        """Create ``kernel`` (shape ``kernel_shape``) and, with ``use_bias``, ``bias [units]``."""
        self.kernel = self.add_weight("kernel", kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)


class InputSpec:
    """TF1 ``tf.layers.InputSpec``: the rank, dtype, shape or axis sizes a layer
    expects of its input; a layer's ``input_spec`` is checked at its first call."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: Optional[int] = None,
                 max_ndim: Optional[int] = None, min_ndim: Optional[int] = None,
                 axes: Optional[dict] = None):
        self.dtype = tf.as_dtype(dtype).name if dtype is not None else None
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                         ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                         ("min_ndim", self.min_ndim), ("axes", self.axes)) if v]
        return f"InputSpec({', '.join(parts)})"


def check_input_spec(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise TF1's ``ValueError`` when ``inputs`` do not satisfy ``input_spec``
    (an ``InputSpec``, a list of them, or ``None``)."""
    if input_spec is None:
        return
    specs = tf.nest.flatten(input_spec)
    xs = tf.nest.flatten(inputs)
    if len(specs) != len(xs):
        raise ValueError(f"Layer {layer_name} expects {len(specs)} inputs, but it received "
                         f"{len(xs)} input tensors. Inputs received: {inputs}")
    for i, (x, spec) in enumerate(zip(xs, specs, strict=True)):
        if spec is None:
            continue
        where = f"Input {i} of layer {layer_name} is incompatible with the layer: "
        shape = tf.TensorShape(x.shape)
        rank = shape.rank
        if rank is None and (spec.ndim or spec.min_ndim or spec.max_ndim or spec.axes):
            raise ValueError(where + "its rank is undefined, but the layer requires a "
                             "defined rank.")
        dims = [tf.compat.dimension_value(d) for d in shape] if rank is not None else None
        if spec.ndim is not None and rank != spec.ndim:
            raise ValueError(where + f"expected ndim={spec.ndim}, found ndim={rank}. "
                             f"Full shape received: {dims}")
        if spec.max_ndim is not None and rank is not None and rank > spec.max_ndim:
            raise ValueError(where + f"expected max_ndim={spec.max_ndim}, found ndim={rank}")
        if spec.min_ndim is not None and rank is not None and rank < spec.min_ndim:
            raise ValueError(where + f": expected min_ndim={spec.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {dims}")
        if spec.dtype is not None and tf.as_dtype(x.dtype).name != spec.dtype:
            raise ValueError(where + f"expected dtype={spec.dtype}, found dtype={x.dtype}")
        for axis, value in spec.axes.items():
            if value is not None and dims is not None and dims[int(axis)] not in (value, None):
                raise ValueError(f"Input {i} of layer {layer_name} is incompatible with the "
                                 f"layer: expected axis {axis} of input shape to have value "
                                 f"{value} but received input with shape {dims}")
        if spec.shape is not None and dims is not None:
            for want, got in zip(spec.shape, dims, strict=False):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"Input {i} is incompatible with layer {layer_name}: "
                                     f"expected shape={spec.shape}, found shape={dims}")
