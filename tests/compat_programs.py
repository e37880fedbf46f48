"""TF1 programs for the compat end-to-end tests (shared by the oracle and tfshare).

Each program is ONE source text with ``tf`` as a free name. It runs on the
legacy oracle (``tf`` = ``tensorflow.compat.v1`` with legacy Keras, plus a small
``tf.contrib`` made of the oracle's own classes) and on ``tfshare.compat.v1``.

A program defines:
  FETCH      dict name -> tensor, evaluated before and after training
  FEED       feed dict for FETCH (placeholders -> arrays from IN)
  TRAIN      a training op (run STEPS times with FEED), or None
  EXTRA      optional dict of JSON-able facts (names, counts) to compare
or, when it manages its own graphs and sessions, sets SELF_CONTAINED = True and
calls ``emit(key, value)``.

DRIVER runs programs in a fresh graph each: every float variable is set to
values seeded by a hash of its name (``name_seeded``), so both implementations
start from identical weights whatever their initializers draw.
"""

DRIVER = r'''
import zlib as _zlib
import numpy as _np

STEPS = 3


def name_seeded(name, shape):
    rng = _np.random.RandomState(_zlib.crc32(name.encode()) % (2 ** 31))
    if "moving_variance" in name:
        return rng.uniform(0.5, 1.5, shape).astype(_np.float32)
    return rng.uniform(-0.5, 0.5, shape).astype(_np.float32)


def seed_all(sess):
    """Model variables (trainable ones and moving statistics) get name-seeded
    values; optimizer state keeps its deterministic initial values."""
    for v in tf.global_variables():
        if v.dtype.base_dtype.is_floating and (v in tf.trainable_variables()
                                               or "moving_" in v.name):
            v.load(name_seeded(v.name, v.shape.as_list()), sess)


def _run_program(prog_name, src, phase, ckdir, out, graph_factory):
    """phase 'train': seed, fetch, train, fetch, save to ckdir/prog_name/model.
    phase 'restore': build, restore from ckdir/prog_name/model, fetch."""
    key = prog_name + "/"
    import os as _os
    _os.makedirs(ckdir + "/" + prog_name, exist_ok=True)

    def emit(k, value):
        if isinstance(value, (list, dict, str, bool, int)) or value is None:
            out["json:" + key + k] = value
        else:
            out[key + k] = _np.asarray(value)

    g = {"tf": tf, "np": _np, "IN": IN, "emit": emit, "seed_all": seed_all,
         "name_seeded": name_seeded, "CKDIR": ckdir + "/" + prog_name, "PHASE": phase,
         "__name__": "tf1_program"}
    with graph_factory():
        exec(compile(src, prog_name, "exec"), g)
        if g.get("SELF_CONTAINED"):
            return
        fetch, feed = g["FETCH"], g.get("FEED", {})
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            if phase == "restore":
                saver.restore(sess, ckdir + "/" + prog_name + "/model")
                for k, v in sess.run(fetch, feed).items():
                    emit("restored/" + k, v)
                if "AFTER" in g:
                    g["AFTER"](sess, lambda k, v: emit("restored/" + k, v))
                return
            emit("vars", [[v.name, v.shape.as_list()] for v in tf.global_variables()])
            emit("trainable", [v.name for v in tf.trainable_variables()])
            for k, v in sorted(g.get("EXTRA", {}).items()):
                emit("extra/" + k, v)
            seed_all(sess)
            for k, v in sess.run(fetch, feed).items():
                emit("before/" + k, v)
            if g.get("TRAIN") is not None:
                for _ in range(STEPS):
                    sess.run(g["TRAIN"], g.get("TRAIN_FEED", feed))
            for k, v in sess.run(fetch, feed).items():
                emit("after/" + k, v)
            if "AFTER" in g:
                g["AFTER"](sess, lambda k, v: emit("after/" + k, v))
            saver.save(sess, ckdir + "/" + prog_name + "/model")


def run_programs(programs, phase, ckdir, out, graph_factory):
    """Run every program; a failing program records its traceback under
    ``json:<name>/error/<phase>`` and the others still run."""
    import traceback as _tb
    for prog_name, src in programs.items():
        try:
            _run_program(prog_name, src, phase, ckdir, out, graph_factory)
        except Exception:
            out["json:" + prog_name + "/error/" + phase] = _tb.format_exc()[-3000:]
'''

# tf.contrib for the oracle: TF1's tf.contrib.rnn classes are the core rnn_cell
# classes, so the oracle's own legacy classes stand in for them.
ORACLE_CONTRIB = r'''
import types as _types


def _oracle_stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                                            initial_states_bw=None, dtype=None,
                                            sequence_length=None, parallel_iterations=None,
                                            time_major=False, scope=None, swap_memory=False):
    states_fw, states_bw = [], []
    prev = inputs
    with _v1.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cf, cb) in enumerate(zip(cells_fw, cells_bw)):
            with _v1.variable_scope("cell_%d" % i):
                (o_fw, o_bw), (s_fw, s_bw) = _v1.nn.bidirectional_dynamic_rnn(
                    cf, cb, prev, sequence_length=sequence_length, dtype=dtype,
                    time_major=time_major)
                prev = _v1.concat([o_fw, o_bw], 2)
            states_fw.append(s_fw)
            states_bw.append(s_bw)
    return prev, tuple(states_fw), tuple(states_bw)


_rc = _v1.nn.rnn_cell
_contrib_rnn = _types.SimpleNamespace(
    BasicRNNCell=_rc.BasicRNNCell, BasicLSTMCell=_rc.BasicLSTMCell, LSTMCell=_rc.LSTMCell,
    GRUCell=_rc.GRUCell, MultiRNNCell=_rc.MultiRNNCell, DropoutWrapper=_rc.DropoutWrapper,
    LSTMStateTuple=_rc.LSTMStateTuple, static_rnn=_v1.nn.static_rnn,
    static_bidirectional_rnn=_v1.nn.static_bidirectional_rnn,
    stack_bidirectional_dynamic_rnn=_oracle_stack_bidirectional_dynamic_rnn)
_contrib_layers = _types.SimpleNamespace(flatten=_v1.layers.flatten)


class _OracleTF:
    contrib = _types.SimpleNamespace(rnn=_contrib_rnn, layers=_contrib_layers)

    def __getattr__(self, name):
        return getattr(_v1, name)


tf = _OracleTF()
'''

PROGRAMS = {}

# 1. MNIST-style classifier: rows of an image are the time steps of a static_rnn.
PROGRAMS["mnist_static_rnn"] = r'''
n_steps, n_input, n_hidden, n_classes = 5, 6, 8, 4
x = tf.placeholder("float", [None, n_steps, n_input])
y = tf.placeholder(tf.int64, [None])
weights = {"out": tf.Variable(tf.random_normal([n_hidden, n_classes]), name="W_out")}
biases = {"out": tf.Variable(tf.random_normal([n_classes]), name="b_out")}


def RNN(x, weights, biases):
    x = tf.unstack(x, n_steps, 1)
    lstm_cell = tf.contrib.rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)
    outputs, states = tf.contrib.rnn.static_rnn(lstm_cell, x, dtype=tf.float32)
    return tf.matmul(outputs[-1], weights["out"]) + biases["out"], states


pred, states = RNN(x, weights, biases)
cost = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=pred, labels=y))
TRAIN = tf.train.GradientDescentOptimizer(learning_rate=0.5).minimize(cost)
correct = tf.equal(tf.argmax(pred, 1), y)
FETCH = {"pred": pred, "cost": cost, "c": states.c, "h": states.h,
         "accuracy": tf.reduce_mean(tf.cast(correct, tf.float32))}
FEED = {x: IN["img"], y: IN["label"]}
'''

# 2. The variable_scope tutorial: shared convolution filters.
PROGRAMS["shared_conv"] = r'''
def conv_relu(input, kernel_shape, bias_shape):
    weights = tf.get_variable("weights", kernel_shape, initializer=tf.random_normal_initializer())
    biases = tf.get_variable("biases", bias_shape, initializer=tf.constant_initializer(0.0))
    conv = tf.nn.conv2d(input, weights, strides=[1, 1, 1, 1], padding="SAME")
    return tf.nn.relu(conv + biases)


def my_image_filter(input_images):
    with tf.variable_scope("conv1"):
        relu1 = conv_relu(input_images, [3, 3, 3, 4], [4])
    with tf.variable_scope("conv2"):
        return conv_relu(relu1, [3, 3, 4, 4], [4])


image1 = tf.placeholder(tf.float32, [None, 6, 6, 3])
image2 = tf.placeholder(tf.float32, [None, 6, 6, 3])
with tf.variable_scope("image_filters") as scope:
    result1 = my_image_filter(image1)
    scope.reuse_variables()
    result2 = my_image_filter(image2)
loss = tf.reduce_mean(tf.square(result1 - 0.5 * result2 - 0.1))
TRAIN = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
FETCH = {"r1": result1, "r2": result2, "loss": loss}
FEED = {image1: IN["im1"], image2: IN["im2"]}
'''

# 3. A two-layer bidirectional tagger with sequence_length and a tf.layers head.
PROGRAMS["bidir_tagger"] = r'''
V, E, H, T, K = 11, 5, 6, 7, 4
words = tf.placeholder(tf.int32, [None, T], name="words")
tags = tf.placeholder(tf.int32, [None, T], name="tags")
lengths = tf.placeholder(tf.int32, [None], name="lengths")
with tf.variable_scope("embedding"):
    emb = tf.get_variable("word_emb", [V, E])
    x = tf.nn.embedding_lookup(emb, words)
for layer in range(2):
    with tf.variable_scope("bilstm_%d" % layer):
        cell_fw = tf.nn.rnn_cell.LSTMCell(H, use_peepholes=(layer == 0))
        cell_bw = tf.nn.rnn_cell.GRUCell(H)
        (o_fw, o_bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
            cell_fw, cell_bw, x, sequence_length=lengths, dtype=tf.float32)
        x = tf.concat([o_fw, o_bw], axis=-1)
logits = tf.layers.dense(x, K, name="proj")
mask = tf.sequence_mask(lengths, T, dtype=tf.float32)
xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tags, logits=logits)
loss = tf.reduce_sum(xent * mask) / tf.reduce_sum(mask)
TRAIN = tf.train.AdamOptimizer(0.01).minimize(loss)
FETCH = {"logits": logits, "loss": loss, "fw_c": s_fw.c, "fw_h": s_fw.h, "bw": s_bw}
FEED = {words: IN["words"], tags: IN["tags"], lengths: IN["lengths"]}
'''

# 4. char-RNN: MultiRNNCell + DropoutWrapper, and a sampling graph built with reuse=True.
PROGRAMS["char_rnn"] = r'''
V, H, B, T = 9, 8, 3, 6
keep_prob = tf.placeholder_with_default(1.0, [], name="keep_prob")


def build(inputs, reuse):
    with tf.variable_scope("rnnlm", reuse=reuse):
        cells = [tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(H),
                                               output_keep_prob=keep_prob) for _ in range(2)]
        cell = tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=True)
        embedding = tf.get_variable("embedding", [V, H])
        x = tf.nn.embedding_lookup(embedding, inputs)
        init = cell.zero_state(tf.shape(inputs)[0], tf.float32)
        out, state = tf.nn.dynamic_rnn(cell, x, initial_state=init)
        softmax_w = tf.get_variable("softmax_w", [H, V])
        softmax_b = tf.get_variable("softmax_b", [V])
        logits = tf.matmul(tf.reshape(out, [-1, H]), softmax_w) + softmax_b
    return logits, init, state


inp = tf.placeholder(tf.int32, [B, T])
tgt = tf.placeholder(tf.int32, [B, T])
logits, _, _ = build(inp, None)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
    labels=tf.reshape(tgt, [-1]), logits=logits))
tvars = tf.trainable_variables()
grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), 5.0)
TRAIN = tf.train.GradientDescentOptimizer(0.5).apply_gradients(zip(grads, tvars))

s_in = tf.placeholder(tf.int32, [1, 1])
s_logits, s_init, s_state = build(s_in, True)
s_probs = tf.nn.softmax(s_logits)
EXTRA = {"n_vars_after_sampler": len(tf.global_variables())}
FETCH = {"logits": logits, "loss": loss}
FEED = {inp: IN["chars"][:, :-1], tgt: IN["chars"][:, 1:], keep_prob: 1.0}
TRAIN_FEED = FEED



def AFTER(sess, emit):
    """Greedy sampling, feeding the state back (as char-rnn's sample() does)."""
    state = sess.run(s_init, {s_in: [[0]]})
    ch, seq, probs = 1, [], []
    for _ in range(5):
        p, state = sess.run([s_probs, s_state], {s_in: [[ch]], s_init: state})
        ch = int(np.argmax(p[0]))
        seq.append(ch)
        probs.append(p[0])
    emit("sample_probs", np.array(probs))
    emit("sample_seq", np.array(seq))
'''

# 5. PTB-style model: manual unrolling with reuse_variables(), train/valid sharing weights.
PROGRAMS["ptb_manual_unroll"] = r'''
V, H, B, T, L = 10, 6, 2, 4, 2


class PTBModel(object):
    def __init__(self, is_training, input_data, targets):
        def lstm_cell():
            return tf.nn.rnn_cell.BasicLSTMCell(H, forget_bias=0.0, state_is_tuple=True)
        cell = tf.nn.rnn_cell.MultiRNNCell([lstm_cell() for _ in range(L)], state_is_tuple=True)
        self.initial_state = cell.zero_state(B, tf.float32)
        with tf.device("/cpu:0"):
            embedding = tf.get_variable("embedding", [V, H], dtype=tf.float32)
            inputs = tf.nn.embedding_lookup(embedding, input_data)
        outputs = []
        state = self.initial_state
        with tf.variable_scope("RNN"):
            for time_step in range(T):
                if time_step > 0:
                    tf.get_variable_scope().reuse_variables()
                (cell_output, state) = cell(inputs[:, time_step, :], state)
                outputs.append(cell_output)
        output = tf.reshape(tf.concat(outputs, 1), [-1, H])
        softmax_w = tf.get_variable("softmax_w", [H, V], dtype=tf.float32)
        softmax_b = tf.get_variable("softmax_b", [V], dtype=tf.float32)
        logits = tf.matmul(output, softmax_w) + softmax_b
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(targets, [-1]), logits=logits)
        self.cost = tf.reduce_sum(loss) / B
        self.final_state = state
        if not is_training:
            return
        self.lr = tf.Variable(0.0, trainable=False, name="lr")
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(self.cost, tvars), 5.0)
        optimizer = tf.train.GradientDescentOptimizer(1.0)
        self.train_op = optimizer.apply_gradients(
            zip(grads, tvars), global_step=tf.train.get_or_create_global_step())


data = tf.placeholder(tf.int32, [B, T + 1])
initializer = tf.random_uniform_initializer(-0.1, 0.1)
with tf.name_scope("Train"):
    with tf.variable_scope("Model", reuse=None, initializer=initializer):
        m = PTBModel(True, data[:, :-1], data[:, 1:])
with tf.name_scope("Valid"):
    with tf.variable_scope("Model", reuse=True, initializer=initializer):
        mvalid = PTBModel(False, data[:, :-1], data[:, 1:])
TRAIN = m.train_op
FETCH = {"train_cost": m.cost, "valid_cost": mvalid.cost,
         "final_h": m.final_state[-1].h, "valid_final_c": mvalid.final_state[0].c}
FEED = {data: IN["ptb"]}
'''

# 6. Transfer learning: train a base network, save only its variables with
#    Saver(var_list=...), then restore them under a new head in a new graph.
PROGRAMS["transfer"] = r'''
SELF_CONTAINED = True


def base_net(x):
    with tf.variable_scope("base"):
        h = tf.layers.dense(x, 8, activation=tf.nn.tanh, name="fc1")
        return tf.layers.dense(h, 6, activation=tf.nn.relu, name="fc2")


with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int32, [None])
    logits = tf.layers.dense(base_net(x), 3, name="old_head")
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)
    base_vars = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="base")
    emit("base_vars", [v.name for v in base_vars])
    saver = tf.train.Saver(var_list=base_vars)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seed_all(sess)
        for _ in range(3):
            sess.run(train, {x: IN["tx"], y: IN["ty"]})
        emit("base_loss", sess.run(loss, {x: IN["tx"], y: IN["ty"]}))
        path = saver.save(sess, CKDIR + "/base")
emit("ckpt_names", sorted(n for n, _ in tf.train.list_variables(CKDIR + "/base")))

with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int32, [None])
    feats = base_net(x)
    logits = tf.layers.dense(tf.stop_gradient(feats), 2, name="new_head")
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    head_vars = tf.trainable_variables("new_head")
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss, var_list=head_vars)
    restorer = tf.train.Saver(var_list=tf.global_variables("base"))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for v in head_vars:
            v.load(name_seeded(v.name, v.shape.as_list()), sess)
        restorer.restore(sess, CKDIR + "/base")
        emit("feats", sess.run(feats, {x: IN["tx"]}))
        for _ in range(3):
            sess.run(train, {x: IN["tx"], y: IN["ty"] % 2})
        emit("new_loss", sess.run(loss, {x: IN["tx"], y: IN["ty"] % 2}))
        emit("new_vars", [v.name for v in tf.global_variables()])
'''

# 7. tf.layers MLP: dense + dropout + kernel_regularizer, regularization loss.
PROGRAMS["layers_mlp"] = r'''
x = tf.placeholder(tf.float32, [None, 7])
y = tf.placeholder(tf.int32, [None])
training = tf.placeholder_with_default(False, [], name="training")
reg = lambda w: 0.01 * tf.nn.l2_loss(w)
h = tf.layers.dense(x, 10, activation=tf.nn.relu, kernel_regularizer=reg, name="hidden1")
h = tf.layers.dropout(h, rate=0.4, training=training)
h = tf.layers.dense(h, 8, activation=tf.nn.tanh, kernel_regularizer=reg, bias_regularizer=reg)
h = tf.layers.dropout(h, rate=0.4)
logits = tf.layers.dense(h, 3, name="logits")
xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
reg_losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
loss = xent + tf.losses.get_regularization_loss()
TRAIN = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
EXTRA = {"n_reg_losses": len(reg_losses)}
FETCH = {"logits": logits, "xent": xent, "loss": loss, "reg": tf.add_n(reg_losses)}
FEED = {x: IN["mx"], y: IN["my"]}
'''

# 8. tf.layers CNN: conv2d + batch_normalization (UPDATE_OPS) + pooling + conv1d,
#    conv2d_transpose, a 2-D batch norm (non-fused path) and dense.
PROGRAMS["layers_cnn"] = r'''
images = tf.placeholder(tf.float32, [None, 8, 8, 2])
labels = tf.placeholder(tf.int32, [None])
is_training = tf.placeholder_with_default(True, [], name="is_training")
net = tf.layers.conv2d(images, 4, [3, 3], padding="same", use_bias=False, name="conv1")
net = tf.layers.batch_normalization(net, training=is_training, momentum=0.9, name="bn1")
net = tf.nn.relu(net)
net = tf.layers.max_pooling2d(net, pool_size=2, strides=2)
net = tf.layers.conv2d(net, 5, 3, strides=(1, 1), padding="valid", activation=tf.nn.elu)
up = tf.layers.conv2d_transpose(net, 3, 3, strides=2, padding="same", name="deconv")
avg = tf.layers.average_pooling2d(up, 2, 2, padding="same")
seq = tf.reshape(up, [-1, 4 * 4, 3])
c1 = tf.layers.conv1d(seq, 4, 3, padding="same", activation=tf.nn.relu)
c1 = tf.layers.max_pooling1d(c1, 2, 2)
c1 = tf.layers.average_pooling1d(c1, 2, 1)
flat = tf.concat([tf.layers.flatten(net), tf.layers.flatten(avg), tf.layers.flatten(c1)], 1)
fc = tf.layers.dense(flat, 6)
fc = tf.layers.batch_normalization(fc, training=is_training, name="bn_fc")
logits = tf.layers.dense(tf.nn.relu(fc), 3)
loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    TRAIN = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
EXTRA = {"n_update_ops": len(update_ops), "shapes": [t.shape.as_list() for t in (net, up, avg, c1, flat)]}
FETCH = {"logits": logits, "loss": loss, "up": up, "c1": c1}
FEED = {images: IN["cx"], labels: IN["cy"]}


def AFTER(sess, emit):
    """Inference with the moving statistics (training=False)."""
    emit("infer_logits", sess.run(logits, {images: IN["cx"], is_training: False}))
    emit("moving", sess.run([v for v in tf.global_variables() if v.name == "bn1/moving_variance:0"][0]))
'''

# 9. tf.layers naming and sharing rules (reference §4.1).
PROGRAMS["layers_sharing"] = r'''
x = tf.placeholder(tf.float32, [None, 4])


def tower(inp):
    h = tf.layers.dense(inp, 5, activation=tf.nn.relu, name="fc")
    return tf.layers.dense(h, 2)


with tf.variable_scope("tower") as vs:
    a = tower(x)
with tf.variable_scope(vs, reuse=True):
    b = tower(x * 2.0)
with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
    c1 = tf.layers.dense(x, 3)
    c2 = tf.layers.dense(x, 3)
with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
    c3 = tf.layers.dense(x, 3)
d1 = tf.layers.Dense(3, name="cls")
d2 = tf.layers.Dense(3, name="cls")
e1, e2 = d1(x), d2(x)
e3 = d1(x + 1.0)
u1, u2 = tf.layers.Dense(2), tf.layers.Dense(2)
u1(x)
u2(x)
with tf.variable_scope("outer") as outer:
    f = tf.layers.dense(x, 2, name=outer)
bn = tf.layers.BatchNormalization(name="norm")
g1 = bn(x, training=False)


class Scale(tf.layers.Layer):
    """A user-defined TF1 layer."""

    def build(self, input_shape):
        self.w = self.add_variable("w", [int(input_shape[-1])],
                                   initializer=tf.constant_initializer(2.0))
        super(Scale, self).build(input_shape)

    def call(self, inputs):
        return inputs * self.w


scale = Scale(name="scale")
h1 = scale(x)
h2 = scale(x + 1.0)
seq3 = tf.layers.dense(tf.reshape(tf.tile(x, [1, 3]), [-1, 3, 4]), 2, name="dense3d")
EXTRA = {"layer_names": [d1.name, d2.name, u1.name, u2.name],
         "scope_names": [d1.scope_name, d2.scope_name, u1.scope_name, u2.scope_name,
                         bn.scope_name],
         "trainable_norm": [v.name for v in bn.trainable_variables],
         "weights_norm": [v.name for v in bn.weights],
         "scale": [scale.name, scale.scope_name, [v.name for v in scale.weights]],
         "shape3d": seq3.shape.as_list()}
loss = tf.reduce_sum(a * b) + tf.reduce_sum(c1 + c2 - c3) + tf.reduce_sum(e1 * e2 * e3) \
    + tf.reduce_sum(f) + tf.reduce_sum(g1) + tf.reduce_sum(h1 * h2) + tf.reduce_sum(seq3 ** 2)
TRAIN = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
FETCH = {"a": a, "b": b, "c3": c3, "e3": e3, "f": f, "g1": g1, "h2": h2, "seq3": seq3,
         "loss": loss}
FEED = {x: IN["sx"]}
'''

# 10. tf.contrib.rnn.stack_bidirectional_dynamic_rnn + contrib.layers.flatten.
PROGRAMS["contrib_stack_bidir"] = r'''
T, D, H = 5, 3, 4
x = tf.placeholder(tf.float32, [None, T, D])
lengths = tf.placeholder(tf.int32, [None])
cells_fw = [tf.contrib.rnn.LSTMCell(H), tf.contrib.rnn.GRUCell(H)]
cells_bw = [tf.contrib.rnn.LSTMCell(H), tf.contrib.rnn.GRUCell(H)]
out, st_fw, st_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
    cells_fw, cells_bw, x, sequence_length=lengths, dtype=tf.float32)
flat = tf.contrib.layers.flatten(out)
loss = tf.reduce_mean(tf.square(flat - 0.1))
TRAIN = None  # forward only (keeps the test fast); training is covered by bidir_tagger
FETCH = {"out": out, "loss": loss, "fw1": st_fw[1], "bw0h": st_bw[0].h}
FEED = {x: IN["bx"], lengths: IN["blen"]}
'''


def make_inputs():
    """The program inputs (deterministic)."""
    import numpy as np

    rng = np.random.RandomState(1234)
    return {
        "img": rng.uniform(-1, 1, (4, 5, 6)).astype(np.float32),
        "label": np.array([0, 3, 1, 2], np.int64),
        "im1": rng.uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32),
        "im2": rng.uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32),
        "words": rng.randint(0, 11, (3, 7)).astype(np.int32),
        "tags": rng.randint(0, 4, (3, 7)).astype(np.int32),
        "lengths": np.array([7, 4, 2], np.int32),
        "chars": rng.randint(0, 9, (3, 7)).astype(np.int32),
        "ptb": rng.randint(0, 10, (2, 5)).astype(np.int32),
        "tx": rng.uniform(-1, 1, (6, 5)).astype(np.float32),
        "ty": np.array([0, 1, 2, 2, 1, 0], np.int32),
        "mx": rng.uniform(-1, 1, (5, 7)).astype(np.float32),
        "my": np.array([0, 1, 2, 1, 0], np.int32),
        "cx": rng.uniform(-1, 1, (3, 8, 8, 2)).astype(np.float32),
        "cy": np.array([0, 2, 1], np.int32),
        "sx": rng.uniform(-1, 1, (3, 4)).astype(np.float32),
        "bx": rng.uniform(-1, 1, (3, 5, 3)).astype(np.float32),
        "blen": np.array([5, 3, 1], np.int32),
        "rx": rng.uniform(-1, 1, (4, 3, 3)).astype(np.float32),
        "rlen": np.array([4, 2, 3], np.int32),
    }

# 11. tf.layers bad input: the exact TF1 error texts.
PROGRAMS["layers_errors"] = r'''
SELF_CONTAINED = True


def error_of(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        kind = "ValueError" if isinstance(e, ValueError) else "TypeError"
        return kind + ": " + str(e).split("\n")[0]
    return None


x = tf.placeholder(tf.float32, [None, 4])
im = tf.placeholder(tf.float32, [None, 5, 5, 2])
tf.layers.dense(x, 3, name="fc")
emit("already_exists", error_of(lambda: tf.layers.dense(x, 3, name="fc")))
emit("shape_mismatch", error_of(lambda: tf.layers.dense(x, 5, name="fc", reuse=True)))
emit("does_not_exist", error_of(lambda: tf.layers.dense(x, 3, name="nope", reuse=True)))
tf.layers.conv2d(im, 4, 3, name="conv")
emit("conv_exists", error_of(lambda: tf.layers.conv2d(im, 4, 3, name="conv")))
emit("conv_shape", error_of(lambda: tf.layers.conv2d(im, 4, 2, name="conv", reuse=True)))
emit("conv_reuse_ok", error_of(lambda: tf.layers.conv2d(im, 4, 3, name="conv",
                                                          reuse=tf.AUTO_REUSE)))
tf.layers.batch_normalization(x, name="bn")
emit("bn_exists", error_of(lambda: tf.layers.batch_normalization(x, name="bn")))
with tf.variable_scope("s"):
    tf.layers.dense(x, 2)
with tf.variable_scope("s", reuse=True):
    emit("reuse_unnamed_ok", error_of(lambda: tf.layers.dense(x, 2)))
    emit("reuse_unnamed_second", error_of(lambda: tf.layers.dense(x, 2)))
layer = tf.layers.Dense(3, name="late")
emit("scope_name_early", error_of(lambda: layer.scope_name))
emit("n_vars", len(tf.global_variables()))
'''

# 12. train.init_from_checkpoint: assignment-map forms and error texts (graph mode).
PROGRAMS["init_from_checkpoint"] = r'''
SELF_CONTAINED = True


def error_of(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        kind = "ValueError" if isinstance(e, ValueError) else "TypeError"
        return kind + ": " + str(e).replace(CKDIR, "<CK>").split("\n")[0]
    return None


with tf.Graph().as_default():
    with tf.variable_scope("old"):
        a = tf.get_variable("a", [2, 3])
        with tf.variable_scope("sub"):
            b = tf.get_variable("b", [2])
        extra = tf.get_variable("extra", [4])
    root = tf.get_variable("root_w", [3])
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seed_all(sess)
        path = saver.save(sess, CKDIR + "/full", global_step=5)
emit("ckpt", sorted(n for n, _ in tf.train.list_variables(CKDIR)))


def graph_case(build, mapping_fn):
    with tf.Graph().as_default():
        vs = build()
        err = error_of(lambda: tf.train.init_from_checkpoint(path, mapping_fn(vs)))
        if err is not None:
            return err
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return {k: sess.run(v).tolist() for k, v in sorted(vs.items())}


def new_vars():
    with tf.variable_scope("new"):
        a = tf.get_variable("a", [2, 3], initializer=tf.zeros_initializer())
        with tf.variable_scope("sub"):
            b = tf.get_variable("b", [2], initializer=tf.zeros_initializer())
        extra = tf.get_variable("extra", [4], initializer=tf.zeros_initializer())
    with tf.variable_scope("new_1"):
        c = tf.get_variable("a", [2, 3], initializer=tf.zeros_initializer())
    plain = tf.Variable(tf.zeros([3]), name="plain")
    return {"a": a, "b": b, "extra": extra, "c": c, "plain": plain}


def root_vars():
    a = tf.get_variable("a", [2, 3], initializer=tf.zeros_initializer())
    rw = tf.get_variable("root_w", [3], initializer=tf.zeros_initializer())
    with tf.variable_scope("sub"):
        b = tf.get_variable("b", [2], initializer=tf.zeros_initializer())
    return {"a": a, "rw": rw, "b": b}


emit("scope_to_scope", graph_case(new_vars, lambda v: {"old/": "new/"}))
emit("by_name", graph_case(new_vars, lambda v: {"old/a": "new/a", "old/sub/b": "new/sub/b"}))
emit("by_object", graph_case(new_vars, lambda v: {"old/a": v["c"], "root_w": v["plain"]}))
emit("pairs", graph_case(new_vars, lambda v: [("old/a", "new/a"), ("old/a", "new_1/a")]))
emit("old_to_root", graph_case(root_vars, lambda v: {"old/": "/"}))
emit("root_to_root", graph_case(root_vars, lambda v: {"/": "/"}))
emit("old_to_root_ok", graph_case(
    lambda: {"a": tf.get_variable("a", [2, 3]), "b": tf.get_variable("sub/b", [2])},
    lambda v: {"old/": "/"}))
emit("root_to_root_ok", graph_case(
    lambda: {"rw": tf.get_variable("root_w", [3]),
             "plain": tf.Variable(tf.zeros([4]), name="old/extra")},
    lambda v: {"/": "/"}))
emit("root_to_scope", graph_case(
    lambda: {"w": tf.get_variable("w/root_w", [3], initializer=tf.zeros_initializer())},
    lambda v: {"/": "w/"}))
emit("err_missing", graph_case(new_vars, lambda v: {"old/zzz": "new/a"}))
emit("err_shape", graph_case(new_vars, lambda v: {"old/sub/b": "new/a"}))
emit("err_scope_only", graph_case(new_vars, lambda v: {"old/a": "new/zzz"}))
emit("err_scope_missing", graph_case(
    lambda: {"x": tf.get_variable("q/a", [2, 3]), "y": tf.get_variable("q/nothere", [2])},
    lambda v: {"old/": "q/"}))
'''

# 13. tf.nn.raw_rnn (the TF docs' example shape), a TF-core driver around tfshare cells.
PROGRAMS["raw_rnn"] = r'''
max_time, batch_size, input_depth, num_units = 4, 3, 3, 5
inputs = tf.placeholder(shape=(max_time, batch_size, input_depth), dtype=tf.float32)
sequence_length = tf.placeholder(shape=(batch_size,), dtype=tf.int32)
inputs_ta = tf.TensorArray(dtype=tf.float32, size=max_time)
inputs_ta = inputs_ta.unstack(inputs)
cell = tf.nn.rnn_cell.LSTMCell(num_units)


def loop_fn(time, cell_output, cell_state, loop_state):
    emit_output = cell_output
    if cell_output is None:
        next_cell_state = cell.zero_state(batch_size, tf.float32)
    else:
        next_cell_state = cell_state
    elements_finished = (time >= sequence_length)
    finished = tf.reduce_all(elements_finished)
    next_input = tf.cond(finished,
                         lambda: tf.zeros([batch_size, input_depth], dtype=tf.float32),
                         lambda: inputs_ta.read(time))
    return (elements_finished, next_input, next_cell_state, emit_output, None)


outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
outputs = outputs_ta.stack()
loss = tf.reduce_mean(tf.square(outputs - 0.2)) + tf.reduce_mean(final_state.c)
TRAIN = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
FETCH = {"outputs": outputs, "c": final_state.c, "h": final_state.h, "loss": loss}
FEED = {inputs: IN["rx"], sequence_length: IN["rlen"]}
'''

# 14. tf.make_template: the TF docs' examples, a tf.layers template, create_scope_now_.
PROGRAMS["make_template"] = r'''
def my_op(x, scalar_name):
    var1 = tf.get_variable(scalar_name, shape=[], initializer=tf.constant_initializer(1))
    return x * var1


def net(x):
    h = tf.layers.dense(x, 4, activation=tf.nn.tanh)
    return tf.layers.dense(h, 2, name="out")


input1 = tf.placeholder(tf.float32, [None, 3])
input2 = tf.placeholder(tf.float32, [None, 3])
scale_by_y = tf.make_template("scale_by_y", my_op, scalar_name="y")
z = scale_by_y(input1)
w = scale_by_y(input2)
scale_by_y2 = tf.make_template("scale_by_y", my_op, scalar_name="y")
z2 = scale_by_y2(input1)
with tf.variable_scope("towers"):
    tower = tf.make_template("tower", net, create_scope_now_=True)
a = tower(input1)
b = tower(input2)
c = tower(input1 * 2.0)
EXTRA = {"scope_names": [scale_by_y.variable_scope_name, scale_by_y2.variable_scope_name,
                         tower.variable_scope_name],
         "tower_vars": [v.name for v in tower.trainable_variables]}
loss = tf.reduce_sum(z * w) + tf.reduce_sum(z2) + tf.reduce_sum(a * b - c)
TRAIN = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
FETCH = {"z": z, "w": w, "z2": z2, "a": a, "b": b, "c": c, "loss": loss}
FEED = {input1: IN["sx"][:, :3], input2: IN["sx"][:, 1:]}
'''
