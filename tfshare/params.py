"""Parameter counts with and without weight sharing.

Weight sharing is why convolutional and recurrent networks are small: a 5x5
convolution from 1 to 6 channels on a 28x28 image has 5*5*1*6 + 6 = 156
parameters, but applies them at each of the 24*24 = 576 output positions; a
network with a separate set of weights at each position (a locally connected
layer) would need 156 * 576 = 89,856. An RNN applies one kernel at each of its
T time steps; unrolled without sharing it would hold T kernels.

``param_report(obj)`` counts both numbers:

* ``shared``: the parameters that exist (each variable once), which equals
  ``model.count_params()`` for a Keras model;
* ``unshared``: ``sum(size * uses)`` over the variables, where ``uses`` is the
  number of places a variable is applied.

For a Keras model the uses are inferred per layer from its symbolic shapes
(functional and Sequential models with a known input shape):

=====================================  ==========================================
layer                                  uses of each of its weights
=====================================  ==========================================
``Conv1D/2D/3D``, depthwise, separable  output positions ``prod(spatial dims)``
``Conv*Transpose``                     input positions
``RNN`` (any cell), ``LSTM``, ``GRU``,   time steps ``input.shape[1]`` (times the
``SimpleRNN``, ``Bidirectional``        positions of ``Dense``-like rules inside)
``Dense``, ``EinsumDense``              positions ``prod(input.shape[1:-1])``
``Embedding``                          looked-up positions ``prod(input.shape[1:])``
``TimeDistributed``                     ``input.shape[1]`` times the inner rule
anything else                          1
=====================================  ==========================================

times the number of call sites of the layer in the model (a layer called on two
inputs is used twice; every call is assumed to have the first call's shapes), times the uses of the enclosing model when models nest.
A variable held by several layers (tied weights) sums the uses of each.
A ``None`` dimension is replaced by ``steps`` when given; otherwise the layer is
counted once and its row says so. ``uses={scope: n}`` overrides the inferred
count of every variable whose name contains ``scope`` as whole path segments
(``"rnn"`` matches ``rnn/cell/kernel`` and ``model/rnn/cell/kernel``).

For TF1-style variables (a list, a dict, a ``VariableStore`` or anything with a
``variables()`` method) nothing tells how often a variable is used, so every
variable counts once unless ``uses=`` says otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from tfshare import errors as _errors

__all__ = ["param_report", "ParamReport", "ParamRow"]


@dataclass(frozen=True)
class ParamRow:
    """One variable of a :class:`ParamReport`.

    Attributes:
      name: the variable's TF1 name / Keras path (``rnn/basic_lstm_cell/kernel``).
      shape: its static shape.
      size: ``prod(shape)``: parameters it holds (counted once: shared).
      uses: how many places apply it (positions x time steps x call sites).
      trainable: whether it is trainable.
      note: how ``uses`` was found (``"conv: 24x24 positions"``, ``"given"``...).
    """

    name: str
    shape: tuple
    size: int
    uses: int
    trainable: bool = True
    note: str = ""

    @property
    def unshared(self) -> int:
        """Parameters this variable would need without sharing: ``size * uses``."""
        return self.size * self.uses


@dataclass
class ParamReport:
    """Parameter counts of a model or variable set, with and without sharing.

    ``shared`` is the number of parameters that exist; ``unshared`` the number a
    network without weight sharing (one copy per use) would need; ``rows`` holds
    one :class:`ParamRow` per distinct variable, in model order. ``str(report)``
    is a table.
    """

    rows: list = field(default_factory=list)

    @property
    def shared(self) -> int:
        """Parameters that exist (each variable counted once)."""
        return sum(r.size for r in self.rows)

    @property
    def unshared(self) -> int:
        """Parameters without sharing: ``sum(size * uses)``."""
        return sum(r.unshared for r in self.rows)

    @property
    def trainable(self) -> int:
        """Trainable parameters that exist."""
        return sum(r.size for r in self.rows if r.trainable)

    @property
    def ratio(self) -> float:
        """``unshared / shared`` (1.0 for an empty report)."""
        return self.unshared / self.shared if self.shared else 1.0

    def __getitem__(self, name: str) -> ParamRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def as_dict(self) -> dict:
        """Plain-data form: ``{"shared", "unshared", "rows": [...]}``."""
        return {
            "shared": self.shared,
            "unshared": self.unshared,
            "rows": [
                {
                    "name": r.name,
                    "shape": list(r.shape),
                    "size": r.size,
                    "uses": r.uses,
                    "unshared": r.unshared,
                    "trainable": r.trainable,
                    "note": r.note,
                }
                for r in self.rows
            ],
        }

    def __str__(self) -> str:
        head = ("variable", "shape", "params", "uses", "without sharing", "how")
        body = [
            (
                r.name + ("" if r.trainable else " (frozen)"),
                "x".join(str(d) for d in r.shape) or "scalar",
                f"{r.size:,}",
                f"{r.uses:,}",
                f"{r.unshared:,}",
                r.note,
            )
            for r in self.rows
        ]
        total = ("total", "", f"{self.shared:,}", "", f"{self.unshared:,}", f"{self.ratio:,.1f}x")
        table = [head] + body + [total]
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        right = {2, 3, 4}

        def fmt(row):
            cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * w for w in widths)
        lines = [fmt(head), rule] + [fmt(r) for r in body] + [rule, fmt(total)]
        lines.append(
            f"{self.shared:,} parameters with sharing; {self.unshared:,} without "
            f"({self.ratio:,.1f}x)."
        )
        return "\n".join(lines)

    __repr__ = __str__


# --------------------------------------------------------------------------- helpers


def _var_name(v: Any) -> str:
    path = getattr(v, "path", None)
    if isinstance(path, str) and path:
        return path
    name = getattr(v, "name", None)
    if not isinstance(name, str):
        raise TypeError(_errors.bad_argument("model_or_variables", v, "variables with a name"))
    return name[:-2] if name.endswith(":0") else name


def _var_shape(v: Any) -> tuple:
    shape = getattr(v, "shape", None)
    if shape is None:
        raise TypeError(_errors.bad_argument("model_or_variables", v, "variables with a shape"))
    dims = list(shape.as_list()) if hasattr(shape, "as_list") else list(shape)
    return tuple(int(d) for d in dims)


def _var_trainable(v: Any) -> bool:
    return bool(getattr(v, "trainable", True))


def _prod(dims: Iterable[int]) -> int:
    return int(math.prod(int(d) for d in dims))


def _dims(shape: Any, steps: Optional[int]) -> Optional[list]:
    """Non-batch dims of a symbolic shape; ``None`` dims become ``steps``."""
    if shape is None:
        return None
    try:
        dims = list(shape)[1:]
    except TypeError:
        return None
    out = []
    for d in dims:
        if d is None:
            if steps is None:
                return None
            d = steps
        out.append(int(d))
    return out


def _shape_of(layer: Any, attr: str) -> Any:
    try:
        t = getattr(layer, attr)
    except Exception:  # unbuilt, never called, or called on several shapes
        return None
    if isinstance(t, (list, tuple)):
        t = t[0] if t else None
    return getattr(t, "shape", None)


def _layer_rule(layer: Any, in_shape: Any, out_shape: Any, steps: Optional[int]) -> tuple:
    """(uses, note) of ``layer``'s weights for one call with these shapes."""
    import keras

    L = keras.layers
    conv = tuple(
        getattr(L, n)
        for n in ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D",
                  "SeparableConv1D", "SeparableConv2D")
        if hasattr(L, n)
    )
    conv_t = tuple(getattr(L, n) for n in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose") if hasattr(L, n))
    if in_shape is None and out_shape is None:
        unknown = (1, "no symbolic shape: counted once (pass uses=)")
    else:
        unknown = (1, "length unknown: counted once (pass steps=)")

    def spatial(shape):
        dims = _dims(shape, steps)
        if dims is None:
            return None
        if getattr(layer, "data_format", "channels_last") == "channels_first":
            return dims[1:]
        return dims[:-1]

    if conv_t and isinstance(layer, conv_t):
        sp = spatial(in_shape)
        if sp is None:
            return unknown
        return _prod(sp), "conv transpose: " + "x".join(map(str, sp)) + " input positions"
    if conv and isinstance(layer, conv):
        sp = spatial(out_shape)
        if sp is None:
            return unknown
        return _prod(sp), "conv: " + "x".join(map(str, sp)) + " positions"
    if isinstance(layer, L.TimeDistributed):
        dims = _dims(in_shape, steps)
        if dims is None:
            return unknown
        inner_in = (None,) + tuple(dims[1:])
        inner_out = None if out_shape is None else (None,) + tuple(list(out_shape)[2:])
        u, note = _layer_rule(layer.layer, inner_in, inner_out, steps)
        return dims[0] * u, f"{dims[0]} steps" + (f" x {note}" if u > 1 else "")
    if isinstance(layer, (L.RNN, L.Bidirectional)):
        dims = _dims(in_shape, steps)
        if dims is None:
            return unknown
        return dims[0], f"rnn: {dims[0]} steps"
    if isinstance(layer, (L.Dense, L.EinsumDense)):
        dims = _dims(in_shape, steps)
        if dims is None:
            return unknown
        n = _prod(dims[:-1])
        return n, (f"dense: {n} positions" if n > 1 else "")
    if isinstance(layer, L.Embedding):
        dims = _dims(in_shape, steps)
        if dims is None:
            return unknown
        n = _prod(dims)
        return n, f"embedding: {n} lookups"
    return 1, ""


def _call_sites(model: Any) -> dict:
    """Layer name -> number of times the functional ``model`` calls it."""
    try:
        cfg = model.get_config()
    except Exception:
        return {}
    out = {}
    for item in cfg.get("layers", []) if isinstance(cfg, dict) else []:
        if not isinstance(item, dict):
            continue
        name = item.get("config", {}).get("name") or item.get("name")
        nodes = item.get("inbound_nodes")
        if name is not None and isinstance(nodes, list):
            out[name] = len(nodes)
    return out


def _collect_keras(layer: Any, mult: int, note: str, steps: Optional[int], acc: dict, order: list) -> None:
    """Add ``layer``'s variables to ``acc`` (id -> [var, uses, notes])."""
    import keras

    sublayers = list(getattr(layer, "layers", []) or []) if isinstance(layer, keras.Model) else []
    if sublayers:
        sites = _call_sites(layer)
        seen = set()
        for sub in sublayers:
            n_calls = sites.get(sub.name, 1)
            if isinstance(sub, keras.layers.InputLayer) or n_calls == 0:
                n_calls = max(n_calls, 1)
            sub_mult = mult * n_calls
            sub_note = note + (f"{n_calls} calls; " if n_calls > 1 else "")
            if isinstance(sub, keras.Model) and getattr(sub, "layers", None):
                _collect_keras(sub, sub_mult, sub_note, steps, acc, order)
            else:
                u, how = _layer_rule(sub, _shape_of(sub, "input"), _shape_of(sub, "output"), steps)
                for v in sub.weights:
                    _add(acc, order, v, sub_mult * u, (sub_note + how).strip("; "))
            seen.update(id(v) for v in sub.weights)
        # Weights the model holds directly (not through a listed layer).
        for v in layer.weights:
            if id(v) not in seen and id(v) not in acc:
                _add(acc, order, v, mult, note.strip("; "))
        return
    u, how = _layer_rule(layer, _shape_of(layer, "input"), _shape_of(layer, "output"), steps)
    for v in layer.weights:
        _add(acc, order, v, mult * u, (note + how).strip("; "))


def _add(acc: dict, order: list, v: Any, uses: int, note: str) -> None:
    key = id(v)
    if key in acc:
        entry = acc[key]
        entry[1] += uses
        first = entry[2][len("tied: "):] if entry[2].startswith("tied: ") else entry[2]
        entry[2] = "tied: " + (first or "1 use") + " + " + (note or "1 use")
    else:
        acc[key] = [v, uses, note]
        order.append(key)


def _as_variables(obj: Any) -> Optional[list]:
    """(name, variable) pairs for non-Keras inputs, or None."""
    if isinstance(obj, Mapping):
        return [(str(k[:-2] if str(k).endswith(":0") else k), v) for k, v in obj.items()]
    variables = getattr(obj, "variables", None)
    if callable(variables):
        obj = variables()
    elif variables is not None and not isinstance(obj, (list, tuple)):
        obj = variables
    if isinstance(obj, (list, tuple)):
        return [(_var_name(v), v) for v in obj]
    return None


def _given_uses(name: str, uses: Mapping[str, int]) -> Optional[int]:
    """The count for ``name`` from ``uses``: the longest key that is a run of
    whole segments of the name (``rnn`` matches ``rnn/cell/kernel`` and
    ``model/rnn/cell/kernel``)."""
    best = None
    padded = "/" + name + "/"
    for key, n in uses.items():
        k = (key[:-2] if key.endswith(":0") else key).strip("/")
        if k and ("/" + k + "/") in padded:
            if best is None or len(k) > len(best[0]):
                best = (k, n)
    return None if best is None else best[1]


# --------------------------------------------------------------------------- API


def param_report(
    model_or_variables: Any,
    uses: Optional[Mapping[str, int]] = None,
    steps: Optional[int] = None,
    trainable_only: bool = False,
) -> ParamReport:
    """Count a model's parameters with weight sharing and without it.

    Args:
      model_or_variables: a built Keras 3 model or layer (uses inferred per layer,
        see the module docstring), or TF1-style variables: a list/tuple of
        variables, a ``{name: variable}`` dict, a ``tfshare.VariableStore`` or any
        object with a ``variables()`` method (each variable used once unless
        ``uses`` says otherwise).
      uses: ``{scope: n}``: every variable whose name contains ``scope`` as whole
        path segments (a full name, a scope prefix, or a trailing part such as
        ``"filter/w"``) is applied ``n`` times. Overrides the inferred count; the
        longest matching key wins.
      steps: the length to assume for ``None`` (variable) dimensions, e.g. the
        number of time steps of a variable-length RNN input.
      trainable_only: count only trainable variables (frozen layers left out).

    Returns:
      A :class:`ParamReport`: ``.shared`` (= ``model.count_params()``),
      ``.unshared`` (``sum(size * uses)``), ``.rows`` (one :class:`ParamRow` per
      distinct variable), ``.ratio``; ``print(report)`` shows a table.

    Example: ``Conv2D(6, 5)`` on 28x28x1 gives ``shared == 156`` and
    ``unshared == 156 * 24 * 24 == 89856``.
    """
    if uses is not None and not isinstance(uses, Mapping):
        raise TypeError(_errors.bad_argument("uses", uses, "a mapping {variable name or scope: count}"))
    for k, n in (uses or {}).items():
        if not isinstance(k, str) or isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(_errors.bad_argument("uses", dict(uses), "a mapping {str: non-negative int}"))
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(_errors.bad_argument("steps", steps, "a positive integer or None"))

    import keras

    entries: list = []  # (name, variable, uses, note)
    if isinstance(model_or_variables, keras.layers.Layer):
        if not model_or_variables.built and not model_or_variables.weights:
            raise ValueError(
                _errors.bad_argument("model_or_variables", model_or_variables, "a built Keras model or layer")
            )
        acc: dict = {}
        order: list = []
        _collect_keras(model_or_variables, 1, "", steps, acc, order)
        for key in order:
            v, n, note = acc[key]
            entries.append((_var_name(v), v, n, note))
    else:
        pairs = _as_variables(model_or_variables)
        if pairs is None:
            raise TypeError(
                _errors.bad_argument(
                    "model_or_variables",
                    model_or_variables,
                    "a Keras model/layer, a list or dict of variables, or a VariableStore",
                )
            )
        seen = set()
        for name, v in pairs:
            if id(v) in seen:
                continue
            seen.add(id(v))
            entries.append((name, v, 1, ""))

    rows = []
    for name, v, n, note in entries:
        trainable = _var_trainable(v)
        if trainable_only and not trainable:
            continue
        given = _given_uses(name, uses or {})
        if given is not None:
            n, note = given, "given"
        shape = _var_shape(v)
        rows.append(ParamRow(name=name, shape=shape, size=_prod(shape), uses=int(n), trainable=trainable, note=note))
    return ParamReport(rows=rows)
