"""``track_tf1_style_variables``: TF1 ``get_variable`` code inside a Keras 3 layer
or a ``tf.Module``.

Decorate a Keras layer's ``call`` that uses ``variable_scope``/``get_variable``
(directly, through ``tf.layers`` or through TF1 cells)::

    class Block(keras.layers.Layer):
        @track_tf1_style_variables
        def call(self, x, training=None):
            with variable_scope("dense"):
                w = get_variable("kernel", [4, 3], regularizer=l2)
            return x @ w

Each owner instance gets its own ``VariableStore``, made current with
``store_scope`` during the call, under a root scope with ``reuse=AUTO_REUSE``
(so repeated calls share; ``reuse=False`` cannot be honoured when the code is
re-run on every call).

**Keras layers.** The variables are ``keras.Variable``s appended to the
layer's ``tf1_variables`` list, hence the layer's weights: ``fit`` trains them,
``save_weights``/``load_weights`` and ``.keras`` files hold them, and their
``.path`` ends with the TF1 name; the layer's ``tf1_checkpoint`` module lists
them for TF's object graph too (``tf.train.Checkpoint``, ``CheckpointManager``,
SavedModel). The regularizer given to ``get_variable`` (or a ``tf.layers``
``kernel_regularizer``) becomes the weight's Keras regularizer, so
``layer.losses`` (and ``fit``) include it. Keras 3 accepts new weights only in
``build()``, so the decorator gives the class a ``build`` (wrapping the user's
``build`` if there is one) that creates every variable:

* an eager first call (concrete inputs) runs ``call`` once, there, on its own
  inputs (as TF1 and tf-keras ran it: side effects such as
  ``init_from_checkpoint`` or a moving-average update happen once), and the
  call Keras makes right after returns that output;
* otherwise (symbolic inputs, a ``tf.function``, a bare ``build(shape)``)
  ``call`` is *traced* with ``tf.function`` on specs of the first call's
  arguments (unknown dimensions set to 1; after a bare ``build(shape)``:
  float inputs of the layer's compute dtype), so nothing is executed;
* if ``call`` takes a ``training`` argument, it is also traced with
  ``training=True`` and ``training=False``: variables created under only one
  of them exist before ``fit`` builds its optimizer (tf-keras created them at
  their first use, which Keras 3 does not allow).

**tf.Module owners.** A decorated method of a ``tf.Module`` creates the
variables when first run; they are ``tf.Variable``s listed in the module's
``tf1_variables`` (so in ``module.variables`` and its checkpoints).

:func:`get_or_create_layer` creates a nested Keras layer or model once per
owner (keyed by the current variable scope and ``name``) and tracks it.
"""
from __future__ import annotations

import functools
import inspect
import threading
import types
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from tfshare.errors import bad_argument
from tfshare.variables import _mode
from tfshare.variables.access import store_scope
from tfshare.variables.scope import AUTO_REUSE, CONTEXT, get_variable_scope, variable_scope
from tfshare.variables.store import VariableStore

__all__ = ["track_tf1_style_variables", "get_or_create_layer"]

_STORE_ATTR = "_tfshare_tf1_store"
_PENDING_ATTR = "_tfshare_first_call"
_OUTPUT_ATTR = "_tfshare_first_output"
_NOTHING = object()
_LIST_ATTR = "tf1_variables"
_LAYERS_ATTR = "tf1_layers"
_HOLDER_ATTR = "tf1_checkpoint"
_STORE_LOCK = threading.Lock()


def _append(owner: Any, attr: str, value: Any) -> None:
    """Append to the owner's list ``attr`` (made on first use; Keras and
    ``tf.Module`` wrap it into a tracked list)."""
    if attr not in owner.__dict__:
        setattr(owner, attr, [])
    getattr(owner, attr).append(value)


def _checkpoint_holder(layer: Any) -> tf.Module:
    """The ``tf.Module`` through which TF's object graph (``tf.train.Checkpoint``,
    SavedModel) reaches a Keras layer's TF1 variables: Keras 3 keeps the
    ``tf1_variables`` list for itself (``weights``, ``.keras`` files), where TF's
    checkpointing does not look."""
    holder = layer.__dict__.get(_HOLDER_ATTR)
    if holder is None:
        holder = tf.Module(name="tf1_variables")
        holder.variables_in_creation_order = []
        setattr(layer, _HOLDER_ATTR, holder)
    return holder


def _owner_store(owner: Any) -> VariableStore:
    with _STORE_LOCK:  # two threads calling a new owner get one store
        return _owner_store_locked(owner)


def _owner_store_locked(owner: Any) -> VariableStore:
    store = owner.__dict__.get(_STORE_ATTR)
    if store is None:
        keras_owner = isinstance(owner, keras.layers.Layer)

        def on_create(name: str, var: Any) -> None:
            # Keras layers track keras.Variables; a tf.Module finds tf.Variables
            if not keras_owner and isinstance(var, keras.Variable):
                var = var.value
            _append(owner, _LIST_ATTR, var)
            if keras_owner:
                _checkpoint_holder(owner).variables_in_creation_order.append(var)

        store = VariableStore(
            name=f"{type(owner).__name__} {getattr(owner, 'name', '')}".strip(),
            on_create=on_create, on_layer=lambda name, layer: _append(owner, _LAYERS_ATTR, layer))
        object.__setattr__(owner, _STORE_ATTR, store)
    return store


def _run_in_store(owner: Any, method: Callable, args: tuple, kwargs: dict) -> Any:
    with store_scope(_owner_store(owner)):
        with variable_scope(CONTEXT.scope_state().root, reuse=AUTO_REUSE):
            return method(owner, *args, **kwargs)


def _check_owner(owner: Any, method: Callable) -> None:
    if not isinstance(owner, (keras.layers.Layer, tf.Module)):
        raise ValueError(
            f"@track_tf1_style_variables decorates a method of a keras.layers.Layer or a "
            f"tf.Module; `{getattr(method, '__qualname__', method)}` was called with "
            f"{type(owner).__name__} {owner!r:.80} as its first argument, which does not "
            "extend keras.layers.Layer or tf.Module.")


# ----------------------------------------------------------- building a layer
def _spec(value: Any, default_dtype: Any) -> Any:
    """The ``tf.TensorSpec`` a build trace feeds for one call argument (a
    tensor-like value, or a shape); unknown dimensions become 1."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape, dtype = value.shape, tf.as_dtype(keras.backend.standardize_dtype(value.dtype))
    else:
        shape, dtype = value, tf.as_dtype(default_dtype)
    dims = [1 if d is None else int(d) for d in tf.TensorShape(shape).as_list()]
    return tf.TensorSpec(dims, dtype)


def _is_shape(value: Any) -> bool:
    return value is None or (isinstance(value, (tuple, list, tf.TensorShape))
                             and all(d is None or isinstance(d, int) for d in value))


def _specs_of_shape(shape: Any, dtype: Any) -> Any:
    """Specs for a (possibly nested) ``build`` input shape."""
    if _is_shape(shape):
        return _spec(shape or [], dtype)
    if isinstance(shape, dict):
        return {k: _specs_of_shape(v, dtype) for k, v in shape.items()}
    return type(shape)(_specs_of_shape(s, dtype) for s in shape)


def _is_tensor_like(value: Any) -> bool:
    return tf.is_tensor(value) or isinstance(value, keras.KerasTensor) or (
        hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type))


def _as_input(value: Any, dtype: Any) -> Any:
    """A numpy array argument as the tensor Keras would pass (floats in the
    layer's compute dtype)."""
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.floating):
            return tf.convert_to_tensor(value, dtype=dtype)
        return tf.convert_to_tensor(value)
    return value


def _concrete(structure: Any) -> bool:
    """True when every tensor in ``structure`` has a value (eager or numpy)."""
    leaves = tf.nest.flatten(structure)
    return all(not _is_tensor_like(v) or isinstance(v, np.ndarray)
               or (tf.is_tensor(v) and hasattr(v, "numpy")) for v in leaves)


def _training_variants(method: Callable, args: tuple, kwargs: dict) -> list[tuple[tuple, dict]]:
    """``training=True`` and ``training=False`` versions of a call, if ``call``
    takes ``training`` (the ones not already ``kwargs``)."""
    if "training" not in inspect.signature(method).parameters:
        return []
    return [(args, dict(kwargs, training=flag)) for flag in (True, False)
            if kwargs.get("training") is not flag]


def _materialize(layer: Any, method: Callable, input_shape: Any) -> None:
    """Create the layer's TF1 variables (see the module docstring)."""
    if layer.__dict__.get("_tfshare_materialized"):
        return
    if _LIST_ATTR not in layer.__dict__:
        setattr(layer, _LIST_ATTR, [])
    first_call = layer.__dict__.get(_PENDING_ATTR)
    dtype = getattr(layer, "compute_dtype", None) or "float32"
    if first_call is not None and tf.executing_eagerly() and _concrete(first_call):
        # an eager first call runs once, here, on its own inputs (as TF1 and
        # tf-keras ran it); the call Keras makes next gets this output
        args, kwargs = tf.nest.map_structure(lambda v: _as_input(v, dtype), first_call)
        object.__setattr__(layer, _OUTPUT_ATTR, _run_in_store(layer, method, args, kwargs))
        traced_calls = _training_variants(method, args, kwargs)
    elif first_call is not None:
        args, kwargs = first_call
        traced_calls = [(args, kwargs)] + _training_variants(method, args, kwargs)
    else:
        args = (_specs_of_shape(input_shape, dtype),)
        traced_calls = [(args, {})] + _training_variants(method, args, {})
    with tf.init_scope():
        for args, kwargs in traced_calls:
            args, kwargs = tf.nest.map_structure(
                lambda v: _spec(v, dtype) if _is_tensor_like(v) else v, (args, kwargs))
            traced, specs = _traceable(layer, method, args, kwargs)
            tf.function(traced).get_concrete_function(*specs)
    object.__setattr__(layer, "_tfshare_materialized", True)


def _traceable(layer: Any, method: Callable, args: tuple, kwargs: dict):
    """``(fn, specs)``: ``fn(*tensors)`` runs ``method`` in the layer's store with
    ``args``/``kwargs`` whose specs are replaced by ``tensors``."""
    flat = tf.nest.flatten((args, kwargs))
    positions = [i for i, v in enumerate(flat) if isinstance(v, tf.TensorSpec)]

    def traced(*tensors):
        filled = list(flat)
        for pos, tensor in zip(positions, tensors, strict=True):
            filled[pos] = tensor
        a, k = tf.nest.pack_sequence_as((args, kwargs), filled)
        return _run_in_store(layer, method, a, k)

    return traced, [flat[i] for i in positions]


class _TrackedCall:
    """The decorated method: a descriptor that, on a Keras layer class, also
    installs ``build`` (variables) and ``__call__`` (remembers the first call)."""

    def __init__(self, method: Callable):
        self._method = method

        @functools.wraps(method)
        def call(owner, *args, **kwargs):
            _check_owner(owner, method)
            built_output = owner.__dict__.pop(_OUTPUT_ATTR, _NOTHING)
            if built_output is not _NOTHING:
                return built_output
            return _run_in_store(owner, method, args, kwargs)

        self._call = call
        functools.update_wrapper(self, method)

    def __set_name__(self, owner: type, name: str) -> None:
        if isinstance(owner, type) and issubclass(owner, keras.layers.Layer):
            _install_layer_hooks(owner, self._method)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self._call
        return types.MethodType(self._call, instance)

    def __call__(self, owner: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call(owner, *args, **kwargs)


def _install_layer_hooks(owner: type, method: Callable) -> None:
    user_build = owner.__dict__.get("build")

    if user_build is not None:
        @functools.wraps(user_build)
        def build(layer, *args, **kwargs):
            user_build(layer, *args, **kwargs)
            shape = args[0] if args else next(iter(kwargs.values()), None)
            _materialize(layer, method, shape)
    else:
        def build(layer, input_shape):
            _materialize(layer, method, input_shape)

    build.__doc__ = "Creates the TF1-style variables by tracing `call` (see tfshare.variables.tracking)."
    owner.build = build

    keras_call = owner.__call__

    @functools.wraps(keras_call)
    def __call__(layer, *args, **kwargs):  # noqa: N807 - the layer's __call__
        if layer.built or _PENDING_ATTR in layer.__dict__:
            return keras_call(layer, *args, **kwargs)
        object.__setattr__(layer, _PENDING_ATTR, (args, kwargs))
        try:
            return keras_call(layer, *args, **kwargs)
        finally:
            layer.__dict__.pop(_PENDING_ATTR, None)
            layer.__dict__.pop(_OUTPUT_ATTR, None)

    owner.__call__ = __call__


def track_tf1_style_variables(method: Callable) -> Any:
    """Decorate a Keras layer's ``call`` (or a ``tf.Module`` method) so TF1
    ``get_variable`` code inside it creates per-instance, tracked weights named
    by their TF1 names.

    See the module docstring. The variables live in the owner's own
    ``VariableStore``; ``owner.tf1_variables`` lists them. Calling a decorated
    function on anything but a Keras layer or a ``tf.Module`` raises
    ``ValueError`` ("... does not extend keras.layers.Layer or tf.Module").
    """
    if not callable(method):
        raise TypeError(bad_argument("method", method, "a callable (a layer's `call`)"))
    return _TrackedCall(method)


def get_or_create_layer(name: str, create_layer_method: Callable[[], Any]) -> Any:
    """The nested layer (or model) ``name`` of the tracked owner being called,
    made by ``create_layer_method()`` on the first call.

    Inside a ``track_tf1_style_variables`` method the layer is keyed by
    ``"<current variable scope>/<name>"``, created once per owner and tracked
    by it (its weights are in the owner's weights, its losses in the owner's
    losses). In v1 graph mode outside such a method it is created and
    returned (no tracking), as in TF1. Elsewhere (eager, untracked) it raises
    ``ValueError``.
    """
    if not callable(create_layer_method):
        raise TypeError(bad_argument("create_layer_method", create_layer_method,
                                     "a callable with no arguments returning a layer"))
    if CONTEXT.active_store_scope():
        key = f"{get_variable_scope().name}/{name}"
        return CONTEXT.current_store().get_or_create_layer(key, create_layer_method)
    if _mode.v1_graph_mode():
        return create_layer_method()
    raise ValueError(
        "get_or_create_layer was called in eager mode outside a method decorated with "
        f"@track_tf1_style_variables (name={name!r}); decorate the layer's `call` with it.")
