"""``track_tf1_style_variables``: TF1 ``get_variable`` code inside a Keras 3 layer.

Decorate a Keras layer's ``call`` that uses ``variable_scope``/``get_variable``::

    class Block(keras.layers.Layer):
        @track_tf1_style_variables
        def call(self, x):
            with variable_scope("dense"):
                w = get_variable("kernel", [4, 3])
            return x @ w

Each layer instance gets its own ``VariableStore`` (made current with
``store_scope`` during ``call``, under a root scope with ``reuse=AUTO_REUSE``,
so repeated calls share). The variables are ``keras.Variable``s appended to
the layer's ``tf1_variables`` list, hence the layer's Keras weights: ``fit``
trains them, ``save_weights``/``load_weights`` and ``.keras`` files hold them,
and their ``.path`` ends with the TF1 name (``block/dense/kernel``).

Keras 3 refuses new variables after ``build()`` (and inside symbolic tracing),
so the decorator gives the class a ``build(input_shape)`` (wrapping the user's
``build`` if there is one) that runs ``call`` once, eagerly, on zeros of the
input shape (unknown dimensions set to 1; float zeros of the layer's compute
dtype, or int32 zeros if that fails, e.g. ids for an embedding lookup) to create
the variables. ``call`` therefore must accept being called with its first
argument only.
"""
from __future__ import annotations

import functools
import types
from typing import Any, Callable

import tensorflow as tf

from tfshare.errors import bad_argument
from tfshare.variables import _context
from tfshare.variables.scope import AUTO_REUSE, variable_scope
from tfshare.variables.store import VariableStore

__all__ = ["track_tf1_style_variables"]

_STORE_ATTR = "_tfshare_tf1_store"
_LIST_ATTR = "tf1_variables"


def _layer_store(layer: Any) -> VariableStore:
    store = layer.__dict__.get(_STORE_ATTR)
    if store is None:
        def on_create(name: str, var: Any) -> None:
            if not hasattr(layer, _LIST_ATTR):
                setattr(layer, _LIST_ATTR, [])
            getattr(layer, _LIST_ATTR).append(var)

        store = VariableStore(name=f"layer {getattr(layer, 'name', '')}", on_create=on_create)
        object.__setattr__(layer, _STORE_ATTR, store)
    return store


def _run_in_store(layer: Any, method: Callable, args, kwargs):
    store = _layer_store(layer)
    with _context.store_scope(store):
        root = _context.scope_state().root
        with variable_scope(root, reuse=AUTO_REUSE):
            return method(layer, *args, **kwargs)


def _zeros_like_shape(shape: Any, dtype: Any) -> Any:
    """Concrete zeros for a (possibly nested) shape; unknown dims become 1."""
    def is_shape(s):
        return s is None or (isinstance(s, (tuple, list, tf.TensorShape))
                             and all(d is None or isinstance(d, int) for d in s))

    if is_shape(shape):
        dims = [1 if d is None else int(d) for d in (shape or [])]
        return tf.zeros(dims, dtype=dtype)
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v, dtype) for k, v in shape.items()}
    return type(shape)(_zeros_like_shape(s, dtype) for s in shape)


def _materialize(layer: Any, method: Callable, input_shape: Any) -> None:
    """Create the layer's TF1 variables by running ``call`` on zeros."""
    if layer.__dict__.get("_tfshare_materialized"):
        return
    if not hasattr(layer, _LIST_ATTR):
        setattr(layer, _LIST_ATTR, [])
    dtype = getattr(layer, "compute_dtype", None) or "float32"
    with tf.init_scope():
        try:
            _run_in_store(layer, method, (_zeros_like_shape(input_shape, dtype),), {})
        except Exception as float_error:  # e.g. ids for an embedding lookup
            try:
                _run_in_store(layer, method, (_zeros_like_shape(input_shape, tf.int32),), {})
            except Exception:
                raise float_error from None
    object.__setattr__(layer, "_tfshare_materialized", True)


class _TrackedCall:
    """The decorated ``call``: a method descriptor that also installs ``build``."""

    def __init__(self, method: Callable):
        self._method = method

        @functools.wraps(method)
        def call(layer, *args, **kwargs):
            return _run_in_store(layer, method, args, kwargs)

        self._call = call
        functools.update_wrapper(self, method)

    def __set_name__(self, owner: type, name: str) -> None:
        method = self._method
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

        build.__doc__ = "Creates the TF1-style variables by running `call` on zeros."
        owner.build = build

    def __get__(self, instance: Any, owner: type | None = None):
        if instance is None:
            return self._call
        return types.MethodType(self._call, instance)

    def __call__(self, layer, *args, **kwargs):
        return self._call(layer, *args, **kwargs)


def track_tf1_style_variables(method: Callable) -> Any:
    """Decorate a Keras layer's ``call`` so TF1 ``get_variable`` code inside it
    creates per-instance, Keras-tracked weights named by their TF1 names.

    See the module docstring. The variables live in the layer's own
    ``VariableStore``; ``layer.tf1_variables`` lists the ``keras.Variable``s.
    """
    if not callable(method):
        raise TypeError(bad_argument("method", method, "a callable (a layer's `call`)"))
    return _TrackedCall(method)
