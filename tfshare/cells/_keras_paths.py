"""Keras weights at TF1 paths that ``KerasWeights`` cannot make.

``KerasWeights`` (``tfshare.cells.weights``) creates a cell's weights with
``add_weight`` under the cell's own path, turning the first ``/`` of a local
name into a sub-layer (``gates/kernel``). Two contrib cells need more:

* :class:`NestedKerasWeights`: local names with several groups
  (``CudnnCompatibleGRUCell``'s ``candidate/input_projection/kernel``): the
  weights are made in a sub-layer named after the last group, inside Keras
  name scopes for the others.
* :class:`ScopeKerasWeights`: weights at the current name-scope path rather
  than under the layer's name (``HighwayWrapper``'s ``rnn/carry_w``, next to
  its cell ``rnn/gru_cell/...``): ``keras.Variable`` s made where ``create``
  is called, held in a list attribute of the layer (so Keras tracks them).

A cell picks one in ``_source`` with :func:`choose_keras_source`.
"""
from __future__ import annotations

import contextlib
from typing import Any

import keras

from tfshare import variables as tfvars
from tfshare.cells.weights import KerasWeights, _WeightGroup

__all__: list = []


class NestedKerasWeights(KerasWeights):
    """``KerasWeights`` that also creates ``a/b/name`` weights (any depth)."""

    def create(self, specs: list) -> None:
        super().create([s for s in specs if s.path.count("/") <= 1])
        groups: dict = {}
        for spec in specs:
            if spec.path.count("/") > 1:
                group, leaf = spec.path.rsplit("/", 1)
                groups.setdefault(group, []).append((leaf, spec))
        for group, items in groups.items():
            *outer, last = group.split("/")
            sub = _WeightGroup(name=last, specs=items, dtype=self._layer.dtype_policy)
            setattr(self._layer, "_group_" + group.replace("/", "_"), sub)
            with contextlib.ExitStack() as stack:
                for level in outer:
                    stack.enter_context(keras.name_scope(level))
                sub.build(None)
            for leaf, spec in items:
                self._made[spec.path] = sub.made[leaf]
                self._tree.put(spec.path, sub.made[leaf])


class ScopeKerasWeights(KerasWeights):
    """``KerasWeights`` made as ``keras.Variable`` s at the current path."""

    def create(self, specs: list) -> None:
        made = []
        for spec in specs:
            var = keras.Variable(initializer=keras.initializers.get(spec.keras_initializer()),
                                 shape=tuple(spec.shape), dtype=self._layer.variable_dtype,
                                 trainable=spec.trainable, name=spec.path)
            self._made[spec.path] = var
            self._tree.put(spec.path, var)
            made.append(var)
        setattr(self._layer, "_scope_weights", made)


def choose_keras_source(cell: Any, source_cls: type, scope: Any = None) -> None:
    """Make ``source_cls`` ``cell``'s weight source when the base would choose
    Keras weights (no source yet, no ``scope``, not ``tf1_mode()``)."""
    if cell._weight_source is None and scope is None and not tfvars.tf1_mode():
        cell._weight_source = source_cls(cell, cell._weight_tree)
