"""tfshare.rnn drivers against real TF 1.15, under every TF1 setup.

TF 1.15 builds every configuration below with its own drivers and cells
(``tf.nn.*``, ``tf.nn.rnn_cell.*`` and ``tf.contrib.rnn.stack_bidirectional_*``),
live when the oracle is built, else from the committed golden
(``tests/fixtures/make_program_fixtures.py``). Weights are set by variable name
on both sides (a value derived from the name), so equal names + equal math give
equal numbers. tfshare runs the same configurations in each setup process
(``setup_runs``): in graph mode (Session; the exact per-step path, and the
default options, under which ``dynamic_rnn`` takes ``tfshare.fastpath`` where
it applies) and, where eager execution is on, in eager mode (a first and a
later call) and inside ``tf.function``.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from setup_runs import EAGER_SETUPS, SETUPS, job_out

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
#: gradients of a weighted loss of every output and final state with respect to the
#: inputs and every variable, ``dynamic_rnn`` (which takes the fast path on tfshare)
GRAD_CONFIGS = {
    "grad_lstm_peep_proj": ("dynamic", "lstm", SEQ, False, True, None),
    "grad_lstm_clip": ("dynamic", "lstm_clip", SEQ_SHORT, False, False, None),
    "grad_gru_tm": ("dynamic", "gru", SEQ, True, True, None),
    "grad_basic": ("dynamic", "basic_lstm", None, False, False, None),
}
EAGER_CONFIGS = ["dyn_lstm_seq", "dyn_multi_seq_init", "dyn_gru_seq_tm", "dyn_lstm_scopeobj",
                 "st_multi_seq", "bd_multi_seq_init", "bd_basic_seq_tm", "bs_lstm_seq",
                 "sd_gru_tm_init", "ss_basic_seq"]

# Shared by the oracle and tfshare: `C` is the cell namespace, `R` the drivers
# (and `R.variable_scope` the scope function).
BUILD_CODE = f"""
import zlib
T, B, D = {T}, {B}, {D}
CONFIGS = {CONFIGS!r}
GRAD_CONFIGS = {GRAD_CONFIGS!r}

def make_cell(C, kind, units):
    if kind == "basic_lstm":
        return C.BasicLSTMCell(units)
    if kind == "lstm":
        return C.LSTMCell(units, use_peepholes=True, num_proj=units - 1)
    if kind == "lstm_clip":
        return C.LSTMCell(units, use_peepholes=True, cell_clip=0.3, num_proj=units - 1,
                          proj_clip=0.25, forget_bias=0.6)
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

def loss_of(flat):
    # a different weight for every element of every result, so each one's gradient counts
    total = 0.0
    for k, t in enumerate(flat):
        shape = t.shape.as_list()
        w = (np.arange(int(np.prod(shape))).reshape(shape) % 7 + 1 + k) * 0.1
        total = total + tf.reduce_sum(t * w.astype("float32"))
    return total

def build(cfg_id, C, R, X):
    driver, kind, seq, time_major, with_init, scope = (CONFIGS.get(cfg_id)
                                                        or GRAD_CONFIGS[cfg_id])
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
        x = tf.convert_to_tensor(X)
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

def run_graph(cfg_ids, C, R, X, v1, catch=False):
    # Each configuration in its own graph and Session (one graph for all of them
    # builds several times slower). Returns
    # {{cfg_id: (variable names, static shapes, flat results)}}; with catch, a
    # configuration that raises gets its traceback instead.
    out = {{}}
    for cfg_id in cfg_ids:
        if catch:
            try:
                out.update(run_graph([cfg_id], C, R, X, v1))
            except Exception:
                import traceback
                out[cfg_id] = traceback.format_exc()[-3000:]
            continue
        with tf.Graph().as_default():
            result = tf.nest.flatten(build(cfg_id, C, R, X)())
            variables = v1.global_variables()
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                for v in variables:
                    v.load(weight_value(v.op.name, v.shape.as_list()), sess)
                values = sess.run(result)
        shapes = [[-1 if d is None else d for d in t.shape.as_list()] for t in result]
        out[cfg_id] = ([v.name for v in variables], shapes, values)
    return out
"""

#: TF 1.15 code making ``R``: its own drivers (the contrib stack functions are
#: the real ones there) and ``variable_scope``
TF115_DRIVERS = """
import types
R = types.SimpleNamespace(
    dynamic_rnn=tf.nn.dynamic_rnn, static_rnn=tf.nn.static_rnn,
    bidirectional_dynamic_rnn=tf.nn.bidirectional_dynamic_rnn,
    static_bidirectional_rnn=tf.nn.static_bidirectional_rnn,
    stack_bidirectional_rnn=tf.contrib.rnn.stack_bidirectional_rnn,
    stack_bidirectional_dynamic_rnn=tf.contrib.rnn.stack_bidirectional_dynamic_rnn,
    variable_scope=tf.variable_scope)
"""
TF115_CODE = BUILD_CODE + TF115_DRIVERS + """
for cfg_id, (names, shapes, flat) in run_graph(list(CONFIGS), tf.nn.rnn_cell, R, IN["x"],
                                              tf.compat.v1).items():
    OUT["json:" + cfg_id + "/names"] = names
    OUT["json:" + cfg_id + "/shapes"] = shapes
    for i, a in enumerate(flat):
        OUT[cfg_id + "/" + str(i)] = a
for cfg_id in GRAD_CONFIGS:
    with tf.Graph().as_default():
        x = tf.constant(IN["x"])
        loss = loss_of(tf.nest.flatten(build(cfg_id, tf.nn.rnn_cell, R, x)()))
        variables = tf.global_variables()
        grads = tf.gradients(loss, [x] + variables)
        with tf.Session() as sess:
            for v in variables:
                v.load(weight_value(v.op.name, v.shape.as_list()), sess)
            values = sess.run(grads)
    OUT["json:" + cfg_id + "/names"] = [v.name for v in variables]
    for i, a in enumerate(values):
        OUT[cfg_id + "/grad/" + str(i)] = a
"""
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "programs",
                      "tf115_rnn_configs")

_NS: dict = {"np": np}
X = np.random.RandomState(42).uniform(-0.5, 0.5, (B, T, D)).astype("float32")
TOL = 1e-5
JOB = "test_rnn_oracle:run_configs"
#: where ``graph_exact`` runs: the exact path is the same code in every setup, and
#: under ref variables (``v1_behavior``, ``ref_variables``) ``graph`` takes it anyway
#: (the fast path applies to resource variables only)
EXACT_SETUPS = ("eager",)


def tf115_configs(tmp_path_factory) -> dict:
    from oracle import tf115_or_golden

    return tf115_or_golden(tmp_path_factory, "rnn_configs", TF115_CODE, GOLDEN, {"x": X})


# --------------------------------------------------------------------------- tfshare side
def run_configs(out: dict, setup: str, workdir: str) -> None:
    """Job of a ``setup_runs`` process: every configuration on tfshare.

    ``graph``: graph mode, default options; ``graph_exact``: the fast path off
    (setups ``EXACT_SETUPS``); where eager execution is on, ``EAGER_CONFIGS`` in eager mode
    (``eager_first``: a first call with new cells, ``eager_later``: a second
    call, ``function``: inside ``tf.function``)."""
    import tensorflow as tf

    import tfshare
    from tfshare import fastpath

    ns = dict(_NS, tf=tf)
    exec(BUILD_CODE, ns)  # noqa: S102 (our own code string, shared with TF 1.15)
    out["graph"] = ns["run_graph"](list(CONFIGS), tfshare, tfshare, X, tf.compat.v1, True)
    if setup in EXACT_SETUPS:
        previous = fastpath.set_fast_path_options(enabled=False)
        try:
            out["graph_exact"] = ns["run_graph"](list(CONFIGS), tfshare, tfshare, X,
                                                 tf.compat.v1, True)
        finally:
            fastpath.set_fast_path_options(**previous)
    if setup not in EAGER_SETUPS:
        return
    for cfg_id in EAGER_CONFIGS:
        try:
            runs = _eager_runs(ns, cfg_id)
        except Exception:  # noqa: BLE001 - the first call failed: every label reports it
            import traceback

            runs = dict.fromkeys(("eager_first", "eager_later", "function"),
                                 traceback.format_exc()[-3000:])
        for label, result in runs.items():
            out.setdefault(label, {})[cfg_id] = result


def _eager_runs(ns: dict, cfg_id: str) -> dict:
    """``{label: (variable names, None, flat results) or a traceback}``."""
    import traceback

    import tensorflow as tf

    import tfshare

    tfshare.reset_default_graph()
    ns["build"](cfg_id, tfshare, tfshare, X)()  # creates the variables
    variables = tfshare.global_variables()
    for v in variables:
        v.assign(ns["weight_value"](v.name[:-2], v.shape.as_list()))
    names = [v.name for v in variables]
    runs = {}
    with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
        run = ns["build"](cfg_id, tfshare, tfshare, X)  # new cells, same variables
        fn = tf.function(ns["build"](cfg_id, tfshare, tfshare, X), autograph=False)
        for label, call in (("eager_first", run), ("eager_later", run), ("function", fn)):
            try:
                runs[label] = call()
            except Exception:  # noqa: BLE001 - reported by the test of this label
                runs[label] = traceback.format_exc()[-3000:]
    after = [v.name for v in tfshare.global_variables()]
    return {label: result if isinstance(result, str) else (
        names if after == names else after, None,
        [np.asarray(t) for t in tf.nest.flatten(result)]) for label, result in runs.items()}


# --------------------------------------------------------------------------- comparisons
MODES = ["graph_exact", "graph", "eager_first", "eager_later", "function"]


def _params() -> list:
    out = []
    for setup in SETUPS:
        for mode in MODES:
            if mode == "graph_exact" and setup not in EXACT_SETUPS:
                continue
            if not mode.startswith("graph") and setup not in EAGER_SETUPS:
                continue
            for cfg_id in (CONFIGS if mode.startswith("graph") else EAGER_CONFIGS):
                out.append(pytest.param(setup, mode, cfg_id, id=f"{setup}-{mode}-{cfg_id}"))
    return out


@pytest.mark.parametrize("setup,mode,cfg_id", _params())
def test_driver_matches_tf115(tmp_path_factory, setup, mode, cfg_id):
    """Variable names (full list, in order), static shapes (graph mode) and
    values (1e-5) of the configuration equal TF 1.15's."""
    want = tf115_configs(tmp_path_factory)
    got = job_out(tmp_path_factory, setup, JOB)[mode]
    assert sorted(got) == sorted(CONFIGS if mode.startswith("graph") else EAGER_CONFIGS)
    assert not isinstance(got[cfg_id], str), f"{cfg_id} raised:\n{got[cfg_id]}"
    names, shapes, flat = got[cfg_id]
    assert names == want["json:" + cfg_id + "/names"]
    want_shapes = want["json:" + cfg_id + "/shapes"]
    if shapes is not None:
        assert shapes == want_shapes, "static shapes"
    want_flat = [want[f"{cfg_id}/{i}"] for i in range(len(want_shapes))]
    assert len(flat) == len(want_flat)
    for i, (a, b) in enumerate(zip(flat, want_flat, strict=True)):
        assert a.shape == b.shape, f"result {i}"
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL, err_msg=f"{cfg_id} result {i}")


@pytest.mark.parametrize("path", ["fast", "exact"])
@pytest.mark.parametrize("cfg_id", sorted(GRAD_CONFIGS))
def test_dynamic_rnn_gradients_match_tf115(tmp_path_factory, monkeypatch, cfg_id, path):
    """Gradients of a weighted loss of every output and final state, with respect to the
    inputs and every variable, of ``dynamic_rnn`` inside ``tf.function`` (eager TF2): the
    fast path (checked to be taken) and the exact path both equal TF 1.15's ``tf.gradients``
    of the same graph (1e-5)."""
    import tensorflow as tf

    import tfshare
    from tfshare import fastpath

    want = tf115_configs(tmp_path_factory)
    taken = []
    real = fastpath.fast_dynamic_rnn

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(fastpath, "fast_dynamic_rnn", spy)
    previous = fastpath.set_fast_path_options(enabled=path == "fast")
    try:
        ns = dict(_NS, tf=tf)
        exec(BUILD_CODE, ns)  # noqa: S102 (our own code string, shared with TF 1.15)
        tfshare.reset_default_graph()
        ns["build"](cfg_id, tfshare, tfshare, X)()  # creates the variables
        variables = tfshare.global_variables()
        for v in variables:
            v.assign(ns["weight_value"](v.name[:-2], v.shape.as_list()))
        x = tf.Variable(X)
        with tfshare.variable_scope(tfshare.get_variable_scope(), reuse=True):
            run = ns["build"](cfg_id, tfshare, tfshare, x)

            @tf.function(autograph=False)
            def gradients():
                with tf.GradientTape() as tape:
                    loss = ns["loss_of"](tf.nest.flatten(run()))
                return tape.gradient(loss, [x] + variables)

            got = [np.asarray(g) for g in gradients()]
    finally:
        fastpath.set_fast_path_options(**previous)
    assert [v.name for v in tfshare.global_variables()] == [v.name for v in variables]
    assert taken and all(taken) == (path == "fast"), f"fast path taken: {taken}"
    assert [v.name for v in variables] == want["json:" + cfg_id + "/names"]
    want_grads = [want[f"{cfg_id}/grad/{i}"] for i in range(len(variables) + 1)]
    assert len(got) == len(want_grads)
    for i, (a, b) in enumerate(zip(got, want_grads, strict=True)):
        assert a.shape == b.shape, f"gradient {i}"
        assert np.abs(b).max() > 1e-3, f"TF 1.15's gradient {i} is ~0: the case tests nothing"
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL, err_msg=f"{cfg_id} gradient {i}")
