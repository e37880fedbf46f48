"""``tfshare.compat.v1.contrib.framework``: TF1's ``tf.contrib.framework`` helpers.

* variables: ``variable``, ``model_variable`` (also in ``MODEL_VARIABLES``),
  ``local_variable``, ``global_variable``, ``add_model_variable``; created
  with tfshare's ``get_variable``, so they share and restore like the rest;
* finding them: ``get_variables(scope, suffix, collection)`` (``scope`` is a
  regex matched at the start of ``var.name``, TF1's ``get_collection``),
  ``get_model_variables``, ``get_trainable_variables``,
  ``get_local_variables``, ``get_variables_to_restore(include, exclude)``,
  ``get_variables_by_name``, ``get_variables_by_suffix``,
  ``get_unique_variable``, ``filter_variables``;
* checkpoints: ``list_variables``, ``load_checkpoint``, ``load_variable``
  (TF's), ``init_from_checkpoint`` (tfshare's, also in eager mode),
  ``assign_from_checkpoint(_fn)``, ``assign_from_values(_fn)``;
* the global step: ``get_or_create_global_step`` ... (``compat.v1.train``'s);
* ``arg_scope``, ``add_arg_scope``, ``current_arg_scope``, ``has_arg_scope``,
  ``arg_scoped_arguments``; ``nest``; ``smart_cond``, ``is_tensor``,
  ``sort``, ``argsort``, ``py_func``, ``get_name_scope``.

In v1 graph mode the lists come from the graph's collections, exactly as in
TF1; in eager mode from tfshare's variable store.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1.contrib import _nest as nest
from tfshare.compat.v1.contrib._arg_scope import (  # noqa: F401
    add_arg_scope, arg_scope, arg_scope_func_key, arg_scoped_arguments, current_arg_scope,
    has_arg_scope)
from tfshare.compat.v1.train import (  # noqa: F401
    create_global_step, get_global_step, get_or_create_global_step, init_from_checkpoint)

_v1 = _tf.compat.v1
_GK = _v1.GraphKeys

__all__ = [
    "nest", "arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope",
    "arg_scoped_arguments", "arg_scope_func_key",
    "variable", "model_variable", "local_variable", "global_variable", "add_model_variable",
    "get_variables", "get_model_variables", "get_local_variables", "get_trainable_variables",
    "get_variables_to_restore", "get_variables_by_name", "get_variables_by_suffix",
    "get_unique_variable", "get_variable_full_name", "filter_variables",
    "list_variables", "load_checkpoint", "load_variable", "init_from_checkpoint",
    "assign_from_checkpoint", "assign_from_checkpoint_fn", "assign_from_values",
    "assign_from_values_fn",
    "get_global_step", "create_global_step", "get_or_create_global_step",
    "assert_global_step", "assert_or_get_global_step",
    "smart_cond", "smart_constant_value", "is_tensor", "sort", "argsort", "py_func",
    "get_name_scope",
]

list_variables = _v1.train.list_variables
load_checkpoint = _v1.train.load_checkpoint
load_variable = _v1.train.load_variable
assert_global_step = _v1.train.assert_global_step
is_tensor = _tf.is_tensor
sort = _tf.sort
argsort = _tf.argsort
py_func = _v1.py_func


def get_name_scope() -> str:
    """The current name scope (``"outer/inner"``)."""
    return _v1.get_default_graph().get_name_scope()


def _v1_graph_mode() -> bool:
    return not _v1.executing_eagerly_outside_functions()


# ------------------------------------------------------------------ finding variables
_EAGER_EXTRA: Dict[int, Tuple[Any, Dict[str, List[Any]]]] = {}


def _eager_extra(collection: str) -> List[Any]:
    """Variables ``add_model_variable`` put into ``collection`` in eager mode
    (kept per store; dropped once the store forgets them)."""
    store = _api.current_store()
    entry = _EAGER_EXTRA.get(id(store))
    if entry is None or entry[0] is not store:
        return []
    alive = {id(v) for v in store.variables()}
    kept = [v for v in entry[1].get(collection, []) if id(v) in alive]
    entry[1][collection] = kept
    return kept


def _collection(key: str, scope: Optional[str]) -> List[Any]:
    """``get_collection(key, scope)``: the graph's in v1 graph mode, else the store's."""
    if key == _GK.GLOBAL_VARIABLES:
        items = _api.global_variables(scope)
    elif key == _GK.TRAINABLE_VARIABLES:
        items = _api.trainable_variables(scope)
    elif key == _GK.LOCAL_VARIABLES:
        items = _api.local_variables(scope)
    elif _v1_graph_mode():
        return _v1.get_collection(key, scope)
    else:
        items = _api.current_store().get_collection(key, scope)
    if not _v1_graph_mode():
        seen = {id(v) for v in items}
        items = list(items) + [v for v in _eager_extra(key) if id(v) not in seen
                               and (scope is None or re.match(scope, v.name))]
    return list(items)


def get_variables(scope: Any = None, suffix: Optional[str] = None,
                  collection: str = _GK.GLOBAL_VARIABLES) -> List[Any]:
    """Variables of ``collection`` whose name matches ``scope`` (a regex or a
    ``VariableScope``, matched at the start of ``var.name``) and, with
    ``suffix``, ending in ``suffix`` (pattern ``scope + '.*' + suffix + ':'``)."""
    if isinstance(scope, (_api.VariableScope, _v1.VariableScope)):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return _collection(collection, scope)


def get_model_variables(scope: Any = None, suffix: Optional[str] = None) -> List[Any]:
    """:func:`get_variables` of ``MODEL_VARIABLES``."""
    return get_variables(scope, suffix, _GK.MODEL_VARIABLES)


def get_local_variables(scope: Any = None, suffix: Optional[str] = None) -> List[Any]:
    """:func:`get_variables` of ``LOCAL_VARIABLES``."""
    return get_variables(scope, suffix, _GK.LOCAL_VARIABLES)


def get_trainable_variables(scope: Any = None, suffix: Optional[str] = None) -> List[Any]:
    """:func:`get_variables` of ``TRAINABLE_VARIABLES``."""
    return get_variables(scope, suffix, _GK.TRAINABLE_VARIABLES)


def get_variables_to_restore(include: Optional[Sequence[str]] = None,
                             exclude: Optional[Sequence[str]] = None) -> List[Any]:
    """Global variables under any scope of ``include`` (all if ``None``) minus
    those under any scope of ``exclude``; scopes are regex prefixes, so
    ``exclude=["logits"]`` also drops ``logits_aux/...``."""
    if include is None:
        chosen = get_variables()
    else:
        if not isinstance(include, (list, tuple)):
            raise TypeError("include is provided but is not a list or a tuple.")
        chosen = [v for s in include for v in get_variables(s)]
    dropped: set = set()
    if exclude is not None:
        if not isinstance(exclude, (list, tuple)):
            raise TypeError("exclude is provided but is not a list or a tuple.")
        dropped = {id(v) for s in exclude for v in get_variables(s)}
    return [v for v in chosen if id(v) not in dropped]


def get_variables_by_suffix(suffix: str, scope: Any = None) -> List[Any]:
    """Global variables whose name ends with ``suffix`` (under ``scope``)."""
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name: str, scope: Any = None) -> List[Any]:
    """Global variables whose last name component is ``given_name``."""
    return get_variables(scope=scope, suffix="/" + given_name + ":|^" + given_name + ":")


def _op_name(var: Any) -> str:
    name = var.name
    return name[:-2] if name.endswith(":0") else name


def get_unique_variable(var_op_name: str) -> Any:
    """The global variable named exactly ``var_op_name`` (``ValueError`` if none)."""
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError("Couldn't find variable %s" % var_op_name)
    for candidate in candidates:
        if _op_name(candidate) == var_op_name:
            return candidate
    raise ValueError("Variable %s does not uniquely identify a variable" % var_op_name)


def get_variable_full_name(var: Any) -> str:
    """The checkpoint name of ``var`` (its op name; a partition's full name)."""
    info = getattr(var, "_save_slice_info", None)
    return info.full_name if info else _op_name(var)


def filter_variables(var_list: Sequence[Any], include_patterns: Optional[Sequence[str]] = None,
                     exclude_patterns: Optional[Sequence[str]] = None,
                     reg_search: bool = True) -> List[Any]:
    """Variables whose name matches any ``include_patterns`` (all if ``None``)
    and none of ``exclude_patterns``; ``re.search`` (or ``re.match`` with
    ``reg_search=False``)."""
    find = re.search if reg_search else re.match
    out = list(var_list)
    if include_patterns is not None:
        out = [v for v in out if any(find(p, v.name) for p in include_patterns)]
    if exclude_patterns is not None:
        out = [v for v in out if not any(find(p, v.name) for p in exclude_patterns)]
    return out


# ------------------------------------------------------------------ creating variables
@add_arg_scope
def variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
             regularizer: Optional[Callable] = None, trainable: bool = True,
             collections: Optional[Sequence[str]] = None, caching_device: Any = None,
             device: Any = None, partitioner: Any = None, custom_getter: Any = None,
             use_resource: Any = None,
             synchronization: Any = _tf.VariableSynchronization.AUTO,
             aggregation: Any = _tf.VariableAggregation.NONE) -> Any:
    """``get_variable`` in ``collections`` (default ``GLOBAL_VARIABLES``) on
    ``device``. ``custom_getter``, if given, is called instead of
    ``get_variable`` (with the scope's ``reuse``)."""
    collections = list(dict.fromkeys(collections if collections is not None
                                     else [_GK.GLOBAL_VARIABLES]))
    getter = _api.get_variable
    if custom_getter is not None:
        getter = functools.partial(custom_getter, reuse=_api.get_variable_scope().reuse)
    with _tf.device(device or None):
        return getter(name, shape=shape, dtype=dtype, initializer=initializer,
                      regularizer=regularizer, trainable=trainable, collections=collections,
                      caching_device=caching_device, partitioner=partitioner,
                      use_resource=use_resource, synchronization=synchronization,
                      aggregation=aggregation)


@add_arg_scope
def model_variable(name: str, shape: Any = None, dtype: Any = _tf.float32,
                   initializer: Any = None, regularizer: Optional[Callable] = None,
                   trainable: bool = True, collections: Optional[Sequence[str]] = None,
                   caching_device: Any = None, device: Any = None, partitioner: Any = None,
                   custom_getter: Any = None, use_resource: Any = None,
                   synchronization: Any = _tf.VariableSynchronization.AUTO,
                   aggregation: Any = _tf.VariableAggregation.NONE) -> Any:
    """:func:`variable` also put into ``MODEL_VARIABLES`` (what slim saves)."""
    collections = list(collections or []) + [_GK.GLOBAL_VARIABLES, _GK.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                    regularizer=regularizer, trainable=trainable, collections=collections,
                    caching_device=caching_device, device=device, partitioner=partitioner,
                    custom_getter=custom_getter, use_resource=use_resource,
                    synchronization=synchronization, aggregation=aggregation)


def _plain_variable(initial_value: Any, collection: str, validate_shape: bool, name: Any,
                    use_resource: Any) -> Any:
    if _v1_graph_mode():
        return _v1.Variable(initial_value, trainable=False, collections=[collection],
                            validate_shape=validate_shape, name=name,
                            use_resource=use_resource)
    return _tf.Variable(initial_value, trainable=False, validate_shape=validate_shape,
                        name=name)


def local_variable(initial_value: Any, validate_shape: bool = True, name: Any = None,
                   use_resource: Any = None) -> Any:
    """A non-trainable ``tf.Variable`` in ``LOCAL_VARIABLES`` only."""
    return _plain_variable(initial_value, _GK.LOCAL_VARIABLES, validate_shape, name,
                           use_resource)


def global_variable(initial_value: Any, validate_shape: bool = True, name: Any = None,
                    use_resource: Any = None) -> Any:
    """A non-trainable ``tf.Variable`` in ``GLOBAL_VARIABLES`` only."""
    return _plain_variable(initial_value, _GK.GLOBAL_VARIABLES, validate_shape, name,
                           use_resource)


def add_model_variable(var: Any) -> None:
    """Put ``var`` into ``MODEL_VARIABLES`` (once)."""
    if _v1_graph_mode():
        if var not in _v1.get_collection(_GK.MODEL_VARIABLES):
            _v1.add_to_collection(_GK.MODEL_VARIABLES, var)
        return
    if any(v is var for v in get_model_variables()):
        return
    store = _api.current_store()
    entry = _EAGER_EXTRA.get(id(store))
    if entry is None or entry[0] is not store:
        entry = _EAGER_EXTRA[id(store)] = (store, {})
    entry[1].setdefault(_GK.MODEL_VARIABLES, []).append(var)


# ------------------------------------------------------------------ checkpoints
def _grouped(var_list: Any) -> Dict[str, List[Any]]:
    groups: Dict[str, List[Any]] = {}
    if isinstance(var_list, (list, tuple)):
        for var in var_list:
            groups.setdefault(get_variable_full_name(var), []).append(var)
    else:
        for name, value in var_list.items():
            groups[name] = list(value) if isinstance(value, (list, tuple)) else [value]
    return groups


def assign_from_checkpoint(model_path: str, var_list: Any,
                           ignore_missing_vars: bool = False) -> Tuple[Any, Dict[Any, Any]]:
    """``(assign_op, feed_dict)`` loading ``var_list`` (a list, grouped by
    checkpoint name, or ``{checkpoint_name: var or [vars]}``) from
    ``model_path``. Graph mode (it builds placeholders)."""
    groups = _grouped(var_list)
    reader = _v1.train.NewCheckpointReader(model_path)
    feed: Dict[Any, Any] = {}
    ops = []
    for ckpt_name, variables in groups.items():
        if not reader.has_tensor(ckpt_name):
            message = "Checkpoint is missing variable [%s]" % ckpt_name
            if ignore_missing_vars:
                _v1.logging.warning(message)
                continue
            raise ValueError(message)
        value = reader.get_tensor(ckpt_name)
        for var in variables:
            ph = _v1.placeholder(var.dtype.base_dtype, shape=var.get_shape(),
                                 name="placeholder/" + _op_name(var))
            ops.append(var.assign(ph))
            info = getattr(var, "_save_slice_info", None)
            if not info:
                if var.get_shape() != value.shape:
                    raise ValueError("Total size of new array must be unchanged for %s "
                                     "lh_shape: [%s], rh_shape: [%s]"
                                     % (ckpt_name, str(value.shape), str(var.get_shape())))
                feed[ph] = value
            else:
                index = tuple(slice(o, o + s) for o, s in zip(info.var_offset, info.var_shape))
                feed[ph] = value[index].reshape(info.var_shape)
    return _tf.group(*ops), feed


def assign_from_checkpoint_fn(model_path: str, var_list: Any, ignore_missing_vars: bool = False,
                              reshape_variables: bool = False) -> Optional[Callable]:
    """``callback(session)`` restoring ``var_list`` from ``model_path`` (a
    ``Saver``), or ``None`` when nothing is left to restore."""
    if not var_list:
        raise ValueError("var_list cannot be empty")
    if ignore_missing_vars:
        reader = _v1.train.NewCheckpointReader(model_path)
        if isinstance(var_list, dict):
            named = var_list
        else:
            named = {_op_name(v): v for v in var_list}
        available = {}
        for name, var in named.items():
            if reader.has_tensor(name):
                available[name] = var
            else:
                _v1.logging.warning("Variable %s missing in checkpoint %s", name, model_path)
        var_list = available
    if not var_list:
        _v1.logging.warning("No Variables to restore")
        return None
    saver = _v1.train.Saver(var_list, reshape=reshape_variables)

    def callback(session: Any) -> None:
        saver.restore(session, model_path)

    return callback


def assign_from_values(var_names_to_values: Dict[str, Any]) -> Tuple[Any, Dict[Any, Any]]:
    """``(assign_op, feed_dict)`` setting each named global variable to a numpy value."""
    feed: Dict[Any, Any] = {}
    ops = []
    for var_name, value in var_names_to_values.items():
        found = _v1.get_collection(_GK.GLOBAL_VARIABLES, var_name)
        if not found:
            raise ValueError("Variable %s wasn't found" % var_name)
        if len(found) > 1:
            exact = [v for v in found if _op_name(v) == var_name]
            if not exact:
                raise ValueError("Variable %s doesn't uniquely identify a variable" % var_name)
            found = exact
        var = found[0]
        ph = _v1.placeholder(var.dtype.base_dtype, shape=var.get_shape(),
                             name="placeholder/" + _op_name(var))
        ops.append(var.assign(ph))
        feed[ph] = value.reshape(var.get_shape())
    return _tf.group(*ops), feed


def assign_from_values_fn(var_names_to_values: Dict[str, Any]) -> Callable:
    """``callback(session)`` running :func:`assign_from_values`."""
    op, feed = assign_from_values(var_names_to_values)

    def callback(session: Any) -> Any:
        return session.run(op, feed)

    return callback


def assert_or_get_global_step(graph: Any = None, global_step_tensor: Any = None) -> Any:
    """``global_step_tensor`` after checking it, else the graph's global step."""
    if global_step_tensor is None:
        return get_global_step(graph)
    assert_global_step(global_step_tensor)
    return global_step_tensor


# ------------------------------------------------------------------ small utilities
def smart_constant_value(pred: Any) -> Any:
    """``pred``'s value when it is known statically (a numpy bool for a
    tensor, a Python bool otherwise), else ``None``."""
    if _tf.is_tensor(pred):
        return _tf.get_static_value(pred)
    if isinstance(pred, bool) or (isinstance(pred, int) and pred in (0, 1)):
        return bool(pred)
    raise TypeError("`pred` must be a Tensor, or a Python bool, or 1 or 0. "
                    "Found instead: %s" % type(pred))


def smart_cond(pred: Any, true_fn: Optional[Callable] = None,
               false_fn: Optional[Callable] = None, name: Any = None) -> Any:
    """``true_fn()`` or ``false_fn()`` when ``pred`` is known statically, else ``tf.cond``."""
    if not callable(true_fn):
        raise TypeError("`true_fn` must be callable.")
    if not callable(false_fn):
        raise TypeError("`false_fn` must be callable.")
    value = smart_constant_value(pred)
    if value is None:
        return _tf.cond(pred, true_fn, false_fn, name=name)
    return true_fn() if value else false_fn()


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r} (tf.contrib was removed in TF 2; "
        "tfshare provides the contrib.framework names listed in its __all__)")


def __dir__() -> List[str]:
    return sorted(__all__)
