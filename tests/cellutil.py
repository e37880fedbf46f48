"""Shared helpers for the TF1 cell tests (fixtures, oracle, numpy reference).

A cell *spec* is a JSON-able dict naming a TF1 cell class and its constructor
arguments, e.g. ``{"type": "LSTMCell", "num_units": 4, "use_peepholes": True}``;
wrappers and ``MultiRNNCell`` nest specs (``"cell"``, ``"cells"``). The same
``build_cell`` turns a spec into a legacy TF1 cell (inside the oracle, whose
namespace is ``tf.compat.v1.nn.rnn_cell``) or into a tfshare cell (namespace
``tfshare``), so both sides are constructed from one description.

A *run* calls the cell directly in a Python loop over ``T`` steps, starting
from a non-zero initial state, with every weight set by its TF1 full name from
a fixed numpy generator (uniform(-0.5, 0.5): asymmetric, non-saturating).

State structures are described as JSON:
``{"kind": "tensor", "size": n}``, ``{"kind": "lstm", "c": {...}, "h": {...}}``,
``{"kind": "tuple", "items": [...]}``; states travel as their flat list of
leaves (``tf.nest.flatten`` order: c before h, sub-cells in order).

The numpy reference (``np_run``) is written from the equations of
the equations of docs/cells.md §4, in float64, and shares no code
with tfshare or TensorFlow.
"""
from __future__ import annotations

import collections
import inspect
import json
import os
import textwrap

import numpy as np

FIXTURE_DIR = os.path.join(os.path.dirname(__file__), "fixtures", "cells")

T, BATCH, DEPTH, UNITS, PROJ = 4, 3, 5, 4, 3

#: Seed of the committed fixtures (make_cell_fixtures.py).
FIXTURE_SEED = 20170412

# --------------------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------------------


def _cfg(name: str, cell: dict, depth: int = DEPTH, note: str = "") -> dict:
    return {"name": name, "cell": cell, "T": T, "batch": BATCH, "input_depth": depth,
            "note": note}


def _lstm(**kw) -> dict:
    return dict({"type": "LSTMCell", "num_units": UNITS}, **kw)


CELL_CLIP, PROJ_CLIP = 0.3, 0.05

#: Every configuration the fixtures cover (the golden files are named after ``name``).
CONFIGS: list[dict] = [
    _cfg("basic_rnn_tanh", {"type": "BasicRNNCell", "num_units": UNITS}),
    _cfg("basic_rnn_relu", {"type": "BasicRNNCell", "num_units": UNITS, "activation": "relu"}),
    _cfg("basic_lstm_fb1", {"type": "BasicLSTMCell", "num_units": UNITS}),
    _cfg("basic_lstm_fb0", {"type": "BasicLSTMCell", "num_units": UNITS, "forget_bias": 0.0}),
    _cfg("basic_lstm_flat", {"type": "BasicLSTMCell", "num_units": UNITS, "state_is_tuple": False}),
    _cfg("basic_lstm_fb0_flat", {"type": "BasicLSTMCell", "num_units": UNITS, "forget_bias": 0.0,
                                 "state_is_tuple": False}),
    _cfg("lstm_plain", _lstm()),
    _cfg("lstm_peep", _lstm(use_peepholes=True)),
    _cfg("lstm_cell_clip", _lstm(cell_clip=CELL_CLIP)),
    _cfg("lstm_proj", _lstm(num_proj=PROJ)),
    _cfg("lstm_proj_clip", _lstm(num_proj=PROJ, proj_clip=PROJ_CLIP)),
    _cfg("lstm_all", _lstm(use_peepholes=True, cell_clip=CELL_CLIP, num_proj=PROJ,
                           proj_clip=PROJ_CLIP, forget_bias=0.5)),
    _cfg("lstm_flat", _lstm(state_is_tuple=False)),
    _cfg("lstm_all_flat", _lstm(use_peepholes=True, cell_clip=CELL_CLIP, num_proj=PROJ,
                                proj_clip=PROJ_CLIP, state_is_tuple=False)),
    _cfg("lstm_fb_0_25", _lstm(forget_bias=0.25)),
    _cfg("lstm_relu", _lstm(activation="relu")),
    _cfg("gru", {"type": "GRUCell", "num_units": UNITS}),
    _cfg("gru_relu", {"type": "GRUCell", "num_units": UNITS, "activation": "relu"}),
    _cfg("multi_lstm_gru", {"type": "MultiRNNCell", "cells": [
        _lstm(), {"type": "GRUCell", "num_units": UNITS}]}),
    _cfg("multi_proj_lstm_gru", {"type": "MultiRNNCell", "cells": [
        _lstm(num_proj=PROJ, use_peepholes=True), {"type": "GRUCell", "num_units": UNITS},
        {"type": "BasicLSTMCell", "num_units": UNITS}]}),
    _cfg("multi_lstm_lstm", {"type": "MultiRNNCell", "cells": [_lstm(), _lstm(use_peepholes=True)]},
         note="two cells of one class: both are cell_i/lstm_cell in TF1"),
    _cfg("multi_flat", {"type": "MultiRNNCell", "state_is_tuple": False, "cells": [
        _lstm(state_is_tuple=False), {"type": "GRUCell", "num_units": UNITS},
        {"type": "BasicLSTMCell", "num_units": UNITS, "state_is_tuple": False}]}),
    _cfg("dropout_keep1", {"type": "DropoutWrapper", "cell": _lstm(use_peepholes=True),
                           "input_keep_prob": 1.0, "output_keep_prob": 1.0,
                           "state_keep_prob": 1.0}),
    _cfg("dropout_variational_lstm", {
        "type": "DropoutWrapper", "cell": _lstm(num_proj=PROJ), "input_keep_prob": 0.7,
        "output_keep_prob": 0.8, "state_keep_prob": 0.6, "variational_recurrent": True,
        "input_size": DEPTH, "dtype": "float32", "seed": 42}),
    _cfg("dropout_variational_gru", {
        "type": "DropoutWrapper", "cell": {"type": "GRUCell", "num_units": UNITS},
        "input_keep_prob": 0.5, "output_keep_prob": 0.75, "state_keep_prob": 0.5,
        "variational_recurrent": True, "input_size": DEPTH, "dtype": "float32", "seed": 3}),
    _cfg("dropout_variational_multi", {
        "type": "DropoutWrapper", "cell": {"type": "MultiRNNCell", "cells": [
            _lstm(), {"type": "GRUCell", "num_units": UNITS}]},
        "input_keep_prob": 1.0, "output_keep_prob": 0.6, "state_keep_prob": 0.7,
        "variational_recurrent": True, "dtype": "float32", "seed": 11}),
    _cfg("residual_lstm", {"type": "ResidualWrapper", "cell": _lstm()}, depth=UNITS),
    _cfg("residual_gru", {"type": "ResidualWrapper", "cell": {"type": "GRUCell", "num_units": UNITS}},
         depth=UNITS),
    _cfg("multi_residual_dropout", {"type": "MultiRNNCell", "cells": [
        {"type": "DropoutWrapper", "cell": _lstm(), "output_keep_prob": 1.0},
        {"type": "ResidualWrapper", "cell": {"type": "GRUCell", "num_units": UNITS}}]}),
]

CONFIG_BY_NAME = {c["name"]: c for c in CONFIGS}

# --------------------------------------------------------------------------------------
# Construction and state structure: self-contained functions, also shipped (as source)
# to the oracle subprocess, so both sides build cells from the same spec.
# --------------------------------------------------------------------------------------


def build_cell(ns, spec, dtype):
    """Build the cell ``spec`` from namespace ``ns`` (``tf.compat.v1.nn.rnn_cell`` or
    ``tfshare``); ``dtype`` is the dtype object for ``DropoutWrapper(dtype=...)``."""
    spec = dict(spec)
    kind = spec.pop("type")
    if kind == "MultiRNNCell":
        cells = [build_cell(ns, s, dtype) for s in spec.pop("cells")]
        return ns.MultiRNNCell(cells, **spec)
    if kind in ("DropoutWrapper", "ResidualWrapper"):
        inner = build_cell(ns, spec.pop("cell"), dtype)
        if "dtype" in spec:
            spec["dtype"] = dtype
        return getattr(ns, kind)(inner, **spec)
    return getattr(ns, kind)(**spec)


def describe_state(size):
    """JSON description of a ``state_size`` structure."""
    if isinstance(size, (tuple, list)) and getattr(size, "_fields", None) == ("c", "h"):
        return {"kind": "lstm", "c": describe_state(size[0]), "h": describe_state(size[1])}
    if isinstance(size, (tuple, list)):
        return {"kind": "tuple", "items": [describe_state(s) for s in size]}
    return {"kind": "tensor", "size": int(size)}


def leaf_sizes(desc):
    """Flat list of the leaf sizes of a described structure (``tf.nest`` order)."""
    if desc["kind"] == "tensor":
        return [desc["size"]]
    if desc["kind"] == "lstm":
        return leaf_sizes(desc["c"]) + leaf_sizes(desc["h"])
    return [n for item in desc["items"] for n in leaf_sizes(item)]


def assemble_state(desc, leaves, lstm_tuple):
    """Nest the flat ``leaves`` into the described structure (``lstm_tuple`` is the
    LSTMStateTuple class to use)."""
    leaves = list(leaves)

    def take(d):
        if d["kind"] == "tensor":
            return leaves.pop(0)
        if d["kind"] == "lstm":
            c = take(d["c"])
            return lstm_tuple(c, take(d["h"]))
        return tuple(take(item) for item in d["items"])

    out = take(desc)
    assert not leaves
    return out


def _oracle_run_configs(configs, seed, OUT):
    """Oracle side: run every config on the legacy TF1 cells; fill ``OUT``."""
    import zlib

    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    rc = v1.nn.rnn_cell
    OUT["json:tf_version"] = tf.__version__
    for cfg in configs:
        name = cfg["name"]
        rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
        steps, batch, depth = cfg["T"], cfg["batch"], cfg["input_depth"]
        x = rng.uniform(-1.0, 1.0, (steps, batch, depth)).astype(np.float32)
        graph = tf.Graph()
        with graph.as_default():
            cell = build_cell(rc, cfg["cell"], tf.float32)
            desc = describe_state(cell.state_size)
            init = [rng.uniform(-0.5, 0.5, (batch, n)).astype(np.float32) for n in leaf_sizes(desc)]
            state = assemble_state(desc, [tf.constant(a) for a in init], rc.LSTMStateTuple)
            outs, states = [], []
            for t in range(steps):
                out, state = cell(tf.constant(x[t]), state)
                outs.append(out)
                states.append(tf.nest.flatten(state))
            noise = {}
            for kind in ("input", "state", "output"):
                n = getattr(cell, "_recurrent_%s_noise" % kind, None)
                if n is not None:
                    noise[kind] = tf.nest.flatten(n)
            variables = sorted(v1.global_variables(), key=lambda v: v.op.name)
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                weights = {}
                for v in variables:
                    w = rng.uniform(-0.5, 0.5, v.shape.as_list()).astype(np.float32)
                    v.load(w, sess)
                    weights[v.op.name] = w
                res = sess.run({"outs": outs, "states": states, "noise": noise})
        OUT[name + ".x"] = x
        for k, a in enumerate(init):
            OUT[name + ".init.%d" % k] = a
        for wname, w in weights.items():
            OUT[name + ".w." + wname] = w
        for t in range(steps):
            OUT[name + ".out.%d" % t] = res["outs"][t]
            for k, a in enumerate(res["states"][t]):
                OUT[name + ".state.%d.%d" % (t, k)] = a
        for kind, arrays in res["noise"].items():
            for k, a in enumerate(arrays):
                OUT[name + ".noise.%s.%d" % (kind, k)] = a
        OUT["json:" + name] = {"state": desc, "weights": sorted(weights),
                               "output_size": int(np.asarray(res["outs"][0]).shape[-1]),
                               "noise": {k: len(v) for k, v in res["noise"].items()}}


def oracle_code(*runs: tuple[list[dict], int]) -> str:
    """Source for ``run_oracle`` running each ``(configs, seed)`` of ``runs`` (config
    names must be distinct across runs) and filling ``OUT``."""
    funcs = [build_cell, describe_state, leaf_sizes, assemble_state, _oracle_run_configs]
    src = "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in funcs)
    for configs, seed in runs:
        src += f"\n_oracle_run_configs(json.loads({json.dumps(configs)!r}), {int(seed)}, OUT)\n"
    return src


def split_oracle_out(out: dict, configs: list[dict]) -> dict[str, dict]:
    """Turn ``run_oracle``'s flat OUT into one record per config (see ``load_fixture``)."""
    recs = {}
    for cfg in configs:
        name = cfg["name"]
        meta = out["json:" + name]
        steps = cfg["T"]
        nleaves = len(leaf_sizes(meta["state"]))
        rec = {
            "config": cfg,
            "meta": meta,
            "x": out[name + ".x"],
            "init": [out[f"{name}.init.{k}"] for k in range(nleaves)],
            "weights": {w: out[f"{name}.w.{w}"] for w in meta["weights"]},
            "outs": [out[f"{name}.out.{t}"] for t in range(steps)],
            "states": [[out[f"{name}.state.{t}.{k}"] for k in range(nleaves)]
                       for t in range(steps)],
            "noise": {kind: [out[f"{name}.noise.{kind}.{k}"] for k in range(n)]
                      for kind, n in meta["noise"].items()},
        }
        recs[name] = rec
    return recs


# --------------------------------------------------------------------------------------
# Fixture files
# --------------------------------------------------------------------------------------


def save_fixture(rec: dict, directory: str = FIXTURE_DIR) -> None:
    """Write one record as ``<name>.npz`` (float32 arrays) + ``<name>.json``."""
    name = rec["config"]["name"]
    arrays = {"x": rec["x"]}
    for k, a in enumerate(rec["init"]):
        arrays[f"init_{k}"] = a
    for i, wname in enumerate(rec["meta"]["weights"]):
        arrays[f"w_{i}"] = rec["weights"][wname]
    for t, o in enumerate(rec["outs"]):
        arrays[f"out_{t}"] = o
        for k, a in enumerate(rec["states"][t]):
            arrays[f"state_{t}_{k}"] = a
    for kind, lst in rec["noise"].items():
        for k, a in enumerate(lst):
            arrays[f"noise_{kind}_{k}"] = a
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    np.savez_compressed(os.path.join(directory, name + ".npz"), **arrays)
    with open(os.path.join(directory, name + ".json"), "w") as f:
        json.dump({"config": rec["config"], "meta": rec["meta"],
                   "generator": rec.get("generator", {})}, f, indent=1, sort_keys=True)
        f.write("\n")


def load_fixture(name: str, directory: str = FIXTURE_DIR) -> dict:
    """Read the record written by ``save_fixture``."""
    with open(os.path.join(directory, name + ".json")) as f:
        head = json.load(f)
    data = np.load(os.path.join(directory, name + ".npz"))
    cfg, meta = head["config"], head["meta"]
    nleaves = len(leaf_sizes(meta["state"]))
    return {
        "config": cfg,
        "meta": meta,
        "generator": head.get("generator", {}),
        "x": data["x"],
        "init": [data[f"init_{k}"] for k in range(nleaves)],
        "weights": {w: data[f"w_{i}"] for i, w in enumerate(meta["weights"])},
        "outs": [data[f"out_{t}"] for t in range(cfg["T"])],
        "states": [[data[f"state_{t}_{k}"] for k in range(nleaves)] for t in range(cfg["T"])],
        "noise": {kind: [data[f"noise_{kind}_{k}"] for k in range(n)]
                  for kind, n in meta["noise"].items()},
    }


def fixture_names(directory: str = FIXTURE_DIR) -> list[str]:
    return sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".json"))


# --------------------------------------------------------------------------------------
# Independent numpy reference (float64), from TF1's equations (the cells' docstrings)
# --------------------------------------------------------------------------------------

NPState = collections.namedtuple("NPState", ["c", "h"])


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


_ACTS = {None: np.tanh, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": _sigmoid}

_DEFAULT_SCOPES = {"BasicRNNCell": "basic_rnn_cell", "BasicLSTMCell": "basic_lstm_cell",
                   "LSTMCell": "lstm_cell", "GRUCell": "gru_cell", "MultiRNNCell": "multi_rnn_cell"}


def cell_scope(spec: dict) -> str:
    """TF1 default scope of a cell (wrappers add no level, docs/cells.md §1)."""
    if spec["type"] in ("DropoutWrapper", "ResidualWrapper"):
        return cell_scope(spec["cell"])
    return _DEFAULT_SCOPES[spec["type"]]


def np_state_desc(spec: dict) -> dict:
    """The state structure of ``spec`` per the spec's ``state_size`` rules."""
    kind = spec["type"]
    units = spec.get("num_units")
    if kind in ("BasicRNNCell", "GRUCell"):
        return {"kind": "tensor", "size": units}
    if kind in ("BasicLSTMCell", "LSTMCell"):
        h = spec.get("num_proj") or units
        if spec.get("state_is_tuple", True):
            return {"kind": "lstm", "c": {"kind": "tensor", "size": units},
                    "h": {"kind": "tensor", "size": h}}
        return {"kind": "tensor", "size": units + h}
    if kind == "MultiRNNCell":
        subs = [np_state_desc(s) for s in spec["cells"]]
        if spec.get("state_is_tuple", True):
            return {"kind": "tuple", "items": subs}
        return {"kind": "tensor", "size": sum(sum(leaf_sizes(s)) for s in subs)}
    return np_state_desc(spec["cell"])


def np_output_size(spec: dict) -> int:
    kind = spec["type"]
    if kind == "MultiRNNCell":
        return np_output_size(spec["cells"][-1])
    if kind in ("DropoutWrapper", "ResidualWrapper"):
        return np_output_size(spec["cell"])
    return spec.get("num_proj") or spec["num_units"]


def np_step(spec: dict, W: dict, prefix: str, x, state, noise=None, trace=None):
    """One step of ``spec`` in numpy. ``W`` maps TF1 full names to arrays, ``prefix``
    is the enclosing scope (``""`` or ``"multi_rnn_cell/cell_0/"``), ``state`` is nested
    (``NPState`` for LSTMStateTuple). ``noise`` holds the DropoutWrapper's variational
    noise lists (keys input/state/output). ``trace`` (a dict) collects pre-clip values."""
    kind = spec["type"]
    x = np.asarray(x, np.float64)
    if kind in ("DropoutWrapper", "ResidualWrapper"):
        if kind == "ResidualWrapper":
            out, new = np_step(spec["cell"], W, prefix, x, state, trace=trace)
            return x + out, new
        return _np_dropout_step(spec, W, prefix, x, state, noise, trace)
    if kind == "MultiRNNCell":
        tuple_state = spec.get("state_is_tuple", True)
        if not tuple_state:
            subs, start = [], 0
            for s in spec["cells"]:
                n = sum(leaf_sizes(np_state_desc(s)))
                subs.append(state[:, start:start + n])
                start += n
            state = subs
        new_states, cur = [], x
        for i, sub in enumerate(spec["cells"]):
            cur, ns = np_step(sub, W, f"{prefix}multi_rnn_cell/cell_{i}/", cur, state[i], trace=trace)
            new_states.append(ns)
        if tuple_state:
            return cur, tuple(new_states)
        return cur, np.concatenate(new_states, axis=1)
    p = prefix + _DEFAULT_SCOPES[kind] + "/"
    act = _ACTS[spec.get("activation")]
    units = spec["num_units"]
    if kind == "BasicRNNCell":
        h = act(np.concatenate([x, state], 1) @ W[p + "kernel"] + W[p + "bias"])
        return h, h
    if kind == "GRUCell":
        xh = np.concatenate([x, state], 1)
        gates = _sigmoid(xh @ W[p + "gates/kernel"] + W[p + "gates/bias"])
        r, u = gates[:, :units], gates[:, units:]
        cand = act(np.concatenate([x, r * state], 1) @ W[p + "candidate/kernel"]
                   + W[p + "candidate/bias"])
        h = u * state + (1.0 - u) * cand
        return h, h
    # LSTMs
    fb = spec.get("forget_bias", 1.0)
    tuple_state = spec.get("state_is_tuple", True)
    if tuple_state:
        c_prev, h_prev = state
    else:
        c_prev, h_prev = state[:, :units], state[:, units:]
    z = np.concatenate([x, h_prev], 1) @ W[p + "kernel"] + W[p + "bias"]
    i, j, f, o = (z[:, k * units:(k + 1) * units] for k in range(4))
    if kind == "BasicLSTMCell":
        c = c_prev * _sigmoid(f + fb) + _sigmoid(i) * act(j)
        h = act(c) * _sigmoid(o)
    else:
        peep = spec.get("use_peepholes", False)
        if peep:
            c = (_sigmoid(f + fb + W[p + "w_f_diag"] * c_prev) * c_prev
                 + _sigmoid(i + W[p + "w_i_diag"] * c_prev) * act(j))
        else:
            c = _sigmoid(f + fb) * c_prev + _sigmoid(i) * act(j)
        clip = spec.get("cell_clip")
        if clip is not None:
            if trace is not None:
                trace.setdefault("c_preclip", []).append(c)
            c = np.clip(c, -clip, clip)
        if peep:
            h = _sigmoid(o + W[p + "w_o_diag"] * c) * act(c)
        else:
            h = _sigmoid(o) * act(c)
        if spec.get("num_proj"):
            h = h @ W[p + "projection/kernel"]
            pclip = spec.get("proj_clip")
            if pclip is not None:
                if trace is not None:
                    trace.setdefault("m_preclip", []).append(h)
                h = np.clip(h, -pclip, pclip)
    if tuple_state:
        return h, NPState(c, h)
    return h, np.concatenate([c, h], 1)


def _np_filter_mask(desc):
    """Per-leaf booleans of the default state filter: never drop LSTMStateTuple.c."""
    if desc["kind"] == "tensor":
        return [True]
    if desc["kind"] == "lstm":
        return [False] * len(leaf_sizes(desc["c"])) + [True] * len(leaf_sizes(desc["h"]))
    return [b for item in desc["items"] for b in _np_filter_mask(item)]


def _np_variational(v, noise, keep):
    mask = np.floor(np.float32(keep) + np.asarray(noise, np.float32)).astype(np.float64)
    return v / keep * mask


def _np_dropout_step(spec, W, prefix, x, state, noise, trace):
    """DropoutWrapper (docs/cells.md §4): input, cell, state (filtered), output; variational masks
    are ``floor(keep + noise)``; a keep of exactly 1.0 is the identity."""
    ik = spec.get("input_keep_prob", 1.0)
    sk = spec.get("state_keep_prob", 1.0)
    ok = spec.get("output_keep_prob", 1.0)
    variational = spec.get("variational_recurrent", False)
    if not variational and (ik < 1 or sk < 1 or ok < 1):
        raise ValueError("the numpy reference replays only variational (fixed-mask) dropout")
    if ik < 1:
        x = _np_variational(x, noise["input"][0], ik)
    out, new = np_step(spec["cell"], W, prefix, x, state, trace=trace)
    if sk < 1:
        desc = np_state_desc(spec["cell"])
        leaves = flatten_np(new)
        drop = _np_filter_mask(desc)
        leaves = [_np_variational(v, n, sk) if d else v
                  for v, n, d in zip(leaves, noise["state"], drop, strict=True)]
        new = assemble_state(desc, leaves, NPState)
    if ok < 1:
        out = _np_variational(out, noise["output"][0], ok)
    return out, new


def flatten_np(state) -> list:
    """Flat leaves of a nested numpy state (c before h)."""
    if isinstance(state, (tuple, list)):
        return [leaf for s in state for leaf in flatten_np(s)]
    return [state]


def np_run(spec: dict, W: dict, x, init_leaves, noise=None, trace=None):
    """Run ``spec`` over ``x`` ([T, B, D]) from the flat ``init_leaves``.
    Returns (outputs per step, flat state leaves per step)."""
    desc = np_state_desc(spec)
    state = assemble_state(desc, [np.asarray(a, np.float64) for a in init_leaves], NPState)
    outs, states = [], []
    for t in range(len(x)):
        out, state = np_step(spec, W, "", x[t], state, noise=noise, trace=trace)
        outs.append(out)
        states.append(flatten_np(state))
    return outs, states


def random_weights(spec: dict, input_depth: int, rng, scale: float = 0.5) -> dict:
    """Random weights for ``spec``, keyed by TF1 full name (direct call, no outer scope)."""
    W = {}

    def visit(s, prefix, depth):
        kind = s["type"]
        if kind in ("DropoutWrapper", "ResidualWrapper"):
            return visit(s["cell"], prefix, depth)
        if kind == "MultiRNNCell":
            for i, sub in enumerate(s["cells"]):
                depth = visit(sub, f"{prefix}multi_rnn_cell/cell_{i}/", depth)
            return depth
        p = prefix + _DEFAULT_SCOPES[kind] + "/"
        u = s["num_units"]
        h = s.get("num_proj") or u
        shapes = {}
        if kind == "BasicRNNCell":
            shapes = {"kernel": (depth + u, u), "bias": (u,)}
        elif kind == "GRUCell":
            shapes = {"gates/kernel": (depth + u, 2 * u), "gates/bias": (2 * u,),
                      "candidate/kernel": (depth + u, u), "candidate/bias": (u,)}
        else:
            shapes = {"kernel": (depth + h, 4 * u), "bias": (4 * u,)}
            if s.get("use_peepholes"):
                shapes.update({"w_f_diag": (u,), "w_i_diag": (u,), "w_o_diag": (u,)})
            if s.get("num_proj"):
                shapes["projection/kernel"] = (u, h)
        for k in sorted(shapes):
            W[p + k] = rng.uniform(-scale, scale, shapes[k]).astype(np.float32)
        return h

    visit(spec, "", input_depth)
    return W


# --------------------------------------------------------------------------------------
# Running tfshare cells
# --------------------------------------------------------------------------------------


def tfshare_available(*names: str) -> bool:
    try:
        import tfshare
    except Exception:  # pragma: no cover - the package is installed editable
        return False
    return all(hasattr(tfshare, n) for n in names)


def spec_classes(spec: dict) -> list[str]:
    names = [spec["type"]]
    for key in ("cell",):
        if key in spec:
            names += spec_classes(spec[key])
    for s in spec.get("cells", []):
        names += spec_classes(s)
    return names + ["LSTMStateTuple"]


def assign_by_suffix(variables, weights: dict) -> dict:
    """Assign ``weights`` (TF1 full name -> array) to ``variables`` whose path (or name
    without ``:0``) equals the TF1 name or ends with ``/`` + it. Every weight must match
    exactly one variable and every variable exactly one weight. Returns name -> variable."""
    def vname(v):
        n = getattr(v, "path", None) or v.name
        return n[:-2] if n.endswith(":0") else n

    paths = {vname(v): v for v in variables}
    matched = {}
    for tf1 in weights:
        hits = [p for p in paths if p == tf1 or p.endswith("/" + tf1)]
        if len(hits) != 1:
            raise AssertionError(f"TF1 weight {tf1!r} matches {hits} among {sorted(paths)}")
        matched[tf1] = paths[hits[0]]
    if len(matched) != len(paths) or len({id(v) for v in matched.values()}) != len(paths):
        raise AssertionError(f"weights {sorted(weights)} vs variables {sorted(paths)}")
    for tf1, v in matched.items():
        want = tuple(np.shape(weights[tf1]))
        have = tuple(int(d) for d in v.shape)
        assert have == want, f"{tf1}: tfshare shape {have}, TF1 shape {want}"
        v.assign(np.asarray(weights[tf1], np.float32))
    return matched


def set_variational_noise(cell, noise: dict) -> bool:
    """Feed the oracle's variational noise (flat leaves per kind) into a tfshare
    DropoutWrapper through its public ``set_variational_noise`` (TF1 keeps the noise
    in ``_recurrent_{input,state,output}_noise``). Returns False when the wrapper
    draws other kinds or numbers of noise tensors (then the golden variational tests
    fail loudly)."""
    import tensorflow as tf

    current = cell.variational_noise()
    kinds = {}
    for kind, arrays in noise.items():
        like = current.get(kind)
        if like is None or len(tf.nest.flatten(like)) != len(arrays):
            return False
        kinds[kind] = tf.nest.pack_sequence_as(like, [np.asarray(a) for a in arrays])
    cell.set_variational_noise(**kinds)
    return True


def get_variational_noise(cell) -> dict:
    """The variational noise a tfshare DropoutWrapper uses in the current context, as
    flat numpy leaves per kind (the counterpart of ``set_variational_noise``)."""
    import tensorflow as tf

    return {kind: [np.asarray(a) for a in tf.nest.flatten(v)]
            for kind, v in cell.variational_noise().items() if v is not None}


def check_state_types(state, desc, lstm_tuple) -> None:
    """Assert the nested structure of a tfshare state matches ``desc``."""
    kind = desc["kind"]
    if kind == "lstm":
        assert isinstance(state, lstm_tuple), f"expected LSTMStateTuple, got {type(state)}"
        check_state_types(state.c, desc["c"], lstm_tuple)
        check_state_types(state.h, desc["h"], lstm_tuple)
    elif kind == "tuple":
        assert isinstance(state, tuple) and not isinstance(state, lstm_tuple), type(state)
        assert len(state) == len(desc["items"])
        for s, d in zip(state, desc["items"], strict=True):
            check_state_types(s, d, lstm_tuple)
    else:
        assert not isinstance(state, (tuple, list)), f"expected a tensor, got {type(state)}"
        assert tuple(state.shape)[-1] == desc["size"], (state.shape, desc)


def run_tfshare_keras(cfg: dict, weights: dict, x, init_leaves, noise=None):
    """Build the tfshare cell for ``cfg`` in Keras mode (direct eager call), set its
    weights by TF1 name, run ``T`` steps. Returns (outs, flat states per step, cell)."""
    import keras
    import tensorflow as tf
    import tfshare

    keras.backend.clear_session(free_memory=False)
    cell = build_cell(tfshare, cfg["cell"], tf.float32)
    desc = describe_state(cell.state_size)
    init = assemble_state(desc, [tf.constant(a) for a in init_leaves], tfshare.LSTMStateTuple)
    cell(tf.constant(x[0]), init)  # build
    assign_by_suffix(cell.weights, weights)
    if noise:
        assert set_variational_noise(cell, noise), "cannot feed variational noise to tfshare"
    outs, states, state = [], [], init
    for t in range(len(x)):
        out, state = cell(tf.constant(x[t]), state)
        check_state_types(state, desc, tfshare.LSTMStateTuple)
        outs.append(np.asarray(out))
        states.append([np.asarray(a) for a in tf.nest.flatten(state)])
    return outs, states, cell


def run_tfshare_tf1(cfg: dict, weights: dict, x, init_leaves, noise=None, scope="root",
                    dtype=np.float32):
    """Same as ``run_tfshare_keras`` but in TF1 mode: the cell's variables come from the
    tfshare store inside ``tfshare.variable_scope(scope)``; weights are assigned by full
    name ``scope/<TF1 name>``. ``dtype`` is that of inputs, state and weights (TF1 infers
    the variables' dtype from the inputs)."""
    import tensorflow as tf
    import tfshare

    tfshare.reset_default_graph()
    x = np.asarray(x, dtype)
    init_leaves = [np.asarray(a, dtype) for a in init_leaves]
    cell = build_cell(tfshare, cfg["cell"], tf.as_dtype(dtype))
    desc = describe_state(cell.state_size)
    init = assemble_state(desc, [tf.constant(a) for a in init_leaves], tfshare.LSTMStateTuple)
    outs, states, state = [], [], init
    with tfshare.variable_scope(scope):
        cell(tf.constant(x[0]), init)
        store = tfshare.current_store()
        variables = {v.name[:-2] if v.name.endswith(":0") else v.name: v for v in store.variables()}
        expected = {f"{scope}/{k}" for k in weights}
        assert set(variables) == expected, (sorted(variables), sorted(expected))
        for k, w in weights.items():
            variables[f"{scope}/{k}"].assign(np.asarray(w, dtype))
        if noise:
            assert set_variational_noise(cell, noise), "cannot feed variational noise to tfshare"
        for t in range(len(x)):
            out, state = cell(tf.constant(x[t]), state)
            check_state_types(state, desc, tfshare.LSTMStateTuple)
            outs.append(np.asarray(out))
            states.append([np.asarray(a) for a in tf.nest.flatten(state)])
    return outs, states, cell


def run_tfshare_graph(cfg: dict, weights: dict, x, init_leaves, noise=None, scope="root"):
    """TF1 graph mode: build the ``T`` steps in a ``tf.Graph`` inside
    ``tfshare.variable_scope(scope)``, find the variables in the graph's
    ``GLOBAL_VARIABLES`` collection by full name, ``load`` the weights in a v1
    ``Session`` and run. Returns (outs, flat states per step, cell)."""
    import tensorflow as tf
    import tfshare

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        cell = build_cell(tfshare, cfg["cell"], tf.float32)
        desc = describe_state(cell.state_size)
        state = assemble_state(desc, [tf.constant(a) for a in init_leaves], tfshare.LSTMStateTuple)
        if noise:
            assert set_variational_noise(cell, noise), "cannot feed variational noise to tfshare"
        outs, states = [], []
        with tfshare.variable_scope(scope):
            for t in range(len(x)):
                out, state = cell(tf.constant(x[t]), state)
                check_state_types(state, desc, tfshare.LSTMStateTuple)
                outs.append(out)
                states.append(tf.nest.flatten(state))
        variables = {v.op.name: v for v in v1.global_variables()}
        assert set(variables) == {f"{scope}/{k}" for k in weights}, sorted(variables)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            for k, w in weights.items():
                variables[f"{scope}/{k}"].load(np.asarray(w, np.float32), sess)
            res_outs, res_states = sess.run([outs, states])
    return list(res_outs), [list(s) for s in res_states], cell


def max_abs_diff(outs_a, states_a, outs_b, states_b) -> float:
    """Largest |a - b| over every step's output and every step's state leaves. The two
    runs must have the same (non-zero) number of steps, state leaves and shapes: a run
    that returns fewer steps or leaves fails instead of scoring 0."""
    assert len(outs_a) == len(outs_b) > 0, f"outputs for {len(outs_a)} vs {len(outs_b)} steps"
    assert len(states_a) == len(states_b) > 0, \
        f"states for {len(states_a)} vs {len(states_b)} steps"
    d = 0.0
    for a, b in zip(outs_a, outs_b, strict=True):
        assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))
        d = max(d, float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))))
    for sa, sb in zip(states_a, states_b, strict=True):
        assert len(sa) == len(sb), f"{len(sa)} vs {len(sb)} state leaves"
        for a, b in zip(sa, sb, strict=True):
            assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))
            d = max(d, float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))))
    return d


def run_oracle_shared(tmp_path_factory, key: str, code: str) -> dict:
    """``run_oracle(code)`` once per pytest session even under xdist."""
    from oracle import run_oracle, shared_result

    return shared_result(tmp_path_factory, key, lambda: run_oracle(code))
