"""``variable_scope``, ``VariableScope`` and ``get_variable`` with TF1's rules.

Names (docs/variables.md §1): a variable is ``"<scope.name>/<name>"``; op name scopes
are separate (``variable_scope("foo")`` also opens name scope ``foo``, which the
graph uniquifies to ``foo_1`` on re-entry, while variables stay ``foo/v``).

Reuse (§2): ``reuse=False`` means *inherit*; a string sub-scope gets
``requested or parent.reuse``; a ``VariableScope`` object entered directly keeps
its own reuse unless one is requested. ``AUTO_REUSE`` creates or returns.

Counters (§1): ``default_name`` picks ``name``, ``name_1``, ... among the
scopes opened under the current scope; leaving a string scope resets its
sub-scope counters; leaving a scope entered by object restores the counters
saved on entry.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

import tensorflow as tf

from tfshare.variables import _mode
from tfshare.variables._context import VariableContext

__all__ = [
    "AUTO_REUSE",
    "no_regularizer",
    "VariableScope",
    "variable_scope",
    "get_variable_scope",
    "get_variable",
    "get_local_variable",
    "variable_op_scope",
]

#: ``reuse=AUTO_REUSE``: return the variable if it exists, else create it.
#: The same object as ``tf.compat.v1.AUTO_REUSE`` (truthy).
AUTO_REUSE = tf.compat.v1.AUTO_REUSE

_GK = tf.compat.v1.GraphKeys


def no_regularizer(_: Any) -> None:
    """Use as ``regularizer=no_regularizer`` to switch off a scope's regularizer."""
    return None


class VariableScope:
    """A TF1 variable scope: a name prefix plus defaults for ``get_variable``.

    Read-only properties ``name``, ``original_name_scope`` (the op name scope
    of the first entry, e.g. ``"foo_1/"``), ``reuse`` (``False``, ``True`` or
    ``AUTO_REUSE``), ``initializer``, ``regularizer``, ``dtype``,
    ``use_resource``, ``caching_device``, ``partitioner``, ``custom_getter``,
    ``constraint``; ``reuse_variables()`` and the ``set_*`` setters change this
    scope object only.
    """

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None,
                 regularizer: Callable | None = None, caching_device: Any = None,
                 partitioner: Callable | None = None, custom_getter: Callable | None = None,
                 name_scope: str = "", dtype: Any = tf.float32, use_resource: bool | None = None,
                 constraint: Callable | None = None):
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        self._native: Any = None  # TF's own scope mirroring this one (v1 graph mode)

    def __repr__(self) -> str:
        return f"<tfshare VariableScope name={self._name!r} reuse={self._reuse!r}>"

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self) -> None:
        """Set ``reuse=True`` on this scope object (permanently)."""
        self._reuse = True
        if self._native is not None:
            self._native.reuse_variables()

    def reusing_copy(self) -> "VariableScope":
        """A copy of this scope with ``reuse=True`` (what TF1's MirroredStrategy
        enters in the replica threads other than the first)."""
        return VariableScope(
            True, name=self._name, initializer=self._initializer,
            regularizer=self._regularizer, caching_device=self._caching_device,
            partitioner=self._partitioner, custom_getter=self._custom_getter,
            name_scope=self._name_scope, dtype=self._dtype, use_resource=self._use_resource,
            constraint=self._constraint)

    def set_initializer(self, initializer: Any) -> None:
        self._initializer = initializer

    def set_dtype(self, dtype: Any) -> None:
        self._dtype = dtype

    def set_use_resource(self, use_resource: bool | None) -> None:
        self._use_resource = use_resource

    def set_regularizer(self, regularizer: Callable | None) -> None:
        self._regularizer = regularizer

    def set_caching_device(self, caching_device: Any) -> None:
        self._caching_device = caching_device

    def set_partitioner(self, partitioner: Callable | None) -> None:
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter: Callable | None) -> None:
        self._custom_getter = custom_getter

    def get_collection(self, name: str) -> list:
        """This scope's members of collection ``name`` (regex prefix ``name + "/"``)."""
        return CONTEXT.get_collection(name, self._name + "/" if self._name else "")

    def global_variables(self) -> list:
        return self.get_collection(_GK.GLOBAL_VARIABLES)

    def trainable_variables(self) -> list:
        return self.get_collection(_GK.TRAINABLE_VARIABLES)

    def local_variables(self) -> list:
        return self.get_collection(_GK.LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None,
                     regularizer=None, reuse=None, trainable=None, collections=None,
                     caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None,
                     synchronization=tf.VariableSynchronization.AUTO,
                     aggregation=tf.VariableAggregation.NONE):
        """Get or create ``<self.name>/<name>`` in ``var_store`` (TF1 semantics)."""
        if regularizer is None:
            regularizer = self._regularizer
        if caching_device is None:
            caching_device = self._caching_device
        if partitioner is None:
            partitioner = self._partitioner
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        if use_resource is None:
            use_resource = self._use_resource
        full_name = self._name + "/" + name if self._name else name
        if dtype is not None and initializer is not None and not callable(initializer):
            init_dtype = _value_dtype(initializer)
            if init_dtype != tf.as_dtype(dtype):
                raise ValueError(f"Initializer type '{init_dtype}' and explicit dtype "
                                 f"'{tf.as_dtype(dtype)}' don't match.")
        if initializer is None:
            initializer = self._initializer
        if constraint is None:
            constraint = self._constraint
        if dtype is None:
            dtype = self._dtype
        return var_store.get_variable(
            full_name, shape=shape, dtype=dtype, initializer=initializer,
            regularizer=regularizer, reuse=reuse, trainable=trainable, collections=collections,
            caching_device=caching_device, partitioner=partitioner,
            validate_shape=validate_shape, use_resource=use_resource,
            custom_getter=custom_getter, constraint=constraint,
            synchronization=synchronization, aggregation=aggregation,
            trace_graph=_mode.current_trace_graph())


#: All variable state of the process: stores, scope stacks, counters.
CONTEXT = VariableContext(make_root=lambda: VariableScope(False))


def _value_dtype(value: Any) -> tf.DType:
    if isinstance(value, (tf.Tensor, tf.Variable)) or hasattr(value, "dtype"):
        try:
            return tf.as_dtype(value.dtype).base_dtype
        except TypeError:
            pass
    with tf.init_scope():
        if tf.executing_eagerly():
            return tf.convert_to_tensor(value).dtype.base_dtype
    with tf.Graph().as_default():
        return tf.convert_to_tensor(value).dtype.base_dtype


def _wrap_custom_getter(custom_getter: Callable, old_getter: Callable | None) -> Callable:
    """Chain ``custom_getter`` (inner) in front of ``old_getter`` (outer).

    The call order is inner -> outer -> real getter; like TF1, the chain is
    called with ``getter=`` as a keyword.
    """
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)

    return wrapped_custom_getter


def get_variable_scope() -> VariableScope:
    """The current ``VariableScope`` (the root scope has name ``""``, ``reuse=False``)."""
    return CONTEXT.scope_state().current


def _op_name_scope(name: str):
    """An op name scope: the graph's (uniquified) in graph building, else eager."""
    if tf.executing_eagerly():
        return tf.name_scope(name)
    return tf.compat.v1.get_default_graph().name_scope(name)


def _current_op_name_scope() -> str:
    """The current op name scope without a trailing ``/`` (``""`` at the root)."""
    if tf.executing_eagerly():
        with tf.name_scope("tfshare_probe") as s:
            return s[: -len("tfshare_probe/")].rstrip("/")
    return tf.compat.v1.get_default_graph().get_name_scope()


def _graph_of(values: Any) -> Any:
    for v in tf.nest.flatten(values):
        g = getattr(v, "graph", None)
        if g is not None and isinstance(g, tf.Graph):
            return g
    return None


class variable_scope:  # noqa: N801 (TF1 name)
    """A context manager for defining ops that create variables (TF1 ``variable_scope``).

    ``with variable_scope("foo"):`` prefixes variable names with ``foo/`` and
    opens op name scope ``foo``. ``name_or_scope`` may be a string or a
    ``VariableScope`` (re-entering it; it does not inherit the parent's reuse),
    or ``None`` with ``default_name`` (made unique: ``dense``, ``dense_1``...).
    ``reuse``: ``True``, ``AUTO_REUSE``, or ``None``/``False`` (inherit). Other
    arguments set the scope's defaults for ``get_variable``; ``custom_getter``
    is chained in front of the enclosing scope's getter.
    """

    def __init__(self, name_or_scope: str | VariableScope | None, default_name: str | None = None,
                 values: Any = None, initializer: Any = None, regularizer: Callable | None = None,
                 caching_device: Any = None, partitioner: Callable | None = None,
                 custom_getter: Callable | None = None, reuse: Any = None, dtype: Any = None,
                 use_resource: bool | None = None, constraint: Callable | None = None,
                 auxiliary_name_scope: bool = True):
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._reuse = reuse
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if self._reuse is False:
            self._reuse = None
        if not (self._reuse is True or self._reuse is None or self._reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, "
                            f"while get {auxiliary_name_scope}")
        self._aux = auxiliary_name_scope
        self._entries: list[_Entry] = []

    def __enter__(self) -> VariableScope:
        graph_cm = None
        if values_graph := (_graph_of(self._values) if self._values is not None else None):
            if (not tf.executing_eagerly() and not tf.inside_function()
                    and values_graph is not tf.compat.v1.get_default_graph()):
                graph_cm = values_graph.as_default()
                graph_cm.__enter__()
        ns_cm = None
        try:
            state = CONTEXT.scope_state()
            nos = self._name_or_scope
            if not self._aux:
                cur = _current_op_name_scope()
                ns_cm = _op_name_scope(cur + "/" if cur else "")
            if nos is not None:
                if not isinstance(nos, (VariableScope, str)):
                    raise TypeError("VariableScope: name_or_scope must be a string or "
                                    "VariableScope.")
                ns_name = nos if isinstance(nos, str) else nos.name.split("/")[-1]
                old_ns = None
                if ns_name or ns_cm is not None:
                    ns_cm = ns_cm or _op_name_scope(ns_name)
                    entered = ns_cm.__enter__()
                    old_ns = entered if isinstance(nos, str) else nos.original_name_scope
                else:
                    ns_cm = None
                target = nos
            else:
                if self._reuse:
                    raise ValueError("reuse=True cannot be used without a name_or_scope")
                ns_cm = ns_cm or _op_name_scope(self._default_name)
                old_ns = ns_cm.__enter__()
                target = _unique_scope_name(state, self._default_name)
            vs, old, saved = self._enter_pure(state, target, old_ns)
            native_cm = _enter_native_scope(vs)
        except BaseException:
            if ns_cm is not None:
                try:
                    ns_cm.__exit__(None, None, None)
                except Exception:  # pragma: no cover - entering failed
                    pass
            if graph_cm is not None:
                graph_cm.__exit__(None, None, None)
            raise
        self._entries.append(_Entry(state, target, vs, old, saved, ns_cm, graph_cm, native_cm))
        return vs

    def _enter_pure(self, state, target, old_ns):
        old = state.current
        if isinstance(target, VariableScope):
            reuse = target.reuse if not self._reuse else self._reuse
            vs = VariableScope(
                reuse, name=target.name, initializer=target.initializer,
                regularizer=target.regularizer, caching_device=target.caching_device,
                partitioner=target.partitioner, dtype=target.dtype,
                custom_getter=target.custom_getter, name_scope=target.original_name_scope,
                use_resource=target.use_resource, constraint=self._constraint)
            getter_base = target.custom_getter
        else:
            new_name = old.name + "/" + target if old.name else target
            reuse = self._reuse or old.reuse
            vs = VariableScope(
                reuse, name=new_name, initializer=old.initializer, regularizer=old.regularizer,
                caching_device=old.caching_device, partitioner=old.partitioner, dtype=old.dtype,
                use_resource=old.use_resource, custom_getter=old.custom_getter,
                name_scope=target if old_ns is None else old_ns, constraint=self._constraint)
            getter_base = old.custom_getter
        if self._initializer is not None:
            vs.set_initializer(self._initializer)
        if self._regularizer is not None:
            vs.set_regularizer(self._regularizer)
        if self._caching_device is not None:
            vs.set_caching_device(self._caching_device)
        if self._partitioner is not None:
            vs.set_partitioner(self._partitioner)
        if self._custom_getter is not None:
            vs.set_custom_getter(_wrap_custom_getter(self._custom_getter, getter_base))
        if self._dtype is not None:
            vs.set_dtype(self._dtype)
        if self._use_resource is not None:
            vs.set_use_resource(self._use_resource)
        state.open(vs.name)
        saved = dict(state.counts) if isinstance(target, VariableScope) else None
        state.current = vs
        return vs, old, saved

    def __exit__(self, exc_type, exc, tb) -> None:
        """Leave the scope entered last by this object.

        Leaving it while another scope entered after it is still open raises
        ``RuntimeError: Improper nesting of variable_scope.`` and, as in TF1,
        leaves the variable scope entered (only its op name scope is closed):
        once the inner scope is left, this exit can be repeated and succeeds.
        """
        entry = self._entries[-1]
        try:
            if entry.state.current is not entry.vs:
                raise RuntimeError("Improper nesting of variable_scope.")
            self._entries.pop()
            entry.close_native_scope(exc_type, exc, tb)
            if isinstance(entry.target, VariableScope):
                entry.state.counts = entry.saved
            else:
                entry.state.close_subscopes(entry.vs.name)
            entry.state.current = entry.old
        finally:
            entry.close_name_scope(exc_type, exc, tb)


class _Entry:
    """One entry of a ``variable_scope`` object: what its exit restores."""

    def __init__(self, state, target, vs, old, saved, ns_cm, graph_cm, native_cm):
        self.state, self.target, self.vs, self.old, self.saved = state, target, vs, old, saved
        self._ns_cm, self._graph_cm, self._native_cm = ns_cm, graph_cm, native_cm

    def close_native_scope(self, exc_type, exc, tb) -> None:
        """Leave the mirrored TF variable scope (see ``_enter_native_scope``)."""
        native_cm, self._native_cm = self._native_cm, None
        if native_cm is not None:
            native_cm.__exit__(exc_type, exc, tb)

    def close_name_scope(self, exc_type, exc, tb) -> None:
        """Exit the op name scope and the ``values`` graph (once)."""
        ns_cm, graph_cm = self._ns_cm, self._graph_cm
        self._ns_cm = self._graph_cm = None
        try:
            if ns_cm is not None:
                ns_cm.__exit__(exc_type, exc, tb)
        finally:
            if graph_cm is not None:
                graph_cm.__exit__(exc_type, exc, tb)


def _enter_native_scope(vs: VariableScope) -> Any:
    """In v1 graph mode (the graph's own store), also enter TF's own variable
    scope of the same name and reuse, without a name scope.

    TensorFlow's internal code creates variables with TF's ``get_variable`` in
    TF's current variable scope: optimizer slots (``train/model/w/Adam`` for a
    ``minimize`` called inside ``variable_scope("train")``), ``tf.metrics``
    accumulators, partitioned slices. Mirroring the scope gives them TF1's
    names. The mirror is a scope object entered by absolute name, so it always
    equals tfshare's current scope; ``reuse_variables()`` reaches it too.
    Returns the entered context manager, or ``None`` outside v1 graph mode.
    """
    if not _mode.v1_graph_mode() or CONTEXT.active_store_scope():
        return None
    native = tf.compat.v1.VariableScope(vs.reuse, name=vs.name)
    cm = tf.compat.v1.variable_scope(native, auxiliary_name_scope=False)
    cm.__enter__()
    vs._native = native
    return cm


def _unique_scope_name(state, prefix: str) -> str:
    cur = state.current.name
    name = cur + "/" + prefix if cur else prefix
    if state.count(name) == 0:
        return prefix
    idx = 1
    while state.count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


def get_variable(name: str, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, caching_device=None, partitioner=None,
                 validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                 synchronization=tf.VariableSynchronization.AUTO,
                 aggregation=tf.VariableAggregation.NONE):
    """Get an existing variable ``<scope>/<name>`` or create it (TF1 ``get_variable``).

    Reuse comes from the current scope: ``False``/``None`` creates (an existing
    name raises "Variable x already exists, disallowed..."), ``True`` returns the
    existing variable (a missing one raises "Variable x does not exist..."),
    ``AUTO_REUSE`` does either. On reuse, ``shape`` (if given) and ``dtype``
    must be compatible. Initializer: the argument, else the scope's, else
    ``glorot_uniform`` (floats; fan_in/fan_out from the shape) or zeros (ints,
    bool, string). A non-callable initializer is the initial value (no
    ``shape``). ``regularizer(v)`` runs once, at creation, and goes into
    ``REGULARIZATION_LOSSES``.

    Returns a variable whose ``.name`` is ``"<scope>/<name>:0"``.
    """
    return get_variable_scope().get_variable(
        CONTEXT.current_store(), name, shape=shape, dtype=dtype, initializer=initializer,
        regularizer=regularizer, trainable=trainable, collections=collections,
        caching_device=caching_device, partitioner=partitioner, validate_shape=validate_shape,
        use_resource=use_resource, custom_getter=custom_getter, constraint=constraint,
        synchronization=synchronization, aggregation=aggregation)


def get_local_variable(name: str, shape=None, dtype=None, initializer=None, regularizer=None,
                       trainable=False, collections=None, caching_device=None,
                       partitioner=None, validate_shape=True, use_resource=None,
                       custom_getter=None, constraint=None,
                       synchronization=tf.VariableSynchronization.AUTO,
                       aggregation=tf.VariableAggregation.NONE):
    """``get_variable`` for ``LOCAL_VARIABLES`` (never trainable; respects reuse)."""
    collections = list(collections) + [_GK.LOCAL_VARIABLES] if collections else [
        _GK.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=False, collections=collections,
                        caching_device=caching_device, partitioner=partitioner,
                        validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint,
                        synchronization=synchronization, aggregation=aggregation)


def variable_op_scope(values: Any, name_or_scope: str | VariableScope | None,
                      default_name: str | None = None, initializer: Any = None,
                      regularizer: Callable | None = None, caching_device: Any = None,
                      partitioner: Callable | None = None, custom_getter: Callable | None = None,
                      reuse: Any = None, dtype: Any = None, use_resource: bool | None = None,
                      constraint: Callable | None = None) -> variable_scope:
    """Deprecated TF1 alias: ``variable_scope(name_or_scope, default_name, values, ...)``."""
    warnings.warn("tf.variable_op_scope(values, name, default_name) is deprecated, use "
                  "tf.variable_scope(name, default_name, values)", DeprecationWarning,
                  stacklevel=2)
    return variable_scope(name_or_scope, default_name=default_name, values=values,
                          initializer=initializer, regularizer=regularizer,
                          caching_device=caching_device, partitioner=partitioner,
                          custom_getter=custom_getter, reuse=reuse, dtype=dtype,
                          use_resource=use_resource, constraint=constraint)
