"""``init_from_checkpoint`` for graph and eager mode (reference §5.3).

Name targets are looked up in tfshare's variable store (``get_variable``
variables), so scope mappings work in eager mode too, where TF's own
``init_from_checkpoint`` silently does nothing. The whole map is resolved and
checked before anything is assigned.

* graph mode: each resolved variable's initializer is replaced by a restore op
  (TF1 behaviour; the value arrives when ``global_variables_initializer()`` or
  the variable's initializer runs);
* eager mode: the checkpoint value is assigned at once.
"""
from __future__ import annotations

import collections.abc
import os
from typing import Any, Dict, List, Tuple

import tensorflow as tf

from tfshare.compat.v1 import _api

_v1 = tf.compat.v1

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


def _shape_str(var: Any) -> str:
    return str(tf.TensorShape(var.shape))


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
    if not _api.has("current_store"):
        # No tfshare store: variables live in TF's own store; TF's function is exact.
        _v1.train.init_from_checkpoint(ckpt_dir_or_file, assignment_map)
        return
    if isinstance(ckpt_dir_or_file, os.PathLike):
        ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    reader = tf.train.load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    if isinstance(assignment_map, collections.abc.Mapping):
        pairs = list(assignment_map.items())
    else:
        try:
            pairs = [tuple(p) for p in assignment_map]
        except TypeError:
            raise TypeError("Argument `assignment_map` must be a dict or a list of "
                            f"(checkpoint_name, target) pairs. Received: assignment_map="
                            f"{assignment_map!r}") from None
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
        if var is not None:
            if key not in shapes:
                raise ValueError("Tensor %s is not found in %s checkpoint %s"
                                 % (key, ckpt_dir_or_file, shapes))
            if _is_variable(var) and not tf.TensorShape(var.shape).is_compatible_with(shapes[key]):
                raise ValueError(
                    "Shape of variable %s (%s) doesn't match with shape of tensor %s (%s) from "
                    "checkpoint reader." % (var.name, _shape_str(var), key, str(shapes[key])))
            plan.append((key, var))
            continue
        scopes = target[:target.rindex("/")] if "/" in target else ""
        if not key.endswith("/"):
            raise ValueError(
                "Assignment map with scope only name {} should map to scope only {}. Should be "
                "'scope/': 'other_scope/'.".format(scopes, key))
        names = set()
        for name in store_vars:
            if not scopes or name.startswith(scopes + "/"):
                if "/part_" in name:
                    name = name[:name.index("/part_")]
                names.add(name)
        for name in sorted(names):
            tensor = name[len(scopes):]
            if target != "/":
                tensor = tensor[1:]
            if key != "/":
                tensor = key + tensor
            if tensor.endswith("/"):
                tensor = tensor[:-1]
            if tensor not in shapes:
                raise ValueError("Tensor %s (%s in %s) is not found in %s checkpoint"
                                 % (tensor, name[len(scopes) + 1:], key, ckpt_dir_or_file))
            v = store_vars.get(name)
            if v is None:
                v = _partitioned(name, store_vars)
            elif not tf.TensorShape(v.shape).is_compatible_with(shapes[tensor]):
                raise ValueError(
                    "Shape of variable %s (%s) doesn't match with shape of tensor %s (%s) from "
                    "checkpoint reader." % (v.name, _shape_str(v), tensor, str(shapes[tensor])))
            plan.append((tensor, v))
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
