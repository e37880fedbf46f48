"""``VariableStore``: full TF1 name -> variable, with TF1's reuse rules.

A store implements what TF1's ``_VariableStore`` did for ``get_variable``:

* an existing name under ``reuse=False`` raises "Variable x already exists,
  disallowed...", a missing name under ``reuse=True`` raises "Variable x does
  not exist...", and a reuse checks the shape (if given) and the dtype;
* a new variable gets its initializer in TF1's order: argument, scope
  initializer, then ``glorot_uniform`` for floating dtypes and zeros for
  integer/bool/string dtypes; a non-callable initializer is the value itself;
* the regularizer runs once, when the variable is created.

Two kinds of store exist. The store of a v1 ``tf.Graph`` creates graph
variables that join the graph collections (``GLOBAL_VARIABLES``,
``TRAINABLE_VARIABLES``, ...), so ``Saver`` and ``global_variables_initializer``
work. Every other store (the eager default store, stores of tracked Keras
layers) creates ``keras.Variable``s under nested ``keras.name_scope``s, so their
``.path`` is the TF1 full name, and hands out the underlying ``tf.Variable``
whose ``.name`` is ``"<full name>:0"``. Creation is serialised by a lock, so
concurrent ``AUTO_REUSE`` callers create each variable once.
"""
from __future__ import annotations

import re
import threading
import weakref
from typing import Any, Callable

import tensorflow as tf

from tfshare import errors

__all__ = ["VariableStore"]

_GK = tf.compat.v1.GraphKeys


class _Record:
    __slots__ = ("variable", "keras_variable", "collections", "trace", "regularizer")

    def __init__(self, variable, keras_variable, collections, trace, regularizer):
        self.variable = variable
        self.keras_variable = keras_variable
        self.collections = collections
        self.trace = trace
        self.regularizer = regularizer


def _needs_no_arguments(fn: Callable) -> bool:
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    for p in sig.parameters.values():
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                p.KEYWORD_ONLY):
            return False
    return True


def _default_initializer(name: str, dtype: tf.DType):
    """TF1's type default: glorot_uniform for floats, zeros for int/bool/string."""
    if dtype.is_floating:
        return tf.compat.v1.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype == tf.string:
        return tf.compat.v1.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {dtype.base_dtype} is required")


class VariableStore:
    """A thread-safe map from TF1 full names to variables.

    ``get_variable(full_name, ...)`` applies the TF1 reuse rules (see the module
    docstring). ``variables()`` lists them in creation order, ``get(name)``
    looks one up (``None`` if absent).

    Args:
      name: a label for ``repr``.
      graph: the v1 ``tf.Graph`` this store belongs to (graph variables in the
        graph's collections); ``None`` for a store of ``keras.Variable``s.
      on_create: optional callback ``f(full_name, keras_variable_or_variable)``
        run after each creation (``track_tf1_style_variables`` uses it).
    """

    def __init__(self, name: str | None = None, graph: Any = None,
                 on_create: Callable[[str, Any], None] | None = None):
        self.name = name
        self._graph_ref = weakref.ref(graph) if graph is not None else None
        self._lock = threading.RLock()
        self._records: dict[str, _Record] = {}
        self._reg_losses: list[Any] = []  # graph stores: loss tensors
        self.on_create = on_create

    def __repr__(self) -> str:
        kind = "graph" if self._graph_ref is not None else "keras"
        return f"<VariableStore {self.name or ''} ({kind}, {len(self._records)} variables)>"

    # ------------------------------------------------------------------ access
    @property
    def graph(self) -> Any:
        return self._graph_ref() if self._graph_ref is not None else None

    def __contains__(self, full_name: str) -> bool:
        return full_name in self._records

    def __len__(self) -> int:
        return len(self._records)

    def get(self, full_name: str) -> Any:
        """The variable named ``full_name`` (no ``:0``), or ``None``."""
        rec = self._records.get(full_name)
        return None if rec is None else rec.variable

    def keras_variable(self, full_name: str) -> Any:
        """The ``keras.Variable`` behind ``full_name`` (``None`` for graph stores)."""
        rec = self._records.get(full_name)
        return None if rec is None else rec.keras_variable

    def names(self) -> list[str]:
        return list(self._records)

    def variables(self) -> list[Any]:
        """All variables, in creation order."""
        return [r.variable for r in list(self._records.values())]

    def keras_variables(self) -> list[Any]:
        return [r.keras_variable for r in list(self._records.values())
                if r.keras_variable is not None]

    def get_collection(self, key: str, scope: str | None = None) -> list[Any]:
        """Emulates ``tf.compat.v1.get_collection(key, scope)`` on this store:
        ``scope`` is a regex matched at the start of ``var.name``."""
        if key == _GK.REGULARIZATION_LOSSES:
            items = self.regularization_losses()
        else:
            items = [r.variable for r in list(self._records.values()) if key in r.collections]
        if scope is None:
            return items
        out = []
        for item in items:
            name = getattr(item, "name", None)
            if name is not None and re.match(scope, name):
                out.append(item)
        return out

    def global_variables(self, scope: str | None = None) -> list[Any]:
        return self.get_collection(_GK.GLOBAL_VARIABLES, scope)

    def trainable_variables(self, scope: str | None = None) -> list[Any]:
        return self.get_collection(_GK.TRAINABLE_VARIABLES, scope)

    def local_variables(self, scope: str | None = None) -> list[Any]:
        return self.get_collection(_GK.LOCAL_VARIABLES, scope)

    def regularization_losses(self) -> list[Any]:
        """Losses of the regularizers, one per regularized creation.

        Graph stores return the loss tensors built at creation; other stores
        evaluate each regularizer on the current variable value.
        """
        if self._graph_ref is not None:
            return list(self._reg_losses)
        out = []
        for r in list(self._records.values()):
            if r.regularizer is not None:
                loss = r.regularizer(r.variable)
                if loss is not None:
                    out.append(loss)
        return out

    def clear(self) -> None:
        """Forget every variable (the variables themselves are not deleted)."""
        with self._lock:
            self._records.clear()
            self._reg_losses.clear()

    # ---------------------------------------------------------------- get/create
    def get_variable(self, name: str, shape=None, dtype=tf.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None,
                     synchronization=tf.VariableSynchronization.AUTO,
                     aggregation=tf.VariableAggregation.NONE) -> Any:
        """Get or create ``name`` (a full name) following TF1's rules."""
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")
        synchronization, aggregation, trainable = _validate_sync(
            synchronization, aggregation, trainable, name)

        def true_getter(name, shape=None, dtype=tf.float32, initializer=None,
                        regularizer=None, reuse=None, trainable=None, collections=None,
                        caching_device=None, partitioner=None, validate_shape=True,
                        use_resource=None, constraint=None,
                        synchronization=tf.VariableSynchronization.AUTO,
                        aggregation=tf.VariableAggregation.NONE):
            is_scalar = shape is not None and isinstance(shape, (list, tuple)) and not shape
            if partitioner is not None and not is_scalar:
                raise NotImplementedError(
                    f"tfshare does not support partitioned variables (variable {name}, "
                    f"partitioner={partitioner!r}); pass partitioner=None.")
            return self._get_single(name, shape, dtype, initializer, regularizer, reuse,
                                    trainable, collections, caching_device, validate_shape,
                                    use_resource, constraint, synchronization, aggregation)

        if custom_getter is not None:
            kwargs = dict(getter=true_getter, name=name, shape=shape, dtype=dtype,
                          initializer=initializer, regularizer=regularizer, reuse=reuse,
                          trainable=trainable, collections=collections,
                          caching_device=caching_device, partitioner=partitioner,
                          validate_shape=validate_shape, use_resource=use_resource,
                          synchronization=synchronization, aggregation=aggregation)
            if _accepts(custom_getter, "constraint"):
                kwargs["constraint"] = constraint
            return custom_getter(**kwargs)
        return true_getter(name, shape=shape, dtype=dtype, initializer=initializer,
                           regularizer=regularizer, reuse=reuse, trainable=trainable,
                           collections=collections, caching_device=caching_device,
                           partitioner=partitioner, validate_shape=validate_shape,
                           use_resource=use_resource, constraint=constraint,
                           synchronization=synchronization, aggregation=aggregation)

    def _get_single(self, name, shape, dtype, initializer, regularizer, reuse, trainable,
                    collections, caching_device, validate_shape, use_resource, constraint,
                    synchronization, aggregation):
        from_value = initializer is not None and not callable(initializer)
        if shape is not None and from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = tf.as_dtype(dtype)
        if shape is not None:
            shape = tf.TensorShape(shape)
        with self._lock:
            rec = self._records.get(name)
            if rec is not None:
                if reuse is False and not _retrace(rec):
                    raise errors.VariableSharingError(errors.already_exists(name))
                found = rec.variable
                if shape is not None and not shape.is_compatible_with(found.shape):
                    raise errors.VariableSharingError(
                        errors.shape_mismatch(name, shape, found.shape))
                if not dtype.is_compatible_with(found.dtype):
                    raise errors.VariableSharingError(
                        errors.dtype_mismatch(name, dtype.name, tf.as_dtype(found.dtype).name))
                return found
            if reuse is True:
                raise errors.VariableSharingError(errors.does_not_exist(name))
            if initializer is None:
                if shape is None:
                    raise ValueError(f"Variable {name} did not get an initializer, so its "
                                     "`shape` argument must be specified.")
                initializer = _default_initializer(name, dtype)
            return self._create(name, shape, dtype, initializer, from_value, regularizer,
                                trainable, collections, caching_device, validate_shape,
                                use_resource, constraint, synchronization, aggregation)

    def _create(self, name, shape, dtype, initializer, from_value, regularizer, trainable,
                collections, caching_device, validate_shape, use_resource, constraint,
                synchronization, aggregation):
        from tfshare.variables import _context

        trace = _context.current_trace_graph()
        cols = [_GK.GLOBAL_VARIABLES] if collections is None else list(collections)
        if trainable and _GK.TRAINABLE_VARIABLES not in cols:
            cols.append(_GK.TRAINABLE_VARIABLES)
        graph_store = self._graph_ref is not None
        with tf.init_scope():
            if from_value:
                init_val, var_dtype = initializer, None
            else:
                if isinstance(initializer, type):
                    initializer = initializer()
                if shape is not None and shape.is_fully_defined():
                    init_fn, dims = initializer, shape.as_list()

                    def init_val():
                        return init_fn(dims, dtype=dtype)
                    var_dtype = dtype.base_dtype
                elif _needs_no_arguments(initializer):
                    init_val, var_dtype = initializer, None
                else:
                    raise ValueError(
                        "The initializer passed is not valid. It should be a callable with "
                        "no arguments and the shape should not be provided or an instance of "
                        "`tf.keras.initializers.*' and `shape` should be fully defined.")
            keras_var = None
            if graph_store:
                with tf.compat.v1.get_default_graph().name_scope(None):
                    var = tf.compat.v1.Variable(
                        initial_value=init_val, name=name, trainable=trainable,
                        collections=collections, caching_device=caching_device,
                        dtype=var_dtype, validate_shape=validate_shape, constraint=constraint,
                        use_resource=True if use_resource is None else use_resource,
                        synchronization=synchronization, aggregation=aggregation, shape=shape)
            else:
                if caching_device is not None and tf.executing_eagerly():
                    raise NotImplementedError(
                        "Caching devices are not yet supported when eager execution is enabled.")
                var, keras_var = _make_keras_variable(
                    name, init_val, var_dtype, trainable, synchronization, aggregation,
                    constraint, validate_shape)
            rec = _Record(var, keras_var, cols,
                          weakref.ref(trace) if trace is not None else None, None)
            if regularizer:
                if graph_store:
                    with tf.compat.v1.get_default_graph().name_scope(name + "/Regularizer/"):
                        loss = regularizer(var)
                    if loss is not None:
                        tf.compat.v1.add_to_collection(_GK.REGULARIZATION_LOSSES, loss)
                        self._reg_losses.append(loss)
                elif regularizer(var) is not None:
                    rec.regularizer = regularizer
        self._records[name] = rec
        if self.on_create is not None:
            self.on_create(name, keras_var if keras_var is not None else var)
        return var


def _retrace(rec: _Record) -> bool:
    """A variable created while tracing another graph of a ``tf.function`` is
    handed out again on a retrace (re-running the code), never duplicated."""
    if rec.trace is None:
        return False
    from tfshare.variables import _context

    graph = _context.current_trace_graph()
    return graph is not None and rec.trace() is not graph


def _accepts(fn: Callable, arg: str) -> bool:
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == arg or p.kind == p.VAR_KEYWORD for p in params)


def _variable_mode(enum: type, value: Any, default: Any, kind: str, name: str) -> Any:
    """``value`` as a member of ``enum`` (``None`` -> ``default``); TF1's error text
    ``Invalid variable <kind> mode: <value> for variable: <name>`` otherwise."""
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"Invalid variable {kind} mode: {value} for variable: {name}") from None


def _validate_sync(synchronization, aggregation, trainable, name):
    aggregation = _variable_mode(tf.VariableAggregation, aggregation,
                                 tf.VariableAggregation.NONE, "aggregation", name)
    synchronization = _variable_mode(tf.VariableSynchronization, synchronization,
                                     tf.VariableSynchronization.AUTO, "synchronization", name)
    if trainable is None:
        trainable = synchronization != tf.VariableSynchronization.ON_READ
    return synchronization, aggregation, trainable


def _make_keras_variable(name, init_val, var_dtype, trainable, synchronization, aggregation,
                         constraint, validate_shape):
    """Create a ``keras.Variable`` whose path is ``name``; return ``(tf_var, keras_var)``."""
    import keras

    value = _initial_value(init_val, var_dtype)
    parts = name.split("/")
    with tf.name_scope(""):
        kvar = _nested_keras_variable(keras, parts, value, trainable,
                                      synchronization, aggregation)
        if kvar is None:
            var = tf.Variable(value, name=name, trainable=trainable,
                              synchronization=synchronization, aggregation=aggregation,
                              constraint=constraint, shape=None if validate_shape else
                              tf.TensorShape(None))
            return var, None
    var = kvar.value
    if constraint is not None:
        try:
            var._constraint = constraint  # TF1 sets v.constraint; keras.Variable has no arg
        except AttributeError:
            pass
    return var, kvar


def _initial_value(init_val, var_dtype):
    """Evaluate the initializer eagerly; a type error is re-raised with the text
    TF1 (graph mode) gives for it, e.g. "Expected int32, but got 5.0 of type 'float'."."""
    try:
        value = init_val() if callable(init_val) else init_val
        return tf.convert_to_tensor(value, dtype=var_dtype)
    except TypeError as eager_error:
        with tf.Graph().as_default():
            try:
                value = init_val() if callable(init_val) else init_val
                tf.convert_to_tensor(value, dtype=var_dtype)
            except TypeError as graph_error:
                raise TypeError(str(graph_error)) from eager_error
        raise


def _nested_keras_variable(keras, parts, value, trainable, synchronization, aggregation):
    """``None`` when Keras cannot hold it (empty name component, dtype such as
    string or complex); the caller then creates a plain ``tf.Variable``."""
    if any(not p for p in parts) or value.dtype == tf.string:
        return None
    try:
        keras.backend.standardize_dtype(value.dtype.name)
    except (ValueError, TypeError):
        return None
    scopes = [keras.name_scope(p) for p in parts[:-1]]
    for s in scopes:
        s.__enter__()
    try:
        return keras.Variable(
            value, dtype=value.dtype.name, trainable=trainable, autocast=False,
            aggregation=aggregation.name.lower(), synchronization=synchronization.name.lower(),
            name=parts[-1])
    finally:
        for s in reversed(scopes):
            s.__exit__(None, None, None)
