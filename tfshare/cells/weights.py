"""Where a cell's weights come from: one of two sources, chosen at its first use.

A cell declares its weights once, as a list of :class:`WeightSpec` (TF1 local
name, shape, initializer), and its step reads them as a dict ``{local name:
tensor}``. The dict comes from the cell's *weight source*, chosen once -- at the
cell's first call, first ``build`` or first fast-path run -- and never changed:

* :class:`KerasWeights` (Keras mode: inside ``keras.layers.RNN`` or a model, or
  a direct call outside any tfshare variable scope). ``build()`` creates Keras
  weights; a ``/`` in a local name becomes a sub-layer, so the weight paths are
  TF1's full names (``rnn/gru_cell/gates/kernel``).
* :class:`TF1Weights` (TF1 mode: ``tfshare.variables.tf1_mode()`` is True at the
  first call, or ``scope=`` is given). The first call opens the cell's variable
  scope (``scope`` exactly, else ``<name or snake_case class name>`` uniquified
  as TF1 does) and captures it; later calls re-enter it with ``reuse=True``.
  Each weight is ``tfshare.get_variable(<local name>, shape, dtype=<input
  dtype>, initializer=...)`` there.

Either way every weight is also a child of the cell in TF's object graph (under
``<local name>``, one level per ``/``), so ``tf.train.Checkpoint``,
``tf.train.CheckpointManager`` and ``tf.saved_model.save`` save and restore it.
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Iterator

import keras
import tensorflow as tf

from tfshare import variables as tfvars
from tfshare.cells._args import tf1_initializer

__all__ = ["WeightSpec", "KerasWeights", "TF1Weights"]


@dataclasses.dataclass(frozen=True)
class WeightSpec:
    """One TF1 variable of a cell.

    Attributes:
      path: the TF1 local name (``kernel``, ``gates/kernel``,
        ``projection/kernel``, ``w_f_diag``).
      shape: its shape.
      initializer: its initializer; ``None`` means the variable scope's
        initializer (TF1 mode), else ``default``.
      trainable: whether it is trainable.
      default: the initializer when ``initializer`` is ``None`` and no scope
        gives one; ``None`` means glorot-uniform.
    """

    path: str
    shape: tuple
    initializer: Any = None
    trainable: bool = True
    default: Any = None

    def keras_initializer(self) -> Any:
        """The initializer in Keras mode (no variable scope there)."""
        for init in (self.initializer, self.default):
            if init is not None:
                return init
        return "glorot_uniform"

    def tf1_initializer(self) -> Any:
        """The ``initializer=`` of its ``get_variable`` in the current scope."""
        if self.initializer is None and (self.default is None
                                         or tfvars.get_variable_scope().initializer is not None):
            return None  # get_variable: the scope's initializer, else glorot-uniform
        return tf1_initializer(self.keras_initializer())


class WeightTree(tf.Module):
    """A cell's weights as children in TF's object graph, by TF1 local name
    (``gates/kernel`` is ``gates.kernel``)."""

    def __init__(self):
        super().__init__(name="weights")

    def put(self, path: str, variable: Any) -> None:
        node = self
        *groups, leaf = path.split("/")
        for group in groups:
            child = node.__dict__.get(group)
            if child is None:
                child = WeightTree()
                setattr(node, group, child)
            node = child
        if node.__dict__.get(leaf) is not variable:
            setattr(node, leaf, variable)


class _WeightGroup(keras.layers.Layer):
    """A sub-layer giving its weights one more path level (``gates``,
    ``candidate``, ``projection``); built by :class:`KerasWeights`."""

    def __init__(self, name: str, specs: tuple = (), **kwargs):
        super().__init__(name=name, **kwargs)
        object.__setattr__(self, "_specs", tuple(specs))
        object.__setattr__(self, "made", {})

    def build(self, input_shape=None):
        for local, spec in self._specs:
            self.made[local] = self.add_weight(shape=tuple(spec.shape), name=local,
                                               initializer=spec.keras_initializer(),
                                               trainable=spec.trainable)


def unique(variables) -> list:
    """``variables`` without repeats (by identity), in order."""
    out: list = []
    for v in variables:
        if not any(v is o for o in out):
            out.append(v)
    return out


class KerasWeights:
    """Keras mode: the cell's weights are Keras weights made in ``build()``."""

    tf1 = False
    variables: tuple = ()  # Keras tracks them as the layer's own weights

    def __init__(self, layer: keras.layers.Layer, tree: WeightTree):
        self._layer = layer
        self._tree = tree
        self._made: dict = {}

    def create(self, specs: list) -> None:
        """Create the weights of ``specs`` on the layer (inside ``build``)."""
        groups: dict = {}
        for spec in specs:
            if "/" in spec.path:
                group, local = spec.path.split("/", 1)
                groups.setdefault(group, []).append((local, spec))
                continue
            self._made[spec.path] = self._layer.add_weight(
                shape=tuple(spec.shape), initializer=spec.keras_initializer(),
                trainable=spec.trainable, name=spec.path)
        for group, items in groups.items():
            sub = _WeightGroup(name=group, specs=items, dtype=self._layer.dtype_policy)
            setattr(self._layer, "_group_" + group, sub)
            sub.build(None)
            for local, spec in items:
                self._made[spec.path] = sub.made[local]
        for path, var in self._made.items():
            self._tree.put(path, var)

    def has(self, specs: list) -> bool:
        return all(s.path in self._made for s in specs)

    def get(self, specs: list, dtype: Any = None) -> dict:
        """``{local name: value}`` of the built weights (``dtype`` is the variables')."""
        del dtype
        return {s.path: self._made[s.path].value for s in specs}

    def child_scope(self, name: str) -> contextlib.AbstractContextManager:
        """No variable scopes in Keras mode (paths come from ``build``)."""
        del name
        return contextlib.nullcontext()


class TF1Weights:
    """TF1 mode: ``get_variable`` in the variable scope captured at the first call."""

    tf1 = True

    def __init__(self, layer: Any, tree: WeightTree):
        self._layer = layer
        self._tree = tree
        self.scope = None  # the captured VariableScope
        self.called = False  # whether the cell was called (not only read) in TF1 mode
        self.variables: list = []

    @contextlib.contextmanager
    def entered(self, scope: Any = None) -> Iterator[Any]:
        """Enter the cell's scope: the captured one with ``reuse=True``, else
        (first call) the cell's ``_first_scope(scope)``, captured."""
        if self.scope is not None:
            with tfvars.variable_scope(self.scope, reuse=True) as vs:
                yield vs
            return
        with self._layer._first_scope(scope) as vs:
            self.scope = vs
            yield vs

    def track(self, variables) -> None:
        """Count ``variables`` among the cell's own (in first-use order)."""
        for var in variables:
            if not any(var is v for v in self.variables):
                self.variables.append(var)
                name = var.name.split(":")[0]
                prefix = self.scope.name + "/" if self.scope is not None else ""
                self._tree.put(name[len(prefix):] if name.startswith(prefix) else name, var)

    def get(self, specs: list, dtype: Any) -> dict:
        """``get_variable`` every spec in the current scope, in order."""
        out = {}
        for spec in specs:
            var = tfvars.get_variable(spec.path, shape=list(spec.shape), dtype=dtype,
                                      initializer=spec.tf1_initializer(),
                                      trainable=spec.trainable)
            self.track([var])
            out[spec.path] = var.value if isinstance(var, keras.Variable) else var
        return out

    @staticmethod
    def child_scope(name: str) -> contextlib.AbstractContextManager:
        """A sub-scope (``MultiRNNCell``'s ``cell_<k>``)."""
        return tfvars.variable_scope(name)
