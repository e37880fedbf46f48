"""tfshare.rnn drivers against the legacy TF1 oracle.

One oracle run builds every configuration below with the real TF1 drivers
and cells (``tf.compat.v1.nn.*`` on tf_keras' legacy cells; the contrib
``stack_bidirectional_*`` functions, absent from the oracle, are composed as
spec §2.7 describes). Weights are set by variable name on both sides
(a value derived from the name), so equal names + equal math give equal
numbers. tfshare runs the same configurations in v1 graph mode (Session, exact
per-step path), in eager mode and inside ``tf.function`` (default options, so
``dynamic_rnn`` takes ``tfshare.fastpath`` where it applies).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from oracle import needs_oracle, run_oracle

T, B, D = 5, 4, 3
SEQ = [5, 0, 2, 8]        # a full, a 0 and a > T length (unidirectional drivers)
SEQ_SHORT = [3, 0, 2, 1]  # every length < T: the loop stops early
SEQ_BI = [5, 0, 2, 3]     # reverse_sequence needs lengths <= T in TF1

# id: (driver, cell kind, sequence lengths, time_major, initial_state, scope)
CONFIGS = {
    "dyn_basic": ("dynamic", "basic_lstm", None, False, False, None),
    "dyn_lstm_seq": ("dynamic", "lstm", SEQ, False, False, None),
    "dyn_lstm_short": ("dynamic", "lstm", SEQ_SHORT, False, True, None),
    "dyn_gru_seq_tm": ("dynamic", "gru", SEQ, True, False, None),
    "dyn_multi_seq_init": ("dynamic", "multi", SEQ, False, True, None),
    "dyn_basic_seq_scope": ("dynamic", "basic_lstm", SEQ, False, False, "enc"),
    "dyn_gru_init_tm": ("dynamic", "gru", None, True, True, None),
    "st_basic_seq": ("static", "basic_lstm", SEQ, False, False, None),
    "st_lstm_init": ("static", "lstm", None, False, True, None),
    "st_gru_seq": ("static", "gru", SEQ, False, False, "dec"),
    "st_multi_seq": ("static", "multi", SEQ, False, False, None),
    "bd_lstm_seq": ("bidi_dynamic", "lstm", SEQ_BI, False, False, None),
    "bd_gru_tm": ("bidi_dynamic", "gru", None, True, False, None),
    "bd_multi_seq_init": ("bidi_dynamic", "multi", SEQ_BI, False, True, None),
    "bd_basic_seq_tm": ("bidi_dynamic", "basic_lstm", SEQ_BI, True, False, "birnn"),
    "bs_gru_seq": ("bidi_static", "gru", SEQ_BI, False, False, None),
    "bs_basic_init": ("bidi_static", "basic_lstm", None, False, True, None),
    "bs_lstm_seq": ("bidi_static", "lstm", SEQ_BI, False, False, None),
    "sd_lstm_seq": ("stack_dynamic", "lstm", SEQ_BI, False, False, None),
    "sd_gru_tm_init": ("stack_dynamic", "gru", None, True, True, None),
    "sd_basic_seq_scope": ("stack_dynamic", "basic_lstm", SEQ_BI, False, False, "stk"),
    "ss_basic_seq": ("stack_static", "basic_lstm", SEQ_BI, False, False, None),
    "ss_gru_init": ("stack_static", "gru", None, False, True, None),
    # scope given as a VariableScope object: the cell adds one level below it
    "dyn_lstm_scopeobj": ("dynamic", "lstm", SEQ, False, False, "obj:outer"),
    "st_gru_scopeobj": ("static", "gru", None, False, False, "obj:outer"),
    "bd_gru_scopeobj": ("bidi_dynamic", "gru", SEQ_BI, False, False, "obj:outer"),
    # concatenated (non-tuple) states and wrappers (which add no scope level)
    "dyn_basic_concat_seq": ("dynamic", "basic_lstm_concat", SEQ, False, True, None),
    "st_multi_concat_seq": ("static", "multi_concat", SEQ, False, False, None),
    "dyn_residual_seq_tm": ("dynamic", "residual_gru", SEQ, True, False, None),
    "st_dropout_seq": ("static", "dropout_lstm", SEQ, False, False, None),
}
# eager / tf.function run this subset (every driver, cell kind and option)
EAGER_CONFIGS = ["dyn_lstm_seq", "dyn_multi_seq_init", "dyn_gru_seq_tm", "dyn_lstm_scopeobj",
                 "st_multi_seq", "bd_multi_seq_init", "bd_basic_seq_tm", "bs_lstm_seq",
                 "sd_gru_tm_init", "ss_basic_seq"]

# Shared by the oracle and tfshare: `C` is the cell namespace, `R` the drivers
# (and `R.variable_scope` the scope function).
BUILD_CODE = f"""
import zlib
T, B, D = {T}, {B}, {D}
CONFIGS = {CONFIGS!r}

def make_cell(C, kind, units):
    if kind == "basic_lstm":
        return C.BasicLSTMCell(units)
    if kind == "lstm":
        return C.LSTMCell(units, use_peepholes=True, num_proj=units - 1)
    if kind == "gru":
        return C.GRUCell(units)
    if kind == "multi":
        return C.MultiRNNCell([C.LSTMCell(units), C.GRUCell(units - 1)])
    if kind == "basic_lstm_concat":
        return C.BasicLSTMCell(units, state_is_tuple=False)
    if kind == "multi_concat":
        return C.MultiRNNCell([C.BasicLSTMCell(units, state_is_tuple=False), C.GRUCell(units)],
                              state_is_tuple=False)
    if kind == "residual_gru":
        return C.ResidualWrapper(C.GRUCell(units))
    if kind == "dropout_lstm":
        return C.DropoutWrapper(C.LSTMCell(units), input_keep_prob=1.0, output_keep_prob=1.0)
    raise ValueError(kind)

def init_state(cell, salt):
    rng = np.random.RandomState(salt)
    return tf.nest.map_structure(
        lambda n: tf.constant(rng.uniform(-0.5, 0.5, (B, n)).astype("float32")),
        cell.state_size)

def weight_value(name, shape):
    rng = np.random.RandomState(zlib.crc32(name.encode()) % (2 ** 31))
    return rng.uniform(-0.5, 0.5, shape).astype("float32")

def build(cfg_id, C, R, X):
    driver, kind, seq, time_major, with_init, scope = CONFIGS[cfg_id]
    kw = {{}} if scope is None else {{"scope": scope}}
    if scope is not None and scope.startswith("obj:"):
        with R.variable_scope(scope[4:]) as scope_obj:
            pass
        kw = {{"scope": scope_obj}}
    seq_t = None if seq is None else np.array(seq, np.int32)
    if driver in ("dynamic", "static"):
        cell = make_cell(C, kind, 3)
    elif driver in ("bidi_dynamic", "bidi_static"):
        fw, bw = make_cell(C, kind, 3), make_cell(C, kind, 4)
    else:
        fws = [make_cell(C, kind, 3), make_cell(C, kind, 4)]
        bws = [make_cell(C, kind, 4), make_cell(C, kind, 3)]

    def run():
        x = tf.constant(X)
        if time_major:
            x = tf.transpose(x, [1, 0, 2])
        if driver == "dynamic":
            init = init_state(cell, 1) if with_init else None
            return R.dynamic_rnn(cell, x, sequence_length=seq_t, initial_state=init,
                                 dtype=None if with_init else tf.float32,
                                 time_major=time_major, **kw)
        if driver == "static":
            init = init_state(cell, 1) if with_init else None
            return R.static_rnn(cell, tf.unstack(x, axis=1), initial_state=init,
                                dtype=tf.float32, sequence_length=seq_t, **kw)
        if driver == "bidi_dynamic":
            i_fw = init_state(fw, 1) if with_init else None
            i_bw = init_state(bw, 2) if with_init else None
            return R.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=seq_t,
                                               initial_state_fw=i_fw, initial_state_bw=i_bw,
                                               dtype=tf.float32, time_major=time_major, **kw)
        if driver == "bidi_static":
            i_fw = init_state(fw, 1) if with_init else None
            i_bw = init_state(bw, 2) if with_init else None
            return R.static_bidirectional_rnn(fw, bw, tf.unstack(x, axis=1), initial_state_fw=i_fw,
                                              initial_state_bw=i_bw, dtype=tf.float32,
                                              sequence_length=seq_t, **kw)
        i_fws = [init_state(c, 1 + k) for k, c in enumerate(fws)] if with_init else None
        i_bws = [init_state(c, 5 + k) for k, c in enumerate(bws)] if with_init else None
        if driver == "stack_dynamic":
            return R.stack_bidirectional_dynamic_rnn(fws, bws, x, initial_states_fw=i_fws,
                                                     initial_states_bw=i_bws, dtype=tf.float32,
                                                     sequence_length=seq_t,
                                                     time_major=time_major, **kw)
        return R.stack_bidirectional_rnn(fws, bws, tf.unstack(x, axis=1), initial_states_fw=i_fws,
                                         initial_states_bw=i_bws, dtype=tf.float32,
                                         sequence_length=seq_t, **kw)
    return run
"""

ORACLE_CODE = BUILD_CODE + """
import types
C = v1.nn.rnn_cell

def _stack_static(cells_fw, cells_bw, inputs, initial_states_fw=None, initial_states_bw=None,
                  dtype=None, sequence_length=None, scope=None):
    states_fw, states_bw, prev = [], [], inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (f, b) in enumerate(zip(cells_fw, cells_bw)):
            with v1.variable_scope("cell_%d" % i) as cell_scope:
                prev, sf, sb = v1.nn.static_bidirectional_rnn(
                    f, b, prev,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, dtype=dtype, scope=cell_scope)
            states_fw.append(sf)
            states_bw.append(sb)
    return prev, tuple(states_fw), tuple(states_bw)

def _stack_dynamic(cells_fw, cells_bw, inputs, initial_states_fw=None, initial_states_bw=None,
                   dtype=None, sequence_length=None, time_major=False, scope=None):
    states_fw, states_bw, prev = [], [], inputs
    with v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (f, b) in enumerate(zip(cells_fw, cells_bw)):
            with v1.variable_scope("cell_%d" % i):
                outs, (sf, sb) = v1.nn.bidirectional_dynamic_rnn(
                    f, b, prev,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, dtype=dtype, time_major=time_major)
                prev = tf.concat(outs, 2)
            states_fw.append(sf)
            states_bw.append(sb)
    return prev, tuple(states_fw), tuple(states_bw)

R = types.SimpleNamespace(
    dynamic_rnn=v1.nn.dynamic_rnn, static_rnn=v1.nn.static_rnn,
    bidirectional_dynamic_rnn=v1.nn.bidirectional_dynamic_rnn,
    static_bidirectional_rnn=v1.nn.static_bidirectional_rnn,
    stack_bidirectional_rnn=_stack_static, stack_bidirectional_dynamic_rnn=_stack_dynamic,
    variable_scope=v1.variable_scope)

for cfg_id in CONFIGS:
    g = tf.Graph()
    with g.as_default():
        result = build(cfg_id, C, R, IN["x"])()
        variables = v1.global_variables()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for v in variables:
                v.load(weight_value(v.op.name, v.shape.as_list()), sess)
            flat = sess.run(tf.nest.flatten(result))
    OUT["json:" + cfg_id + "/names"] = [v.name for v in variables]
    OUT["json:" + cfg_id + "/shapes"] = [[-1 if d is None else d for d in t.shape.as_list()]
                                         for t in tf.nest.flatten(result)]
    for i, a in enumerate(flat):
        OUT[f"{cfg_id}/{i}"] = a
"""

_NS: dict = {"np": np, "tf": tf}
exec(BUILD_CODE, _NS)  # noqa: S102 (our own code string, shared with the oracle)
X = np.random.RandomState(42).uniform(-0.5, 0.5, (B, T, D)).astype("float32")
TOL = 1e-5


@pytest.fixture(scope="module")
def oracle():
    return run_oracle(ORACLE_CODE, {"x": X})


def _oracle_flat(oracle, cfg_id):
    n = len(oracle["json:" + cfg_id + "/shapes"])
    return [oracle[f"{cfg_id}/{i}"] for i in range(n)]


def _compare(oracle, cfg_id, names, shapes, flat, problems, diffs):
    want_names = oracle["json:" + cfg_id + "/names"]
    if names != want_names:
        problems.append(f"{cfg_id}: names {names} != oracle {want_names}")
        return
    want = _oracle_flat(oracle, cfg_id)
    if len(want) != len(flat):
        problems.append(f"{cfg_id}: {len(flat)} result tensors != oracle {len(want)}")
        return
    want_shapes = oracle["json:" + cfg_id + "/shapes"]
    if shapes is not None and shapes != want_shapes:
        problems.append(f"{cfg_id}: static shapes {shapes} != oracle {want_shapes}")
    diff = 0.0
    for a, b in zip(flat, want):
        if a.shape != b.shape:
            problems.append(f"{cfg_id}: shape {a.shape} != oracle {b.shape}")
            return
        diff = max(diff, float(np.abs(a - b).max()) if a.size else 0.0)
    diffs[cfg_id] = diff
    if diff > TOL:
        problems.append(f"{cfg_id}: max abs diff {diff:.3g} > {TOL}")


def _graph_run(cfg_id):
    import tfshare
    g = tf.Graph()
    with g.as_default():
        result = _NS["build"](cfg_id, tfshare, tfshare, X)()
        variables = tf.compat.v1.global_variables()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for v in variables:
                sess.run(v.assign(_NS["weight_value"](v.op.name, v.shape.as_list())))
            flat = sess.run(tf.nest.flatten(result))
    shapes = [[-1 if d is None else d for d in t.shape.as_list()] for t in tf.nest.flatten(result)]
    return [v.name for v in variables], shapes, flat


@needs_oracle
def test_graph_mode_matches_oracle(oracle):
    """v1 graph mode, exact path (fast path off): full variable-name lists, static
    shapes and values equal the oracle's."""
    from tfshare import fastpath
    problems, diffs = [], {}
    previous = fastpath.set_fast_path_options(enabled=False)
    try:
        for cfg_id in CONFIGS:
            names, shapes, flat = _graph_run(cfg_id)
            _compare(oracle, cfg_id, names, shapes, flat, problems, diffs)
    finally:
        fastpath.set_fast_path_options(**previous)
    print("graph max abs diff per config:", json.dumps(diffs))
    assert not problems, "\n".join(problems)
    assert len(diffs) == len(CONFIGS)


@needs_oracle
def test_eager_and_tf_function_match_oracle(oracle):
    """Eager (first call: eager steps; later calls: the cached compiled driver) and
    tf.function give the oracle's names and numbers; no call creates a variable.

    Default options: ``dynamic_rnn`` takes the fast path for LSTM/GRU cells.
    """
    import tfshare
    problems, diffs = [], {}
    for cfg_id in EAGER_CONFIGS:
        tfshare.reset_default_graph()
        _NS["build"](cfg_id, tfshare, tfshare, X)()  # creates the variables
        variables = tfshare.global_variables()
        for v in variables:
            v.assign(_NS["weight_value"](v.name[:-2], v.shape.as_list()))
        names = [v.name for v in variables]
        results = {}
        with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
            run = _NS["build"](cfg_id, tfshare, tfshare, X)  # new cells, same variables
            results["eager first call"] = run()
            results["eager later call"] = run()
            fn = tf.function(_NS["build"](cfg_id, tfshare, tfshare, X))
            results["tf.function"] = fn()
            results["tf.function again"] = fn()
        for label, result in results.items():
            flat = [np.asarray(t) for t in tf.nest.flatten(result)]
            _compare(oracle, f"{cfg_id}", names, None, flat, problems,
                     diffs.setdefault(label, {}))
        after = [v.name for v in tfshare.global_variables()]
        if after != names:
            problems.append(f"{cfg_id}: eager re-run / tf.function changed the variables: {after}")
    print("eager max abs diff per config:", json.dumps(diffs))
    assert not problems, "\n".join(problems)
    assert all(len(d) == len(EAGER_CONFIGS) for d in diffs.values())
