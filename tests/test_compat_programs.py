"""End-to-end TF1 programs: the legacy oracle vs ``tfshare.compat.v1`` (graph mode).

Every program in ``compat_programs.PROGRAMS`` is one source text with ``tf`` as
a free name. It runs once on the oracle (legacy TF1 ``tensorflow.compat.v1``)
and once on ``tfshare.compat.v1`` in a ``tf.Graph``, with every variable set to
the same name-seeded values. Compared: variable names, shapes and order,
trainable sets, facts (collection sizes, layer and scope names), outputs and
losses before and after a few training steps, the saved checkpoints, and
cross-restores (each implementation restores the other's checkpoint and must
reproduce the other's trained outputs). All oracle work is ONE subprocess,
shared by pytest-xdist workers through a file lock.
"""
from __future__ import annotations

import fcntl
import os
import pickle
import time

import numpy as np
import pytest
import tensorflow as tf

from compat_programs import DRIVER, ORACLE_CONTRIB, PROGRAMS, make_inputs
from oracle import needs_oracle, run_oracle

TOL = 1e-5
NAMES = sorted(PROGRAMS)
#: programs whose checkpoints are also restored across implementations (the
#: two bidirectional ones are left out to keep the run short: their saved
#: checkpoints are compared name by name and value by value instead)
RESTORED = [n for n in NAMES if "SELF_CONTAINED" not in PROGRAMS[n]
            and n not in ("bidir_tagger", "contrib_stack_bidir")]


def _run_tfshare(phase: str, ckdir: str) -> dict:
    import tfshare.compat.v1 as tfc

    ns = {"tf": tfc, "IN": make_inputs()}
    exec(DRIVER, ns)
    out: dict = {}
    programs = PROGRAMS if phase == "train" else {k: PROGRAMS[k] for k in RESTORED}
    ns["run_programs"](programs, phase, ckdir, out, lambda: tf.Graph().as_default())
    return out


def _oracle_code(odir: str, tdir: str) -> str:
    return (
        "_v1 = tf.compat.v1\n"
        + ORACLE_CONTRIB
        + DRIVER
        + f"PROGS = {PROGRAMS!r}\n"
        + f"RESTORED = {RESTORED!r}\n"
        + f"run_programs(PROGS, 'train', {odir!r}, OUT, lambda: _v1.Graph().as_default())\n"
        + "run_programs({k: PROGS[k] for k in RESTORED}, 'restore', "
        + f"{tdir!r}, OUT, lambda: _v1.Graph().as_default())\n"
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{"oracle": OUT, "tfshare": OUT, "tfshare_restored": OUT, dirs}``.

    The first xdist worker computes the oracle side (and the tfshare
    checkpoints it restores) under a lock in the session's shared temp root;
    the other reuses it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    base = root / "compat_programs"
    base.mkdir(exist_ok=True)
    odir, tdir = str(base / "oracle"), str(base / "tfshare")
    cache = base / "oracle_out.pkl"
    with open(base / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if cache.exists():
                with open(cache, "rb") as f:
                    oracle, tfshare, restored = pickle.load(f)
            else:
                t0 = time.perf_counter()
                tfshare = _run_tfshare("train", tdir)
                t1 = time.perf_counter()
                oracle = run_oracle(_oracle_code(odir, tdir), make_inputs())
                t2 = time.perf_counter()
                restored = _run_tfshare("restore", odir)
                t3 = time.perf_counter()
                tfshare["json:timings"] = {"tfshare_train": t1 - t0, "oracle": t2 - t1,
                                           "tfshare_restore": t3 - t2}
                with open(cache, "wb") as f:
                    pickle.dump((oracle, tfshare, restored), f)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return {"oracle": oracle, "tfshare": tfshare, "tfshare_restored": restored,
            "odir": odir, "tdir": tdir}


def _no_errors(out: dict, name: str, who: str) -> None:
    errors = {k: v for k, v in out.items() if k.startswith(f"json:{name}/error/")}
    assert not errors, f"{who} failed on {name}:\n" + "\n".join(errors.values())


def _select(out: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in out.items() if k.startswith(prefix)}


def _assert_close(a: dict, b: dict, what: str) -> float:
    assert sorted(a) == sorted(b), f"{what}: different keys {sorted(a)} vs {sorted(b)}"
    worst = 0.0
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape, f"{what}/{k}: shape {x.shape} vs {y.shape}"
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))))
        np.testing.assert_allclose(x, y, rtol=TOL, atol=TOL, err_msg=f"{what}/{k}")
    return worst


@needs_oracle
@pytest.mark.parametrize("name", NAMES)
def test_variables_and_facts_match(runs, name):
    o, t = runs["oracle"], runs["tfshare"]
    _no_errors(o, name, "oracle")
    _no_errors(t, name, "tfshare")
    ojson = {k: v for k, v in o.items() if k.startswith(f"json:{name}/")}
    tjson = {k: v for k, v in t.items() if k.startswith(f"json:{name}/")}
    assert ojson, f"the oracle recorded nothing for {name}"
    assert tjson == ojson


@needs_oracle
@pytest.mark.parametrize("name", NAMES)
def test_outputs_and_training_match(runs, name):
    o, t = runs["oracle"], runs["tfshare"]
    _no_errors(t, name, "tfshare")
    oarr = _select({k: v for k, v in o.items() if not k.startswith("json:")}, f"{name}/")
    tarr = _select({k: v for k, v in t.items() if not k.startswith("json:")}, f"{name}/")
    oarr = {k: v for k, v in oarr.items() if not k.startswith("restored/")}
    has_json = any(k.startswith(f"json:{name}/") for k in o)
    assert oarr or has_json, f"the oracle produced no outputs for {name}"
    for k, v in oarr.items():
        assert np.all(np.isfinite(np.asarray(v, np.float64))), f"oracle {name}/{k} is not finite"
    _assert_close(tarr, oarr, name)
    # training changed something (so "after" is a real comparison)
    before = _select(oarr, "before/")
    after = _select(oarr, "after/")
    if before and PROGRAMS[name].count("TRAIN = None") == 0:
        assert any(not np.allclose(before[k], after[k]) for k in before), "training did nothing"


def _checkpoint(path: str) -> dict:
    reader = tf.train.load_checkpoint(path)
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


@needs_oracle
@pytest.mark.parametrize("name", [n for n in NAMES if "SELF_CONTAINED" not in PROGRAMS[n]])
def test_saved_checkpoints_match(runs, name):
    _no_errors(runs["tfshare"], name, "tfshare")
    ock = _checkpoint(os.path.join(runs["odir"], name, "model"))
    tck = _checkpoint(os.path.join(runs["tdir"], name, "model"))
    assert sorted(tck) == sorted(ock)
    _assert_close(tck, ock, name + " checkpoint")


@needs_oracle
@pytest.mark.parametrize("name", RESTORED)
def test_checkpoints_restore_across(runs, name):
    o, t, tr = runs["oracle"], runs["tfshare"], runs["tfshare_restored"]
    _no_errors(tr, name, "tfshare (restore)")
    _no_errors(o, name, "oracle")
    # oracle restored tfshare's checkpoint -> tfshare's trained outputs
    o_rest = _select(o, f"{name}/restored/")
    t_after = _select(t, f"{name}/after/")
    assert o_rest
    _assert_close(o_rest, t_after, name + " oracle<-tfshare")
    # tfshare restored the oracle's checkpoint -> the oracle's trained outputs
    t_rest = _select(tr, f"{name}/restored/")
    o_after = _select(o, f"{name}/after/")
    _assert_close(t_rest, o_after, name + " tfshare<-oracle")


@needs_oracle
def test_report_worst_difference(runs, capsys):
    """Prints the max abs difference per program (for the report); fails on none."""
    lines = []
    for name in NAMES:
        o = {k: v for k, v in runs["oracle"].items() if k.startswith(name + "/after/")
             or k.startswith(name + "/before/")}
        t = {k: runs["tfshare"][k] for k in o if k in runs["tfshare"]}
        if len(t) == len(o) and o:
            worst = max(float(np.max(np.abs(np.asarray(o[k], np.float64) - np.asarray(t[k], np.float64))))
                        if np.asarray(o[k]).size else 0.0 for k in o)
            lines.append(f"{name}: {worst:.2e}")
    with capsys.disabled():
        print("\nmax |oracle - tfshare| per program:\n  " + "\n  ".join(lines))
        print("fixture seconds:", runs["tfshare"].get("json:timings"))
    assert lines


# ---------------------------------------------------------------------------
# The same programs in EAGER mode on tfshare.compat.v1 (its own variable store),
# compared with the oracle's graph-mode numbers.
# ---------------------------------------------------------------------------
import zlib  # noqa: E402


def _name_seeded(name, shape):
    rng = np.random.RandomState(zlib.crc32(name.encode()) % (2 ** 31))
    if "moving_variance" in name:
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return rng.uniform(-0.5, 0.5, shape).astype(np.float32)


def _seed(variables):
    for v in variables:
        v.assign(_name_seeded(v.name, list(v.shape)))


@pytest.fixture
def tfc():
    import tfshare.compat.v1 as tfc

    assert tf.executing_eagerly()
    tfc.reset_default_graph()
    yield tfc
    tfc.reset_default_graph()


@needs_oracle
def test_eager_variable_sharing_tutorial(runs, tfc):
    IN = make_inputs()

    def conv_relu(inp, kernel_shape, bias_shape):
        weights = tfc.get_variable("weights", kernel_shape,
                                   initializer=tfc.random_normal_initializer())
        biases = tfc.get_variable("biases", bias_shape, initializer=tfc.constant_initializer(0.0))
        conv = tfc.nn.conv2d(inp, weights, strides=[1, 1, 1, 1], padding="SAME")
        return tfc.nn.relu(conv + biases)

    def my_image_filter(images):
        with tfc.variable_scope("conv1"):
            relu1 = conv_relu(images, [3, 3, 3, 4], [4])
        with tfc.variable_scope("conv2"):
            return conv_relu(relu1, [3, 3, 4, 4], [4])

    with tfc.variable_scope("image_filters") as scope:
        my_image_filter(IN["im1"])
        created = list(tfc.global_variables())
        _seed(created)
        scope.reuse_variables()
        r1 = my_image_filter(IN["im1"])
        r2 = my_image_filter(IN["im2"])
    assert [v.name for v in created] == [n for n, _ in runs["oracle"]["json:shared_conv/vars"]]
    assert all(v.name.endswith(":0") for v in created)
    assert tfc.global_variables() == created  # nothing new on reuse
    with tfc.variable_scope("image_filters", reuse=True):
        assert tfc.get_variable("conv1/weights") is created[0]
    o = runs["oracle"]
    _assert_close({"r1": r1.numpy(), "r2": r2.numpy()},
                  {"r1": o["shared_conv/before/r1"], "r2": o["shared_conv/before/r2"]}, "eager")
    # an unshared second tower is an error, as in TF1
    with pytest.raises(ValueError, match="Variable image_filters/conv1/weights already exists"):
        with tfc.variable_scope("image_filters"):
            my_image_filter(IN["im1"])


@needs_oracle
def test_eager_ptb_sharing_and_training(runs, tfc):
    """The PTB model as a function called repeatedly under AUTO_REUSE: the same
    variables every call, the oracle's cost before and after 3 SGD steps."""
    V, H, B, T, L = 10, 6, 2, 4, 2
    data = make_inputs()["ptb"]

    def ptb_cost(data):
        init = tfc.random_uniform_initializer(-0.1, 0.1)
        with tfc.variable_scope("Model", reuse=tfc.AUTO_REUSE, initializer=init):
            cell = tfc.nn.rnn_cell.MultiRNNCell(
                [tfc.nn.rnn_cell.BasicLSTMCell(H, forget_bias=0.0) for _ in range(L)])
            state = cell.zero_state(B, tf.float32)
            embedding = tfc.get_variable("embedding", [V, H])
            inputs = tfc.nn.embedding_lookup(embedding, data[:, :-1])
            outputs = []
            with tfc.variable_scope("RNN"):
                for t in range(T):
                    if t > 0:
                        tfc.get_variable_scope().reuse_variables()
                    out, state = cell(inputs[:, t, :], state)
                    outputs.append(out)
            output = tf.reshape(tf.concat(outputs, 1), [-1, H])
            softmax_w = tfc.get_variable("softmax_w", [H, V])
            softmax_b = tfc.get_variable("softmax_b", [V])
            logits = tf.matmul(output, softmax_w) + softmax_b
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(data[:, 1:], [-1]), logits=logits)
            return tf.reduce_sum(loss) / B, state

    ptb_cost(data)
    variables = tfc.global_variables()
    _seed(variables)
    cost, _ = ptb_cost(data)
    cost2, _ = ptb_cost(data)
    assert tfc.global_variables() == variables
    oracle_names = {n for n, _ in runs["oracle"]["json:ptb_manual_unroll/vars"]}
    assert {v.name for v in variables} <= oracle_names
    assert "Model/RNN/multi_rnn_cell/cell_1/basic_lstm_cell/kernel:0" in {v.name for v in variables}
    o = runs["oracle"]
    _assert_close({"c": cost.numpy(), "c2": cost2.numpy()},
                  {"c": o["ptb_manual_unroll/before/train_cost"],
                   "c2": o["ptb_manual_unroll/before/valid_cost"]}, "eager ptb")
    tvars = tfc.trainable_variables()
    for _ in range(3):
        with tf.GradientTape() as tape:
            cost, _ = ptb_cost(data)
        grads, _ = tf.clip_by_global_norm(tape.gradient(cost, tvars), 5.0)
        for v, g in zip(tvars, grads):
            v.assign_sub(g)
    cost, _ = ptb_cost(data)
    _assert_close({"c": cost.numpy()}, {"c": o["ptb_manual_unroll/after/train_cost"]}, "trained")


@needs_oracle
def test_eager_tf_layers_mlp(runs, tfc):
    IN = make_inputs()

    def model(x, training=False):
        reg = lambda w: 0.01 * tf.nn.l2_loss(w)  # noqa: E731
        h = tfc.layers.dense(x, 10, activation=tfc.nn.relu, kernel_regularizer=reg,
                             name="hidden1", reuse=tfc.AUTO_REUSE)
        h = tfc.layers.dropout(h, rate=0.4, training=training)
        h = tfc.layers.dense(h, 8, activation=tfc.nn.tanh, kernel_regularizer=reg,
                             bias_regularizer=reg, name="dense", reuse=tfc.AUTO_REUSE)
        return tfc.layers.dense(h, 3, name="logits", reuse=tfc.AUTO_REUSE)

    model(IN["mx"])
    variables = tfc.global_variables()
    _seed(variables)
    logits = model(IN["mx"])
    assert tfc.global_variables() == variables
    names = [n for n, _ in runs["oracle"]["json:layers_mlp/vars"]]
    assert [v.name for v in variables] == [n for n in names if "Momentum" not in n]
    y = make_inputs()["my"]
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    loss = xent + tfc.losses.get_regularization_loss()
    assert len(tfc.losses.get_regularization_losses()) == 3  # hidden1/kernel, dense/kernel+bias
    o = runs["oracle"]
    _assert_close({"logits": logits.numpy(), "loss": loss.numpy()},
                  {"logits": o["layers_mlp/before/logits"], "loss": o["layers_mlp/before/loss"]},
                  "eager layers")


@needs_oracle
def test_eager_batch_norm_updates_moving_statistics(runs, tfc):
    """Eager ``training=True`` updates the moving statistics at once (TF1's update
    ops' arithmetic); checked against numpy on the oracle program's layer sizes."""
    x = make_inputs()["mx"][:, :6]
    out = tfc.layers.batch_normalization(x, training=True, momentum=0.9, name="bn")
    gamma, beta, mm, mv = tfc.global_variables()
    assert [v.name for v in (gamma, beta, mm, mv)] == [
        "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
    assert tfc.trainable_variables() == [gamma, beta]
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(mm.numpy(), 0.1 * mean, atol=1e-6)
    np.testing.assert_allclose(mv.numpy(), 0.9 + 0.1 * var, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), (x - mean) / np.sqrt(var + 1e-3), atol=1e-5)


@needs_oracle
def test_eager_init_from_checkpoint(runs, tfc):
    """Eager: scope mappings find tfshare store variables and assign at once
    (TF's own function silently does nothing there)."""
    ck = os.path.join(runs["odir"], "init_from_checkpoint", "full-5")
    reader = tf.train.load_checkpoint(ck)
    with tfc.variable_scope("new"):
        a = tfc.get_variable("a", [2, 3], initializer=tfc.zeros_initializer())
        b = tfc.get_variable("sub/b", [2], initializer=tfc.zeros_initializer())
    with tfc.variable_scope("other"):
        c = tfc.get_variable("c", [3], initializer=tfc.zeros_initializer())
    tfc.train.init_from_checkpoint(ck, {"old/": "new/", "root_w": "other/c"})
    np.testing.assert_array_equal(a.numpy(), reader.get_tensor("old/a"))
    np.testing.assert_array_equal(b.numpy(), reader.get_tensor("old/sub/b"))
    np.testing.assert_array_equal(c.numpy(), reader.get_tensor("root_w"))
    o = runs["oracle"]
    with pytest.raises(ValueError) as e:
        tfc.train.init_from_checkpoint(ck, {"old/sub/b": "new/a"})
    assert "ValueError: " + str(e.value) == o["json:init_from_checkpoint/err_shape"]
    with pytest.raises(ValueError) as e:
        tfc.train.init_from_checkpoint(ck, {"old/a": "new/zzz"})
    assert "ValueError: " + str(e.value) == o["json:init_from_checkpoint/err_scope_only"]
