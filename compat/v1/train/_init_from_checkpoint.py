"""``init_from_checkpoint`` for graph and eager mode.

Name targets are looked up in tfshare's variable store (``get_variable``
variables), so scope mappings work in eager mode too, where TF's own
``init_from_checkpoint`` silently does nothing. The whole map is resolved and
checked before anything is assigned. Entries are parsed and scopes resolved by
``tfshare.AssignmentMap``, the renaming rule ``tfshare.restore`` and the
``tfshare`` CLI use; the errors keep TF1's texts.

* graph mode: each resolved variable's initializer is replaced by a restore op
  (TF1 behaviour; the value arrives when ``global_variables_initializer()`` or
  the variable's initializer runs);
* eager mode: the checkpoint value is assigned at once.

Unlike ``tfshare.restore``, two checkpoint names sent to one variable are not
an error here: as in TF1, the entry sorted last wins.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Tuple

import tensorflow as tf

from tfshare.compat.v1 import _api

_v1 = tf.compat.v1
_rule = _api.get("AssignmentMap")

__all__ = ["init_from_checkpoint"]


def _is_variable(x: Any) -> bool:
    if isinstance(x, tf.Variable):
        return True
    # keras.Variable (the tfshare eager store): has assign, shape, dtype, name
    return all(hasattr(x, a) for a in ("assign", "shape", "dtype", "name")) and not tf.is_tensor(x)


def _strip(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _store_variables() -> Dict[str, Any]:
    store = _api.current_store()
    return {_strip(v.name): v for v in store.variables()}


def _partitioned(name: str, store_vars: Dict[str, Any]) -> Any:
    parts = [v for n, v in store_vars.items() if n.startswith(name + "/part_")]
    return parts or None


def _shape_error(var: Any, tensor: str, shapes: Dict[str, Any]) -> ValueError:
    return ValueError(
        "Shape of variable %s (%s) doesn't match with shape of tensor %s (%s) from "
        "checkpoint reader." % (var.name, str(tf.TensorShape(var.shape)), tensor, str(shapes[tensor])))


def _scope_members(key: str, target: str, store_vars: Dict[str, Any], ckpt: str,
                   shapes: Dict[str, Any]) -> List[Tuple[str, Any]]:
    """A scope entry ``'old/': 'new/'``: every store variable under the target
    scope, with the checkpoint name it loads (TF1's scope and error rules)."""
    scopes = target[:target.rindex("/")] if "/" in target else ""
    if not key.endswith("/"):
        raise ValueError(
            "Assignment map with scope only name {} should map to scope only {}. Should be "
            "'scope/': 'other_scope/'.".format(scopes, key))
    target_scope = scopes + "/" if scopes else "/"
    names = set()
    for name in store_vars:
        if _rule.in_scope(name, target_scope):
            names.add(name[:name.index("/part_")] if "/part_" in name else name)
    out = []
    for name in sorted(names):
        tensor = _rule.move(name, target_scope, key).rstrip("/")
        if tensor not in shapes:
            raise ValueError("Tensor %s (%s in %s) is not found in %s checkpoint"
                             % (tensor, name[len(scopes) + 1:], key, ckpt))
        v = store_vars.get(name)
        if v is None:
            v = _partitioned(name, store_vars)
        elif not tf.TensorShape(v.shape).is_compatible_with(shapes[tensor]):
            raise _shape_error(v, tensor, shapes)
        out.append((tensor, v))
    return out


def init_from_checkpoint(ckpt_dir_or_file: Any, assignment_map: Any) -> None:
    """Initialize variables from a TF1 name-based checkpoint.

    ``assignment_map`` is a dict, or a list of ``(checkpoint_name, target)``
    pairs (to load one tensor into several variables). Entries, processed in
    order of checkpoint name:

    * ``'old/a': 'new/a'`` or ``'old/a': var`` (or a list of partitions):
      one variable;
    * ``'old/': 'new/'``: every store variable under ``new/`` loads from
      ``old/<rest>``; ``'old/': '/'`` maps root variables, ``'/': 'new/'``
      loads ``new/<rest>`` from ``<rest>``, ``'/': '/'`` everything by name.

    Errors (TF1 texts): a missing tensor (``Tensor old/zzz is not found in ...
    checkpoint {...}``), a shape mismatch (``Shape of variable new/a:0 ((2, 3))
    doesn't match with shape of tensor ...``), a variable-name target mapped
    from a non-scope key (``Assignment map with scope only name ...``).
    """
    if isinstance(ckpt_dir_or_file, os.PathLike):
        ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    reader = tf.train.load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    pairs = _rule.pairs(assignment_map)
    store_vars = _store_variables()
    plan: List[Tuple[str, Any]] = []
    for key, target in sorted(pairs, key=lambda p: p[0]):
        var = None
        if _is_variable(target) or (isinstance(target, list) and target
                                    and all(_is_variable(v) for v in target)):
            var = target
        elif isinstance(target, str):
            var = store_vars.get(target)
            if var is None:
                var = _partitioned(target, store_vars)
        else:
            raise TypeError(f"Assignment map target for {key!r} must be a variable name, a scope "
                            f"name, a Variable or a list of Variables. Received: {target!r}")
        if var is None:
            plan += _scope_members(key, target, store_vars, ckpt_dir_or_file, shapes)
            continue
        if key not in shapes:
            raise ValueError("Tensor %s is not found in %s checkpoint %s"
                             % (key, ckpt_dir_or_file, shapes))
        if _is_variable(var) and not tf.TensorShape(var.shape).is_compatible_with(shapes[key]):
            raise _shape_error(var, key, shapes)
        plan.append((key, var))
    for tensor, var in plan:
        _apply(ckpt_dir_or_file, reader, tensor, var)


def _tf_variable(var: Any) -> Any:
    """The ``tf.Variable`` behind ``var`` (a keras.Variable keeps it in ``.value``)."""
    if isinstance(var, tf.Variable):
        return var
    inner = getattr(var, "value", None)
    return inner if isinstance(inner, tf.Variable) else None


def _apply(ckpt: str, reader: Any, tensor: str, var: Any) -> None:
    if isinstance(var, list):
        tf_vars = [_tf_variable(v) for v in var]
        if all(v is not None for v in tf_vars):
            _v1.train.init_from_checkpoint(ckpt, {tensor: tf_vars})
            return
        raise TypeError(f"Partitioned targets for {tensor!r} must be tf.Variables. "
                        f"Received: {var!r}")
    if _v1.executing_eagerly_outside_functions():
        value = reader.get_tensor(tensor)
        var.assign(tf.cast(value, var.dtype))
        return
    tf_var = _tf_variable(var)
    if tf_var is None:
        raise TypeError(f"Cannot set the initializer of {var!r}: not a tf.Variable")
    _v1.train.init_from_checkpoint(ckpt, {tensor: tf_var})
