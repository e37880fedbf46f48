"""Targets and selection in tf-slim's vocabulary.

A *target* is a Keras model or layer (names are the weights' ``.path``), a list
of variables (names are ``.path`` for Keras variables, ``.name`` without
``:0`` otherwise), a dict ``{name: variable}``, or a
``tfshare.variables.VariableStore`` (names are the TF1 full names).

Selection follows ``slim.get_variables_to_restore``: ``include`` and
``exclude`` are lists of scope patterns matched as **regex prefixes** of the
name (``re.match``), so ``exclude=["logits"]`` also drops ``logits_aux/...``.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import keras

from tfshare.errors import CheckpointError

__all__ = ["variables_to_restore", "named_variables", "variable_name"]


def variable_name(variable: Any) -> str:
    """The name a checkpoint knows ``variable`` by: a Keras variable's ``.path``,
    else ``.name`` without the ``:0`` output suffix."""
    if isinstance(variable, keras.Variable):
        return variable.path
    name = getattr(variable, "name", None)
    if not isinstance(name, str):
        raise TypeError(f"Expected a variable, received {variable!r} (type {type(variable).__name__}).")
    return name[:-2] if name.endswith(":0") else name


def _is_store(target: Any) -> bool:
    return (not isinstance(target, keras.layers.Layer) and callable(getattr(target, "variables", None))
            and hasattr(target, "get") and not isinstance(target, dict))


def _check_built(layer: keras.layers.Layer) -> None:
    if not layer.built:
        raise CheckpointError(
            f"The Keras {type(layer).__name__} {layer.name!r} is not built yet, so it has no "
            "variables to restore. Build it first: call it once on a batch of inputs "
            "(e.g. `model(x)`), or call `model.build(input_shape)`, or create it with a "
            "`keras.Input`.")


def named_variables(target: Any) -> list[tuple[str, Any]]:
    """``[(name, variable), ...]`` of ``target`` in its order, each variable
    once (a weight shared by several layers appears once, under its path)."""
    if isinstance(target, keras.layers.Layer):
        _check_built(target)
        items = [(v.path, v) for v in target.weights]
    elif _is_store(target):
        items = [(variable_name(v), v) for v in target.variables()]
    elif isinstance(target, dict):
        items = []
        for k, v in target.items():
            if not isinstance(k, str):
                raise TypeError(f"A target dict must map names (str) to variables. Received key {k!r}.")
            items.append((k, v))
    elif isinstance(target, (list, tuple)):
        items = [(variable_name(v), v) for v in target]
    elif hasattr(target, "assign") and hasattr(target, "shape"):
        items = [(variable_name(target), target)]
    else:
        raise TypeError(
            "Argument `target` must be a Keras model or layer, a list or dict of variables, or a "
            f"tfshare VariableStore. Received: target={target!r}")
    seen: set[tuple[str, int]] = set()
    out = []
    for name, v in items:
        key = (name, id(v))
        if key not in seen:
            seen.add(key)
            out.append((name, v))
    return out


def _check_patterns(arg: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{arg} is provided but is not a list or a tuple.")
    for p in value:
        if not isinstance(p, str):
            raise TypeError(f"Argument `{arg}` must hold scope strings. Received: {arg}={value!r}")
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"Argument `{arg}` holds {p!r}, which is not a valid regular "
                             f"expression: {e}") from None
    return list(value)


def select_names(names: Iterable[str], include: Sequence[str] | None = None,
                 exclude: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """``(selected, excluded)`` names, in order, by slim's rules."""
    include = _check_patterns("include", include)
    exclude = _check_patterns("exclude", exclude)
    selected, excluded = [], []
    for n in names:
        keep = include is None or any(re.match(p, n) for p in include)
        if keep and exclude and any(re.match(p, n) for p in exclude):
            keep = False
        (selected if keep else excluded).append(n)
    return selected, excluded


def variables_to_restore(variables: Any = None, include: Sequence[str] | None = None,
                         exclude: Sequence[str] | None = None) -> list[Any]:
    """The variables of ``variables`` (any target) that ``include``/``exclude`` select.

    As ``slim.get_variables_to_restore``: ``include=None`` takes all, else the
    union of the variables whose name matches a pattern in ``include`` (regex
    prefix); then those matching a pattern in ``exclude`` are removed.
    ``include``/``exclude`` must be lists or tuples, else ``TypeError:
    include is provided but is not a list or a tuple.``

    >>> variables_to_restore(model, exclude=["head"])       # the trunk
    """
    if variables is None:
        raise TypeError("Argument `variables` must be a Keras model or layer, a list or dict of "
                        "variables, or a tfshare VariableStore. Received: variables=None")
    items = named_variables(variables)
    selected, _ = select_names([n for n, _ in items], include, exclude)
    chosen = set(selected)
    out, seen = [], set()
    for n, v in items:
        if n in chosen and id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
