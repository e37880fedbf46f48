"""The TF1 ``tf.layers.Layer`` base, on ``get_variable``/``variable_scope``.

A layer owns one variable scope (TF1 rules, reference §4.1):

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
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence

import tensorflow as tf

from tfshare.compat.v1 import _api

_v1 = tf.compat.v1

_GRAPH_UIDS: "weakref.WeakKeyDictionary[Any, Dict[str, int]]" = weakref.WeakKeyDictionary()
_EAGER_UIDS: Dict[str, int] = collections.defaultdict(int)


def _uid_map() -> Dict[str, int]:
    if _v1.executing_eagerly_outside_functions():
        return _EAGER_UIDS
    graph = _v1.get_default_graph()
    if graph not in _GRAPH_UIDS:
        _GRAPH_UIDS[graph] = collections.defaultdict(int)
    return _GRAPH_UIDS[graph]


def to_snake_case(name: str) -> str:
    """``Conv2DTranspose`` -> ``conv2d_transpose``, ``BatchNormalization`` ->
    ``batch_normalization`` (the TF1 default layer names)."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique_layer_name(base: str) -> str:
    uids = _uid_map()
    uids[base] += 1
    return f"{base}_{uids[base]}"


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
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown keyword argument(s) {sorted(kwargs)}")
        self.trainable = bool(trainable)
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self.built = False
        self._trainable_weights: List[Any] = []
        self._non_trainable_weights: List[Any] = []
        self._graph_losses: List[Any] = []
        self._eager_losses: List[Callable[[], Any]] = []
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
            self._name = _unique_layer_name(base)
            self._base_name = name.name
        elif name:
            if not isinstance(name, str):
                raise TypeError(bad_argument("name", name, "a string or a VariableScope"))
            self._name = name
            self._base_name = name
        else:
            self._name = _unique_layer_name(base)
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
        """Regularization losses created by this layer (graph mode: tensors;
        eager mode: evaluated now)."""
        return list(self._graph_losses) + [fn() for fn in self._eager_losses]

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
        trainable: bool = True,
        constraint: Optional[Callable] = None,
        partitioner: Any = None,
    ) -> Any:
        """``get_variable(name, shape, ...)`` in the layer's scope; tracks the result.

        ``initializer=None`` uses the scope's initializer, else glorot_uniform.
        The regularizer loss is added once, when the variable is created.
        """
        dtype = tf.as_dtype(dtype or self._dtype or tf.float32)
        trainable = bool(trainable) and self.trainable
        if v1_graph_mode():
            before = len(_v1.get_collection(_v1.GraphKeys.REGULARIZATION_LOSSES))
        kwargs: Dict[str, Any] = dict(shape=list(shape), dtype=dtype, initializer=initializer,
                                      trainable=trainable, constraint=constraint)
        if regularizer is not None:
            kwargs["regularizer"] = regularizer
        if partitioner is not None:
            kwargs["partitioner"] = partitioner
        variable = _api.get_variable(name, **kwargs)
        if v1_graph_mode():
            self._graph_losses.extend(
                _v1.get_collection(_v1.GraphKeys.REGULARIZATION_LOSSES)[before:])
        elif regularizer is not None:
            self._eager_losses.append(lambda v=variable, r=regularizer: r(v))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    add_variable = add_weight

    def add_update(self, update: Any) -> None:
        """Record an update op (graph mode); it goes to ``UPDATE_OPS`` after the call."""
        if update is not None and v1_graph_mode():
            self._updates.append(update)

    # -- calling ---------------------------------------------------------------
    def build(self, input_shape: tf.TensorShape) -> None:  # noqa: D401 - overridden
        """Create the layer's variables (subclasses)."""

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
        inputs = self._convert_inputs(inputs)
        self._set_scope(scope)
        reuse = True if self.built else self._reuse
        n_updates = len(self._updates)
        with _api.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as vs:
            self._current_scope = vs
            if v1_graph_mode():
                name_scope = _v1.name_scope(vs.original_name_scope)
            else:
                name_scope = contextlib.nullcontext()
            with name_scope:
                if not self.built:
                    if self._dtype is None:
                        dt = getattr(inputs, "dtype", None)
                        self._dtype = dt if dt is not None and dt.is_floating else tf.float32
                    self.build(inputs.shape)
                    self.built = True
                outputs = self.call(inputs, *args, **kwargs)
                self._activity_regularization(outputs)
        if v1_graph_mode():
            for op in self._updates[n_updates:]:
                _v1.add_to_collection(_v1.GraphKeys.UPDATE_OPS, op)
        return outputs

    apply = __call__

    def _convert_inputs(self, inputs: Any) -> Any:
        if tf.is_tensor(inputs):
            return inputs
        dtype = self._dtype
        if dtype is None and hasattr(inputs, "dtype") and str(inputs.dtype) == "float64":
            dtype = tf.float32  # numpy float64 arrays: TF1 users feed float32 graphs
        return tf.convert_to_tensor(inputs, dtype=dtype)

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

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} name={self._name!r}>"


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
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
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
    """TF1 ``tf.layers.InputSpec``: the expected rank/dtype/shape of a layer input
    (kept for API compatibility; the tfshare layers check their inputs in ``build``)."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: Optional[int] = None,
                 max_ndim: Optional[int] = None, min_ndim: Optional[int] = None,
                 axes: Optional[dict] = None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}
