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

import collections.abc as collections_abc
import contextlib
import enum
import inspect
import re
import threading
import weakref
from typing import Any, Callable

import tensorflow as tf

from tfshare import errors

__all__ = ["VariableStore"]

_GK = tf.compat.v1.GraphKeys


class _Record:
    """One stored variable (or ``PartitionedVariable``, with its ``partitions``)."""

    __slots__ = ("variable", "keras_variable", "collections", "trace", "regularizer",
                 "partitions")

    def __init__(self, variable, keras_variable, collections, trace, regularizer,
                 partitions=None):
        self.variable = variable
        self.keras_variable = keras_variable
        self.collections = collections
        self.trace = trace
        self.regularizer = regularizer
        self.partitions = partitions


def _needs_no_arguments(fn: Callable) -> bool:
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
      on_layer: optional callback ``f(key, layer)`` run when
        :meth:`get_or_create_layer` creates a layer.
    """

    def __init__(self, name: str | None = None, graph: Any = None,
                 on_create: Callable[[str, Any], None] | None = None,
                 on_layer: Callable[[str, Any], None] | None = None):
        self.name = name
        self._graph_ref = weakref.ref(graph) if graph is not None else None
        self._lock = threading.RLock()
        self._records: dict[str, _Record] = {}
        self._partitioned: dict[str, _Record] = {}
        self._layers: dict[str, Any] = {}
        self._reg_losses: list[Any] = []  # graph stores: loss tensors
        self.on_create = on_create
        self.on_layer = on_layer

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

    def get_or_create_layer(self, key: str, create_layer_method: Callable[[], Any]) -> Any:
        """The layer stored under ``key``, made by ``create_layer_method()`` (and
        reported to ``on_layer``) the first time."""
        with self._lock:
            layer = self._layers.get(key)
            if layer is None:
                layer = create_layer_method()
                self._layers[key] = layer
                if self.on_layer is not None:
                    self.on_layer(key, layer)
            return layer

    def clear(self) -> None:
        """Forget every variable and layer (the objects themselves are not deleted)."""
        with self._lock:
            self._records.clear()
            self._partitioned.clear()
            self._layers.clear()
            self._reg_losses.clear()

    # ---------------------------------------------------------------- get/create
    def get_variable(self, name: str, shape=None, dtype=tf.float32, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None,
                     synchronization=tf.VariableSynchronization.AUTO,
                     aggregation=tf.VariableAggregation.NONE, *, trace_graph: Any = None) -> Any:
        """Get or create ``name`` (a full name) following TF1's rules.

        ``trace_graph`` is the ``FuncGraph`` being traced from eager code, if
        any: a variable created while tracing one graph of a ``tf.function`` is
        handed out again when another graph (a retrace) asks for it, even under
        ``reuse=False``. With a ``partitioner`` (and a non-scalar shape) the
        result is a ``PartitionedVariable`` of slices ``name/part_<i>``.
        """
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
            args = _Request(name, shape, dtype, initializer, regularizer, reuse, trainable,
                            collections, caching_device, validate_shape, use_resource,
                            constraint, synchronization, aggregation, trace_graph)
            is_scalar = (shape is not None and isinstance(shape, collections_abc.Sequence)
                         and not shape)
            if partitioner is not None and not is_scalar:
                if not callable(partitioner):
                    raise ValueError(
                        f"Partitioner must be callable, but received: {partitioner}")
                return self._get_partitioned(args, partitioner)
            if reuse is True and partitioner is None and name in self._partitioned:
                return self._get_partitioned(args, None)
            return self._get_single(args)

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

    def _get_single(self, a: "_Request") -> Any:
        name = a.name
        from_value = a.initializer is not None and not callable(a.initializer)
        if a.shape is not None and from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = tf.as_dtype(a.dtype)
        shape = tf.TensorShape(a.shape) if a.shape is not None else None
        with self._lock:
            rec = self._records.get(name)
            if rec is not None:
                if a.reuse is False and not _retrace(rec, a.trace_graph):
                    raise errors.VariableSharingError(errors.already_exists(name))
                found = rec.variable
                if shape is not None and not shape.is_compatible_with(found.shape):
                    raise errors.VariableSharingError(
                        errors.shape_mismatch(name, shape, found.shape))
                if not dtype.is_compatible_with(found.dtype):
                    raise errors.VariableSharingError(
                        errors.dtype_mismatch(name, dtype.name, tf.as_dtype(found.dtype).name))
                return found
            if f"{name}/part_0" in self._records:
                raise ValueError(
                    "No partitioner was provided, but a partitioned version of the variable "
                    f"was found: {name}/part_0. Perhaps a variable of the same name was "
                    "already created with partitioning?")
            if a.reuse is True:
                raise errors.VariableSharingError(errors.does_not_exist(name))
            initializer = a.initializer
            if initializer is None:
                if shape is None:
                    raise ValueError(f"Variable {name} did not get an initializer, so its "
                                     "`shape` argument must be specified.")
                initializer = _default_initializer(name, dtype)
            return self._create(a, shape, dtype, initializer, from_value)

    def _create(self, a: "_Request", shape, dtype, initializer, from_value) -> Any:
        name = a.name
        cols = [_GK.GLOBAL_VARIABLES] if a.collections is None else list(a.collections)
        if a.trainable and _GK.TRAINABLE_VARIABLES not in cols:
            cols.append(_GK.TRAINABLE_VARIABLES)
        graph_store = self._graph_ref is not None
        with tf.init_scope():
            init_val, var_dtype = _initial_value_fn(initializer, from_value, shape, dtype)
            keras_var = None
            if graph_store:
                with tf.compat.v1.get_default_graph().name_scope(None):
                    var = tf.compat.v1.Variable(
                        initial_value=init_val, name=name, trainable=a.trainable,
                        collections=a.collections, caching_device=a.caching_device,
                        dtype=var_dtype, validate_shape=a.validate_shape,
                        constraint=a.constraint, use_resource=a.use_resource,
                        synchronization=a.synchronization, aggregation=a.aggregation,
                        shape=shape)
            else:
                if a.caching_device is not None and tf.executing_eagerly():
                    raise NotImplementedError(
                        "Caching devices are not yet supported when eager execution is enabled.")
                var, keras_var = _make_keras_variable(name, init_val, var_dtype, shape, a)
            rec = _Record(var, keras_var, cols,
                          weakref.ref(a.trace_graph) if a.trace_graph is not None else None, None)
            if a.regularizer:
                self._regularize(rec, name, a.regularizer)
        self._records[name] = rec
        if self.on_create is not None:
            self.on_create(name, keras_var if keras_var is not None else var)
        return var

    def _regularize(self, rec: "_Record", name: str, regularizer: Callable) -> None:
        """Run ``regularizer`` once for a new variable (TF1: at creation only)."""
        if self._graph_ref is not None:
            with tf.compat.v1.get_default_graph().name_scope(name + "/Regularizer/"):
                loss = regularizer(rec.variable)
            if loss is not None:
                tf.compat.v1.add_to_collection(_GK.REGULARIZATION_LOSSES, loss)
                self._reg_losses.append(loss)
        elif regularizer(rec.variable) is not None:
            rec.regularizer = regularizer
            if rec.keras_variable is not None:
                # Keras adds `variable.regularizer(variable)` of a layer's trainable
                # weights to `layer.losses` (so `fit` minimises it)
                rec.keras_variable.regularizer = _KerasRegularizer(regularizer)

    # ------------------------------------------------------------- partitioned
    def _get_partitioned(self, a: "_Request", partitioner: Callable | None) -> Any:
        """TF1's partitioned variables: slices ``<name>/part_<i>`` along one axis,
        each saved by ``Saver`` as a slice of the full variable ``<name>``.

        Creation is TF's own (``tf.compat.v1.get_variable`` with the
        partitioner, at TF's root scope): it computes the slices, their
        initial values (with ``partition_info``) and save-slice information.
        The sharing rules and their errors are applied here first.
        """
        name = a.name
        dtype = tf.as_dtype(a.dtype)
        shape = tf.TensorShape(a.shape)
        with self._lock:
            if name in self._records:
                raise ValueError(
                    "A partitioner was provided, but an unpartitioned version of the variable "
                    f"was found: {name}.  Perhaps a variable of the same name was already "
                    "created without partitioning?")
            found = self._partitioned.get(name)
            partitions = (list(partitioner(shape=shape, dtype=dtype))
                          if partitioner is not None else None)
            if found is not None:
                if a.reuse is False and not _retrace(found, a.trace_graph):
                    raise ValueError(
                        f"Partitioned variable with name {name} already exists. Did you mean "
                        "to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
                pv = found.variable
                if not shape.is_compatible_with(pv.get_shape()):
                    raise ValueError(
                        f"Trying to reuse partitioned variable {name}, but specified shape "
                        f"{shape} and found shape {pv.get_shape()}.")
                if not dtype.is_compatible_with(pv.dtype):
                    raise ValueError(
                        f"Trying to reuse partitioned variable {name}, but specified dtype "
                        f"{dtype.name} and found dtype {pv.dtype.name}.")
                if partitions is not None and partitions != found.partitions:
                    raise ValueError(
                        f"Trying to reuse partitioned variable {name}, but specified partitions "
                        f"{partitions} and found partitions {found.partitions}.")
                return pv
            if a.reuse is True:
                raise ValueError(
                    f"PartitionedVariable {name} does not exist, or was not created with "
                    "tf.get_variable(). Did you mean to set reuse=False or "
                    "reuse=tf.AUTO_REUSE in VarScope?")
            if self.on_create is not None:
                raise NotImplementedError(
                    f"Partitioned variables cannot be Keras weights: variable {name} of "
                    f"{self!r} got partitioner={partitioner!r}. Pass partitioner=None (the "
                    "slices' checkpoint names can be restored into one variable with "
                    "tfshare.restore).")
            return self._create_partitioned(a, partitioner, partitions)

    def _create_partitioned(self, a: "_Request", partitioner: Callable,
                            partitions: list) -> Any:
        graph = self.graph
        graph_cm = graph.as_default() if graph is not None else contextlib.nullcontext()
        tf_scope = tf.compat.v1.VariableScope(tf.compat.v1.AUTO_REUSE, name="")
        # graph stores: TF adds the slices' regularization losses to the graph
        # collection; other stores keep the regularizer for evaluation on demand
        regularizer = a.regularizer if graph is not None else None
        with tf.init_scope(), graph_cm:
            before = len(tf.compat.v1.get_collection(_GK.REGULARIZATION_LOSSES))
            with tf.compat.v1.variable_scope(tf_scope, auxiliary_name_scope=False):
                pv = tf.compat.v1.get_variable(
                    a.name, shape=a.shape, dtype=a.dtype, initializer=a.initializer,
                    regularizer=regularizer, trainable=a.trainable, collections=a.collections,
                    caching_device=a.caching_device, partitioner=partitioner,
                    validate_shape=a.validate_shape, use_resource=a.use_resource,
                    constraint=a.constraint, synchronization=a.synchronization,
                    aggregation=a.aggregation)
            if graph is not None:
                self._reg_losses.extend(
                    tf.compat.v1.get_collection(_GK.REGULARIZATION_LOSSES)[before:])
        cols = [_GK.GLOBAL_VARIABLES] if a.collections is None else list(a.collections)
        if a.trainable and _GK.TRAINABLE_VARIABLES not in cols:
            cols.append(_GK.TRAINABLE_VARIABLES)
        trace = weakref.ref(a.trace_graph) if a.trace_graph is not None else None
        for i, part in enumerate(pv):
            rec = _Record(part, None, cols, trace, None)
            if a.regularizer and graph is None and a.regularizer(part) is not None:
                rec.regularizer = a.regularizer
            self._records[f"{a.name}/part_{i}"] = rec
        self._partitioned[a.name] = _Record(pv, None, [], trace, None, partitions)
        return pv


class _Request:
    """The arguments of one ``get_variable`` call, after merging with the scope."""

    __slots__ = ("name", "shape", "dtype", "initializer", "regularizer", "reuse", "trainable",
                 "collections", "caching_device", "validate_shape", "use_resource",
                 "constraint", "synchronization", "aggregation", "trace_graph")

    def __init__(self, *values):
        for slot, value in zip(self.__slots__, values, strict=True):
            setattr(self, slot, value)


class _KerasRegularizer:
    """A TF1 regularizer (``f(variable) -> loss``) as a ``keras.Variable``'s
    ``regularizer``, which Keras calls with the ``keras.Variable`` (or, while
    tracing statelessly, with its current value)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, variable: Any) -> Any:
        return self.fn(getattr(variable, "value", variable))


def _initial_value_fn(initializer, from_value, shape, dtype):
    """``(initial_value, dtype)`` for ``tf.Variable``: the value itself, a
    zero-argument callable, or ``initializer(shape, dtype=dtype)``."""
    if from_value:
        return initializer, None
    if isinstance(initializer, type):
        initializer = initializer()
    if shape is not None and shape.is_fully_defined():
        dims = shape.as_list()
        return (lambda: initializer(dims, dtype=dtype)), dtype.base_dtype
    if _needs_no_arguments(initializer):
        return initializer, None
    raise ValueError(
        "The initializer passed is not valid. It should be a callable with "
        "no arguments and the shape should not be provided or an instance of "
        "`tf.keras.initializers.*' and `shape` should be fully defined.")


def _retrace(rec: _Record, trace_graph: Any) -> bool:
    """A variable created while tracing another graph of a ``tf.function`` is
    handed out again on a retrace (re-running the code), never duplicated."""
    if rec.trace is None:
        return False
    return trace_graph is not None and rec.trace() is not trace_graph


def _accepts(fn: Callable, arg: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == arg or p.kind == p.VAR_KEYWORD for p in params)


def _variable_mode(enum_type: type, value: Any, default: Any, kind: str, name: str) -> Any:
    """``value`` as a member of ``enum_type`` (``None`` -> ``default``; members of
    the ``tf.compat.v1`` enums, e.g. ``VariableAggregation.MEAN``, by value);
    TF1's error text ``Invalid variable <kind> mode: <value> for variable:
    <name>`` otherwise."""
    if value is None:
        return default
    if isinstance(value, enum.Enum) and not isinstance(value, enum_type):
        value = value.value
    try:
        return enum_type(value)
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


def _make_keras_variable(name: str, init_val: Any, var_dtype: Any, shape: Any,
                         a: "_Request") -> tuple[Any, Any]:
    """Create a ``keras.Variable`` whose path is ``name``; return ``(tf_var, keras_var)``.

    The underlying ``tf.Variable`` is named ``name`` exactly (also in graph
    mode, where the graph would make the Keras name scopes unique). Dtypes
    Keras cannot hold (string, complex) and names with empty components give
    a plain ``tf.Variable`` and ``keras_var=None``.
    """
    import keras

    value = _initial_value(init_val, var_dtype)
    if shape is not None and a.validate_shape and not value.shape.is_compatible_with(shape):
        raise ValueError(
            f"In this `tf.Variable` creation, the initial value's shape ({value.shape}) is not "
            f"compatible with the explicitly supplied `shape` argument ({shape}).")
    parts = name.split("/")
    if any(not p for p in parts) or not _keras_dtype(keras, value.dtype):
        with tf.name_scope(""):
            var = tf.Variable(value, name=name, trainable=a.trainable,
                              synchronization=a.synchronization, aggregation=a.aggregation,
                              constraint=a.constraint,
                              shape=None if a.validate_shape else tf.TensorShape(None))
        return var, None
    with contextlib.ExitStack() as stack:
        stack.enter_context(tf.name_scope(""))
        for part in parts[:-1]:
            stack.enter_context(keras.name_scope(part))
        # the TF name scope of the path, exactly (not made unique by a graph)
        stack.enter_context(tf.name_scope("/".join(parts[:-1]) + "/" if len(parts) > 1 else ""))
        kvar = keras.Variable(
            value, dtype=value.dtype.name, trainable=a.trainable, autocast=False,
            aggregation=a.aggregation.name.lower(),
            synchronization=a.synchronization.name.lower(), name=parts[-1])
    var = kvar.value
    if a.constraint is not None:
        kvar.constraint = a.constraint
        try:
            var._constraint = a.constraint  # TF1 sets v.constraint; keras.Variable has no arg
        except AttributeError:
            pass
    return var, kvar


def _keras_dtype(keras: Any, dtype: tf.DType) -> bool:
    """Can a ``keras.Variable`` hold ``dtype``?"""
    if dtype == tf.string:
        return False
    try:
        keras.backend.standardize_dtype(dtype.name)
    except (ValueError, TypeError):
        return False
    return True


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
