"""When DropoutWrapper(variational_recurrent=True) draws its noise (docs/cells.md §4).

TF1 draws the noise ``U[0,1)`` of shape ``[1, size]`` once per wrapper as a graph
op: every ``session.run`` gets a new mask, and within one run the same mask applies
at every time step and batch entry. tfshare keeps exactly that in graph mode; in
eager / Keras mode it draws a fresh noise at the start of each sequence (each
``keras.layers.RNN`` call, each driver call), inside the current trace.

The masks are observed, not read: an output-dropped cell whose undropped output is
never zero (tanh of non-degenerate inputs) outputs exactly 0 where the mask is 0,
and ``undropped / keep`` elsewhere; a state-dropped cell returns its masked state.
The undropped reference is the same cell (same weights) without dropout.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfshare

UNITS = 48  # two independent keep-0.5 masks agree with probability 2**-48
KEEP = 0.5
RNG = np.random.default_rng(77)
X = RNG.uniform(-0.5, 0.5, (4, 6, 3)).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_store():
    """Each test starts with an empty eager variable store (names like
    ``rnn/basic_rnn_cell/kernel`` recur across tests)."""
    tfshare.reset_default_graph()
    yield


def _wrapper(inner=None, **kwargs):
    args = {"output_keep_prob": KEEP, "variational_recurrent": True, "dtype": tf.float32}
    args.update(kwargs)
    return tfshare.DropoutWrapper(inner or tfshare.BasicRNNCell(UNITS), **args)


def _mask(dropped, undropped):
    """The output mask per (batch, time, unit), checked against the dropout rule:
    each value is 0 or ``undropped / keep``."""
    dropped, undropped = np.asarray(dropped), np.asarray(undropped)
    assert np.all(undropped != 0)
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], undropped[kept] / KEEP, rtol=1e-5, atol=1e-6)
    return kept


def _one_mask(kept):
    """Assert one mask for every batch entry and time step; return it ([units])."""
    flat = kept.reshape(-1, kept.shape[-1])
    assert (flat == flat[:1]).all(), "the mask varies within one sequence"
    assert 0 < flat[0].sum() < flat.shape[-1], "degenerate mask"
    return flat[0]


# --------------------------------------------------------------------------- Keras


def _keras_model(cell):
    inp = keras.Input((X.shape[1], X.shape[2]))
    return keras.Model(inp, keras.layers.RNN(cell, return_sequences=True, name="rnn")(inp))


def test_keras_calls_draw_a_new_mask_each_call_one_mask_per_call():
    cell = _wrapper()
    model = _keras_model(cell)
    plain = model(X, training=False)  # dropout off: the undropped outputs
    traced = tf.function(lambda x: model(x, training=True))
    masks = [_one_mask(_mask(model(X, training=True), plain)) for _ in range(2)]
    masks += [_one_mask(_mask(traced(X), plain)) for _ in range(2)]  # one trace, 2 calls
    for i in range(len(masks)):
        for j in range(i):
            assert (masks[i] != masks[j]).any(), f"calls {j} and {i} used the same mask"


def test_keras_predict_is_deterministic_and_undropped():
    cell = _wrapper(state_keep_prob=0.7)
    model = _keras_model(cell)
    a = model.predict(X, verbose=0)
    b = model.predict(X, verbose=0)
    np.testing.assert_array_equal(a, b)
    assert np.all(a != 0)
    np.testing.assert_allclose(a, np.asarray(model(X, training=False)), rtol=1e-5, atol=1e-6)


class _MaskRecorder(keras.metrics.Metric):
    """Records, for each training batch, the zero pattern of y_pred at (0, 0) and
    how many values of the batch deviate from it (the within-batch mask check)."""

    def __init__(self, batches, **kwargs):
        super().__init__(name="mask_recorder", **kwargs)
        self.rows = self.add_variable(shape=(batches, UNITS), initializer="zeros", name="rows")
        self.deviations = self.add_variable(shape=(), initializer="zeros", name="deviations")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="int32",
                                       name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        zero = tf.cast(tf.equal(y_pred, 0.0), tf.float32)  # [B, T, U]
        row = zero[0, 0]
        self.deviations.assign_add(tf.reduce_sum(tf.abs(zero - row)))
        index = tf.reshape(tf.convert_to_tensor(self.count), [1, 1])
        self.rows.assign(tf.tensor_scatter_nd_update(tf.convert_to_tensor(self.rows), index,
                                                     row[None]))
        self.count.assign_add(1)

    def result(self):
        return tf.cast(self.count, tf.float32)


@pytest.mark.parametrize("jit_compile", [False, "auto"])
def test_fit_uses_a_new_mask_per_batch(jit_compile):
    batches = 3
    cell = _wrapper()
    model = _keras_model(cell)
    recorder = _MaskRecorder(batches)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=[recorder],
                  jit_compile=jit_compile)
    x = np.concatenate([X] * batches)
    model.fit(x, np.zeros((len(x), X.shape[1], UNITS), np.float32), batch_size=len(X),
              epochs=1, shuffle=False, verbose=0)
    assert int(recorder.count.numpy()) == batches
    assert float(recorder.deviations.numpy()) == 0.0, "the mask varied within a batch"
    rows = recorder.rows.numpy()
    assert np.all((rows.sum(1) > 0) & (rows.sum(1) < UNITS)), rows.sum(1)
    for i in range(batches):
        for j in range(i):
            assert (rows[i] != rows[j]).any(), f"batches {j} and {i} used the same mask"


def test_keras_multi_rnn_cell_propagates_the_sequence_start():
    """Both wrappers inside a MultiRNNCell draw new masks per call: the first one's
    state mask shows in its returned state, the second one's output mask in the
    output."""
    first = _wrapper(tfshare.BasicRNNCell(UNITS), output_keep_prob=1.0, state_keep_prob=KEEP)
    second = _wrapper(tfshare.BasicRNNCell(UNITS))
    layer = keras.layers.RNN(tfshare.MultiRNNCell([first, second]), return_sequences=True,
                             return_state=True)
    seen = []
    for _ in range(2):
        out, s0, _ = layer(X, training=True)
        out_zero, s0_zero = np.asarray(out) == 0, np.asarray(s0) == 0
        seen.append((_one_mask(~out_zero), _one_mask(~s0_zero)))
    assert (seen[0][0] != seen[1][0]).any(), "the output mask did not change"
    assert (seen[0][1] != seen[1][1]).any(), "the nested wrapper's state mask did not change"


def test_hand_set_noise_wins_over_sequences():
    """tests/cellutil.py feeds TF1's noise through ``set_variational_noise``: it then
    holds for every call, also in keras.layers.RNN."""
    import cellutil

    cell = _wrapper()
    layer = keras.layers.RNN(cell, return_sequences=True)
    layer(X, training=True)  # build
    noise = np.tile(np.array([[0.9, 0.1]], np.float32), (1, UNITS // 2))  # keep every other
    assert cellutil.set_variational_noise(cell, {"output": [noise]})
    plain = layer(X, training=False)
    for _ in range(2):
        mask = _one_mask(_mask(layer(X, training=True), plain))
        np.testing.assert_array_equal(mask, np.floor(KEEP + noise[0]) == 1)


def test_direct_eager_calls_use_the_wrapper_noise_until_a_sequence_starts():
    cell = _wrapper()
    inner = cell.cell
    state = tf.zeros([X.shape[0], UNITS])

    def step_mask():
        out, _ = cell(X[:, 0], state)
        return _one_mask(_mask(out, inner(X[:, 0], state)[0]))

    a, b = step_mask(), step_mask()
    np.testing.assert_array_equal(a, b)  # per-wrapper noise: the same for every call
    cell.get_initial_state(batch_size=X.shape[0])  # starts a sequence: new noise
    c, d = step_mask(), step_mask()
    np.testing.assert_array_equal(c, d)
    assert (c != a).any()


# --------------------------------------------------------------------------- drivers


def _driver_masks(run, plain, calls=3):
    return [_one_mask(_mask(run(), plain)) for _ in range(calls)]


def _all_different(masks):
    for i in range(len(masks)):
        for j in range(i):
            assert (masks[i] != masks[j]).any(), f"driver calls {j} and {i} used the same mask"


@pytest.mark.parametrize("state_keep", [1.0, 0.6])
def test_dynamic_rnn_eager_new_mask_per_call(state_keep):
    """The first eager call runs step 0 eagerly and the rest in a compiled loop, later
    calls are one cached tf.function: every call has one mask over time and batch,
    and a new one each call."""
    cell = _wrapper(state_keep_prob=state_keep)
    run = lambda: tfshare.dynamic_rnn(cell, X, dtype=tf.float32)[0]  # noqa: E731
    first = run()
    if state_keep == 1.0:
        plain = tfshare.dynamic_rnn(cell.cell, X, dtype=tf.float32)[0]  # same weights
        masks = [_one_mask(_mask(first, plain))] + _driver_masks(run, plain)
    else:  # the state mask changes the dynamics: check the zero pattern only
        masks = [_one_mask(np.asarray(o) != 0) for o in [first] + [run() for _ in range(3)]]
    _all_different(masks)


def test_dynamic_rnn_eager_new_scope_reuses_compiled_loop_with_new_noise():
    """Two first-eager calls (two driver scopes) share the per-cell compiled loop;
    the second must not reuse the first call's noise frozen into it."""
    cell = _wrapper()
    outs = [tfshare.dynamic_rnn(cell, X, dtype=tf.float32, scope=s)[0] for s in ("a", "b")]
    plain = tfshare.dynamic_rnn(cell.cell, X, dtype=tf.float32, scope="a")[0]
    _all_different([_one_mask(_mask(o, plain)) for o in outs])


def test_static_and_bidirectional_rnn_eager_new_mask_per_call():
    cell = _wrapper()
    xs = [tf.constant(X[:, t]) for t in range(X.shape[1])]
    stack = lambda outs: np.stack([np.asarray(o) for o in outs], 1)  # noqa: E731
    run = lambda: stack(tfshare.static_rnn(cell, xs, dtype=tf.float32)[0])  # noqa: E731
    first = run()
    plain = stack(tfshare.static_rnn(cell.cell, xs, dtype=tf.float32)[0])
    _all_different([_one_mask(_mask(first, plain))] + _driver_masks(run, plain))

    fw, bw = _wrapper(), _wrapper()
    runs = [tfshare.bidirectional_dynamic_rnn(fw, bw, X, dtype=tf.float32)[0] for _ in range(3)]
    for k in range(2):
        _all_different([_one_mask(np.asarray(r[k]) != 0) for r in runs])


def test_driver_inside_user_tf_function_draws_per_call():
    cell = _wrapper()
    tfshare.dynamic_rnn(cell, X, dtype=tf.float32)  # variables, outside the function
    fn = tf.function(lambda x: tfshare.dynamic_rnn(cell, x, dtype=tf.float32)[0])
    plain = tfshare.dynamic_rnn(cell.cell, X, dtype=tf.float32)[0]
    _all_different(_driver_masks(lambda: fn(tf.constant(X)), plain))


def test_graph_mode_one_mask_per_session_run_as_tf1():
    """Graph mode is TF1's: the noise is one graph op per wrapper, so one
    ``session.run`` uses one mask everywhere (also across two driver calls on the
    same wrapper), and each run draws a new one."""
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        cell = _wrapper()
        x = tf.constant(X)
        out1 = tfshare.dynamic_rnn(cell, x, dtype=tf.float32, scope="rnn")[0]
        out2 = tfshare.dynamic_rnn(cell, x, dtype=tf.float32, scope="rnn")[0]
        plain = tfshare.dynamic_rnn(cell.cell, x, dtype=tf.float32, scope="rnn")[0]
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            masks = []
            for _ in range(3):
                a, b, p = sess.run([out1, out2, plain])
                m = _one_mask(_mask(a, p))
                np.testing.assert_array_equal(m, _one_mask(_mask(b, p)))
                masks.append(m)
    _all_different(masks)
