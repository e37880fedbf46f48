"""Freeze what a restore selected: "restore the trunk, train the head"."""
from __future__ import annotations

from typing import Any, Sequence

import keras

from tfshare.checkpoint.select import named_variables, select_names

__all__ = ["freeze"]


def freeze(target: Any, include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
           trainable: bool = False) -> list[str]:
    """Set ``trainable=trainable`` on the variables ``include``/``exclude`` select.

    Same selection rules as :func:`restore` (slim regex-prefix scopes on the
    weight paths). On a Keras model, a layer all of whose weights are
    selected is also set ``layer.trainable = trainable``. Returns the names of
    the variables changed::

        tfshare.restore(model, ckpt, exclude=["head"])
        tfshare.freeze(model, exclude=["head"])   # only the head trains
    """
    pairs = named_variables(target)
    selected, _ = select_names([n for n, _ in pairs], include, exclude)
    chosen = set(selected)
    changed, ids = [], set()
    for name, var in pairs:
        if name in chosen:
            var.trainable = trainable
            ids.add(id(var))
            changed.append(name)
    if isinstance(target, keras.layers.Layer):
        for layer in _sublayers(target):
            ws = layer.weights
            if ws and all(id(w) in ids for w in ws):
                layer.trainable = trainable
    return changed


def _sublayers(root: keras.layers.Layer) -> list:
    """``root`` and every layer reachable through its attributes (public
    ``.layers`` of models, a wrapper's ``.layer``, an RNN's ``.cell``, lists)."""
    out, seen, todo = [], set(), [root]
    while todo:
        layer = todo.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        children = list(getattr(layer, "layers", None) or []) if isinstance(layer, keras.Model) else []
        for value in vars(layer).values():
            if isinstance(value, keras.layers.Layer):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children += [v for v in value if isinstance(v, keras.layers.Layer)]
        todo += children
    return out
