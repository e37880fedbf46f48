"""TF1 programs as public TF1 code writes them, for real TF 1.15 and tfshare.compat.v1.

Each program is the text of one script: ``import tensorflow as tf`` (and
``from tensorflow.contrib import rnn``), ``tf.app.flags``, a ``main`` run by
``tf.app.run``, ``[None, ...]`` placeholders, ``tf.train.Saver(max_to_keep=...)``,
``MonitoredTrainingSession`` / ``Supervisor``, ``tf.summary.FileWriter``.
Their data, report function and weight seeding come from ``program_io``
(see ``tf1_harness``). Every program has a ``train`` mode (train a few steps,
checkpoint) and an ``eval`` mode (restore the latest checkpoint of
``--restore_dir`` and report).

The text runs unchanged on real TF 1.15. On tfshare only the imports change,
exactly as a user migrates (:func:`for_tfshare`). Programs are of three kinds:

* graph programs (no header): run under every TF1 setup
  (``setup_runs.SETUPS``); where eager execution is on, the harness gives them
  a ``tf.Graph`` as TF2-era code does;
* programs whose first statement is ``tf.disable_v2_behavior()``: they choose
  their setup, so they run under the ``v1_behavior`` setup;
* eager programs (first statement ``tf.enable_eager_execution()``): they run
  under the setups that leave eager execution on.
"""
from __future__ import annotations

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

PROGRAMS: dict = {}

# ---------------------------------------------------------------------------
# 1. The classic MNIST-LSTM tutorial (TensorFlow-Examples' recurrent_network.py):
#    image rows are the time steps of a contrib static_rnn; migrated header.
PROGRAMS["mnist_lstm"] = r'''
""" Recurrent Neural Network: classify images row by row with an LSTM."""
import os

import tensorflow as tf
from tensorflow.contrib import rnn

from program_io import data, emit, seed_variables

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("mode", "train", "train or eval")
flags.DEFINE_string("ckpt_dir", "/tmp/mnist_lstm", "where to save checkpoints")
flags.DEFINE_string("restore_dir", "/tmp/mnist_lstm", "checkpoints to evaluate")
flags.DEFINE_string("summaries_dir", "/tmp/mnist_lstm/logs", "TensorBoard logs")
flags.DEFINE_integer("training_steps", 4, "number of training steps")
flags.DEFINE_integer("num_hidden", 8, "hidden layer num of features")
flags.DEFINE_float("learning_rate", 0.5, "learning rate")
FLAGS = flags.FLAGS

timesteps = 5  # timesteps (rows)
num_input = 6  # data input (row width)
num_classes = 4


def RNN(x, weights, biases):
    # Unstack to get a list of 'timesteps' tensors of shape (batch_size, n_input)
    x = tf.unstack(x, timesteps, 1)
    lstm_cell = rnn.BasicLSTMCell(FLAGS.num_hidden, forget_bias=1.0)
    outputs, states = rnn.static_rnn(lstm_cell, x, dtype=tf.float32)
    return tf.matmul(outputs[-1], weights['out']) + biases['out'], states


def main(_):
    X = tf.placeholder("float", [None, timesteps, num_input])
    Y = tf.placeholder("float", [None, num_classes])
    weights = {'out': tf.Variable(tf.random_normal([FLAGS.num_hidden, num_classes]))}
    biases = {'out': tf.Variable(tf.random_normal([num_classes]))}

    logits, states = RNN(X, weights, biases)
    prediction = tf.nn.softmax(logits)
    loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
        logits=logits, labels=Y))
    optimizer = tf.train.GradientDescentOptimizer(learning_rate=FLAGS.learning_rate)
    global_step = tf.train.get_or_create_global_step()
    train_op = optimizer.minimize(loss_op, global_step=global_step)
    correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))
    tf.summary.scalar("loss", loss_op)
    tf.summary.scalar("accuracy", accuracy)
    merged = tf.summary.merge_all()
    saver = tf.train.Saver(max_to_keep=2)
    feed = {X: data["img"], Y: data["onehot"]}
    fetch = {"prediction": prediction, "loss": loss_op, "c": states.c, "h": states.h}

    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            for k, v in sess.run(fetch, feed).items():
                emit(k, v)
            return
        writer = tf.summary.FileWriter(FLAGS.summaries_dir, sess.graph)
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for k, v in sess.run(fetch, feed).items():
            emit("before/" + k, v)
        for step in range(1, FLAGS.training_steps + 1):
            _, summary = sess.run([train_op, merged], feed_dict=feed)
            writer.add_summary(summary, step)
            saver.save(sess, os.path.join(FLAGS.ckpt_dir, "model.ckpt"), global_step=step)
        writer.close()
        for k, v in sess.run(fetch, feed).items():
            emit("after/" + k, v)
        emit("accuracy", float(sess.run(accuracy, feed)))


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 2. A BiLSTM tagger (migrated header): two bidirectional_dynamic_rnn layers with
#    sequence lengths of unknown shape, tf.layers head, MonitoredTrainingSession.
PROGRAMS["bilstm_tagger"] = r'''
"""BiLSTM sequence tagger trained with MonitoredTrainingSession."""
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("mode", "train", "train or eval")
flags.DEFINE_string("ckpt_dir", "/tmp/tagger", "model directory")
flags.DEFINE_string("restore_dir", "/tmp/tagger", "model to evaluate")
flags.DEFINE_integer("max_steps", 4, "training steps")
flags.DEFINE_integer("hidden", 4, "LSTM units")
FLAGS = flags.FLAGS

VOCAB, EMB, TAGS = 11, 5, 4


def model(words, lengths):
    with tf.variable_scope("embedding"):
        emb = tf.get_variable("word_emb", [VOCAB, EMB])
        x = tf.nn.embedding_lookup(emb, words)
    for layer in range(2):
        with tf.variable_scope("bilstm_%d" % layer):
            cell_fw = tf.nn.rnn_cell.LSTMCell(FLAGS.hidden, use_peepholes=(layer == 0))
            cell_bw = tf.nn.rnn_cell.GRUCell(FLAGS.hidden)
            (o_fw, o_bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
                cell_fw, cell_bw, x, sequence_length=lengths, dtype=tf.float32)
            x = tf.concat([o_fw, o_bw], axis=-1)
    return tf.layers.dense(x, TAGS, name="proj"), s_fw, s_bw


def main(_):
    words = tf.placeholder(tf.int32, [None, None], name="words")
    tags = tf.placeholder(tf.int32, [None, None], name="tags")
    lengths = tf.placeholder(tf.int64, name="lengths")  # shape unknown, as fed from a file
    logits, s_fw, s_bw = model(words, lengths)
    mask = tf.sequence_mask(lengths, tf.shape(words)[1], dtype=tf.float32)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tags, logits=logits)
    loss = tf.reduce_sum(xent * mask) / tf.reduce_sum(mask)
    feed = {words: data["words"], tags: data["tags"], lengths: data["lengths"]}
    fetch = {"logits": logits, "loss": loss, "fw_c": s_fw.c, "fw_h": s_fw.h, "bw": s_bw}

    if FLAGS.mode == "eval":
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            for k, v in sess.run(fetch, feed).items():
                emit(k, v)
        return
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
    tf.summary.scalar("loss", loss)
    scaffold = tf.train.Scaffold(saver=tf.train.Saver(max_to_keep=3),
                                 init_fn=lambda scaffold, sess: seed_variables(sess))
    hooks = [tf.train.StopAtStepHook(last_step=FLAGS.max_steps)]
    losses = []
    with tf.train.MonitoredTrainingSession(checkpoint_dir=FLAGS.ckpt_dir, scaffold=scaffold,
                                           hooks=hooks, save_checkpoint_steps=2,
                                           save_summaries_steps=1) as sess:
        while not sess.should_stop():
            _, loss_value = sess.run([train_op, loss], feed_dict=feed)
            losses.append(loss_value)
    emit("losses", losses)


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 3. The PTB language model tutorial: manual unrolling with reuse_variables,
#    train/valid models sharing weights, a learning-rate variable, Supervisor.
PROGRAMS["ptb_supervisor"] = r'''
"""Small PTB-style LSTM language model (the TF tutorial's structure)."""
import os

import tensorflow as tf

from program_io import data, emit, seed_variables

flags = tf.flags
flags.DEFINE_string("mode", "train", "train or eval")
flags.DEFINE_string("ckpt_dir", None, "Model output directory.")
flags.DEFINE_string("restore_dir", None, "Model to evaluate.")
FLAGS = flags.FLAGS


class SmallConfig(object):
    init_scale = 0.1
    learning_rate = 1.0
    max_grad_norm = 5
    num_layers = 2
    num_steps = 4
    hidden_size = 6
    max_epoch = 2
    lr_decay = 0.5
    batch_size = 2
    vocab_size = 10


class PTBModel(object):
    def __init__(self, is_training, config, input_data, targets):
        size, vocab_size = config.hidden_size, config.vocab_size
        batch_size, num_steps = config.batch_size, config.num_steps

        def lstm_cell():
            return tf.nn.rnn_cell.BasicLSTMCell(size, forget_bias=0.0, state_is_tuple=True)

        cell = tf.nn.rnn_cell.MultiRNNCell(
            [lstm_cell() for _ in range(config.num_layers)], state_is_tuple=True)
        self._initial_state = cell.zero_state(batch_size, tf.float32)
        with tf.device("/cpu:0"):
            embedding = tf.get_variable("embedding", [vocab_size, size], dtype=tf.float32)
            inputs = tf.nn.embedding_lookup(embedding, input_data)
        outputs = []
        state = self._initial_state
        with tf.variable_scope("RNN"):
            for time_step in range(num_steps):
                if time_step > 0:
                    tf.get_variable_scope().reuse_variables()
                (cell_output, state) = cell(inputs[:, time_step, :], state)
                outputs.append(cell_output)
        output = tf.reshape(tf.concat(outputs, 1), [-1, size])
        softmax_w = tf.get_variable("softmax_w", [size, vocab_size], dtype=tf.float32)
        softmax_b = tf.get_variable("softmax_b", [vocab_size], dtype=tf.float32)
        logits = tf.matmul(output, softmax_w) + softmax_b
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(targets, [-1]), logits=logits)
        self._cost = cost = tf.reduce_sum(loss) / batch_size
        self._final_state = state
        if not is_training:
            return
        self._lr = tf.Variable(0.0, trainable=False)
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(cost, tvars), config.max_grad_norm)
        optimizer = tf.train.GradientDescentOptimizer(self._lr)
        self._train_op = optimizer.apply_gradients(
            zip(grads, tvars), global_step=tf.train.get_or_create_global_step())
        self._new_lr = tf.placeholder(tf.float32, shape=[], name="new_learning_rate")
        self._lr_update = tf.assign(self._lr, self._new_lr)

    def assign_lr(self, session, lr_value):
        session.run(self._lr_update, feed_dict={self._new_lr: lr_value})

    @property
    def cost(self):
        return self._cost

    @property
    def final_state(self):
        return self._final_state

    @property
    def lr(self):
        return self._lr

    @property
    def train_op(self):
        return self._train_op


def main(_):
    config = SmallConfig()
    raw = tf.placeholder(tf.int32, [config.batch_size, config.num_steps + 1])
    x, y = raw[:, :-1], raw[:, 1:]
    initializer = tf.random_uniform_initializer(-config.init_scale, config.init_scale)
    with tf.name_scope("Train"):
        with tf.variable_scope("Model", reuse=None, initializer=initializer):
            m = PTBModel(is_training=True, config=config, input_data=x, targets=y)
        tf.summary.scalar("Training Loss", m.cost)
        tf.summary.scalar("Learning Rate", m.lr)
    with tf.name_scope("Valid"):
        with tf.variable_scope("Model", reuse=True, initializer=initializer):
            mvalid = PTBModel(is_training=False, config=config, input_data=x, targets=y)
        tf.summary.scalar("Validation Loss", mvalid.cost)
    feed = {raw: data["ptb"]}
    fetch = {"valid_cost": mvalid.cost, "final_h": m.final_state[-1].h,
             "valid_final_c": mvalid.final_state[0].c}

    if FLAGS.mode == "eval":
        with tf.Session() as session:
            tf.train.Saver().restore(session, tf.train.latest_checkpoint(FLAGS.restore_dir))
            for k, v in session.run(fetch, feed).items():
                emit(k, v)
        return
    sv = tf.train.Supervisor(logdir=FLAGS.ckpt_dir, init_fn=seed_variables,
                             save_model_secs=0, save_summaries_secs=0)
    with sv.managed_session() as session:
        for k, v in session.run(fetch, feed).items():
            emit("before/" + k, v)
        costs = []
        for i in range(config.max_epoch):
            m.assign_lr(session, config.learning_rate * config.lr_decay ** i)
            cost, _ = session.run([m.cost, m.train_op], feed)
            costs.append(cost)
        emit("train_costs", costs)
        for k, v in session.run(fetch, feed).items():
            emit("after/" + k, v)
        sv.saver.save(session, os.path.join(FLAGS.ckpt_dir, "model"), global_step=sv.global_step)


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 4. char-rnn: MultiRNNCell + DropoutWrapper in dynamic_rnn, a sampling graph built
#    with reuse=True, gradient clipping, Saver(max_to_keep) + latest_checkpoint.
PROGRAMS["char_rnn"] = r'''
"""Character-level language model with a sampler that feeds its state back."""
import os

import numpy as np
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "save", "directory to store checkpointed models")
tf.app.flags.DEFINE_string("restore_dir", "save", "model to sample from")
tf.app.flags.DEFINE_integer("rnn_size", 8, "size of RNN hidden state")
tf.app.flags.DEFINE_integer("num_epochs", 3, "number of epochs")
tf.app.flags.DEFINE_float("grad_clip", 5.0, "clip gradients at this value")
FLAGS = tf.app.flags.FLAGS

VOCAB = 9


class Model(object):
    def __init__(self, inputs, reuse):
        with tf.variable_scope("rnnlm", reuse=reuse):
            self.keep_prob = tf.placeholder_with_default(1.0, [], name="keep_prob")
            cells = [tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(FLAGS.rnn_size),
                                                   output_keep_prob=self.keep_prob)
                     for _ in range(2)]
            cell = tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=True)
            embedding = tf.get_variable("embedding", [VOCAB, FLAGS.rnn_size])
            x = tf.nn.embedding_lookup(embedding, inputs)
            self.initial_state = cell.zero_state(tf.shape(inputs)[0], tf.float32)
            out, self.final_state = tf.nn.dynamic_rnn(cell, x, initial_state=self.initial_state)
            softmax_w = tf.get_variable("softmax_w", [FLAGS.rnn_size, VOCAB])
            softmax_b = tf.get_variable("softmax_b", [VOCAB])
            self.logits = tf.matmul(tf.reshape(out, [-1, FLAGS.rnn_size]), softmax_w) + softmax_b
            self.probs = tf.nn.softmax(self.logits)


def sample(sess, model, s_in, first, n):
    state = sess.run(model.initial_state, {s_in: [[first]]})
    ch, seq, probs = first, [], []
    for _ in range(n):
        p, state = sess.run([model.probs, model.final_state],
                            {s_in: [[ch]], model.initial_state: state})
        ch = int(np.argmax(p[0]))
        seq.append(ch)
        probs.append(p[0])
    return seq, np.array(probs)


def main(_):
    inp = tf.placeholder(tf.int32, [None, None])
    tgt = tf.placeholder(tf.int32, [None, None])
    model = Model(inp, None)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.reshape(tgt, [-1]), logits=model.logits))
    tvars = tf.trainable_variables()
    grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), FLAGS.grad_clip)
    train_op = tf.train.GradientDescentOptimizer(0.5).apply_gradients(zip(grads, tvars))
    s_in = tf.placeholder(tf.int32, [1, 1])
    sampler = Model(s_in, True)
    emit("n_vars_after_sampler", len(tf.global_variables()))
    saver = tf.train.Saver(tf.global_variables(), max_to_keep=2)
    feed = {inp: data["chars"][:, :-1], tgt: data["chars"][:, 1:], model.keep_prob: 1.0}

    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            ckpt = tf.train.get_checkpoint_state(FLAGS.restore_dir)
            saver.restore(sess, ckpt.model_checkpoint_path)
            seq, probs = sample(sess, sampler, s_in, 1, 5)
            emit("sample_seq", seq)
            emit("sample_probs", probs)
            emit("loss", sess.run(loss, feed))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        emit("before/loss", sess.run(loss, feed))
        emit("before/logits", sess.run(model.logits, feed))
        for e in range(FLAGS.num_epochs):
            sess.run(train_op, feed)
            saver.save(sess, os.path.join(FLAGS.ckpt_dir, "model.ckpt"), global_step=e)
        emit("after/loss", sess.run(loss, feed))
        emit("after/logits", sess.run(model.logits, feed))


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 5. The variable_scope tutorial: shared convolution filters.
PROGRAMS["shared_conv"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/conv", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/conv", "checkpoint to evaluate")
FLAGS = tf.app.flags.FLAGS


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


def main(_):
    image1 = tf.placeholder(tf.float32, [None, 6, 6, 3])
    image2 = tf.placeholder(tf.float32, [None, 6, 6, 3])
    with tf.variable_scope("image_filters") as scope:
        result1 = my_image_filter(image1)
        scope.reuse_variables()
        result2 = my_image_filter(image2)
    loss = tf.reduce_mean(tf.square(result1 - 0.5 * result2 - 0.1))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {image1: data["im1"], image2: data["im2"]}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("loss", sess.run(loss, feed))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        emit("before/r1", sess.run(result1, feed))
        emit("before/r2", sess.run(result2, feed))
        emit("before/loss", sess.run(loss, feed))
        for _ in range(3):
            sess.run(train, feed)
        emit("after/loss", sess.run(loss, feed))
        saver.save(sess, FLAGS.ckpt_dir + "/model")


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 6. tf.layers CNN: conv2d + batch_normalization (UPDATE_OPS) + pooling + conv1d,
#    conv2d_transpose, a 2-D batch norm (non-fused path), dense; MonitoredTrainingSession.
PROGRAMS["layers_cnn"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/cnn", "model directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/cnn", "model to evaluate")
FLAGS = tf.app.flags.FLAGS


def cnn(images, is_training):
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
    emit("shapes", [t.shape.as_list() for t in (net, up, avg, c1, flat)])
    return tf.layers.dense(tf.nn.relu(fc), 3)


def main(_):
    images = tf.placeholder(tf.float32, [None, 8, 8, 2])
    labels = tf.placeholder(tf.int32, [None])
    is_training = tf.placeholder_with_default(True, [], name="is_training")
    logits = cnn(images, is_training)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=tf.train.get_or_create_global_step())
    feed = {images: data["cx"], labels: data["cy"]}
    infer = {images: data["cx"], is_training: False}
    if FLAGS.mode == "eval":
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("infer_logits", sess.run(logits, infer))
        return
    scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: seed_variables(sess))
    with tf.train.MonitoredTrainingSession(checkpoint_dir=FLAGS.ckpt_dir, scaffold=scaffold,
                                           save_summaries_steps=None,
                                           save_summaries_secs=None) as sess:
        emit("before/logits", sess.run(logits, feed))
        emit("before/infer_logits", sess.run(logits, infer))
        for _ in range(3):
            sess.run(train_op, feed)
        emit("after/infer_logits", sess.run(logits, infer))
        emit("after/loss", sess.run(loss, feed))


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 7. tf.layers MLP: dense + dropout + kernel_regularizer, regularization loss, Momentum.
PROGRAMS["layers_mlp"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/mlp", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/mlp", "checkpoint to evaluate")
tf.app.flags.DEFINE_float("reg", 0.01, "L2 weight")
FLAGS = tf.app.flags.FLAGS


def main(_):
    x = tf.placeholder(tf.float32, [None, 7])
    y = tf.placeholder(tf.int32, [None])
    training = tf.placeholder_with_default(False, [], name="training")
    reg = lambda w: FLAGS.reg * tf.nn.l2_loss(w)
    h = tf.layers.dense(x, 10, activation=tf.nn.relu, kernel_regularizer=reg, name="hidden1")
    h = tf.layers.dropout(h, rate=0.4, training=training)
    h = tf.layers.dense(h, 8, activation=tf.nn.tanh, kernel_regularizer=reg, bias_regularizer=reg)
    h = tf.layers.dropout(h, rate=0.4)
    logits = tf.layers.dense(h, 3, name="logits")
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    reg_losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    loss = xent + tf.losses.get_regularization_loss()
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    fetch = {"logits": logits, "xent": xent, "loss": loss, "reg": tf.add_n(reg_losses)}
    feed = {x: data["mx"], y: data["my"]}
    saver = tf.train.Saver(max_to_keep=1)
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("loss", sess.run(loss, feed))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for k, v in sess.run(fetch, feed).items():
            emit("before/" + k, v)
        for step in range(3):
            sess.run(train, feed)
            saver.save(sess, FLAGS.ckpt_dir + "/mlp", global_step=step)
        for k, v in sess.run(fetch, feed).items():
            emit("after/" + k, v)


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 8. tf.layers naming and sharing rules.
PROGRAMS["layers_sharing"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/sharing", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/sharing", "checkpoint to evaluate")
FLAGS = tf.app.flags.FLAGS


class Scale(tf.layers.Layer):
    """A user-defined TF1 layer."""

    def build(self, input_shape):
        self.w = self.add_variable("w", [int(input_shape[-1])],
                                   initializer=tf.constant_initializer(2.0))
        super(Scale, self).build(input_shape)

    def call(self, inputs):
        return inputs * self.w


def tower(inp):
    h = tf.layers.dense(inp, 5, activation=tf.nn.relu, name="fc")
    return tf.layers.dense(h, 2)


def main(_):
    x = tf.placeholder(tf.float32, [None, 4])
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
    scale = Scale(name="scale")
    h1 = scale(x)
    h2 = scale(x + 1.0)
    seq3 = tf.layers.dense(tf.reshape(tf.tile(x, [1, 3]), [-1, 3, 4]), 2, name="dense3d")
    emit("layer_names", [d1.name, d2.name, u1.name, u2.name])
    emit("scope_names", [d1.scope_name, d2.scope_name, u1.scope_name, u2.scope_name,
                         bn.scope_name])
    emit("trainable_norm", [v.name for v in bn.trainable_variables])
    emit("weights_norm", [v.name for v in bn.weights])
    emit("scale", [scale.name, scale.scope_name, [v.name for v in scale.weights]])
    emit("shape3d", seq3.shape.as_list())
    loss = tf.reduce_sum(a * b) + tf.reduce_sum(c1 + c2 - c3) + tf.reduce_sum(e1 * e2 * e3) \
        + tf.reduce_sum(f) + tf.reduce_sum(g1) + tf.reduce_sum(h1 * h2) + tf.reduce_sum(seq3 ** 2)
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    fetch = {"a": a, "b": b, "c3": c3, "e3": e3, "f": f, "g1": g1, "h2": h2, "seq3": seq3,
             "loss": loss}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("loss", sess.run(loss, {x: data["sx"]}))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for k, v in sess.run(fetch, {x: data["sx"]}).items():
            emit("before/" + k, v)
        for _ in range(2):
            sess.run(train, {x: data["sx"]})
        emit("after/loss", sess.run(loss, {x: data["sx"]}))
        saver.save(sess, FLAGS.ckpt_dir + "/model")


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 9. Transfer learning: save a base network with Saver(var_list=...), restore it
#    under a new head in a new graph.
PROGRAMS["transfer"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/transfer", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/transfer", "base network to fine-tune")
FLAGS = tf.app.flags.FLAGS


def base_net(x):
    with tf.variable_scope("base"):
        h = tf.layers.dense(x, 8, activation=tf.nn.tanh, name="fc1")
        return tf.layers.dense(h, 6, activation=tf.nn.relu, name="fc2")


def pretrain():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int32, [None])
    logits = tf.layers.dense(base_net(x), 3, name="old_head")
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)
    base_vars = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="base")
    emit("base_vars", [v.name for v in base_vars])
    saver = tf.train.Saver(var_list=base_vars, max_to_keep=1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for _ in range(3):
            sess.run(train, {x: data["tx"], y: data["ty"]})
        emit("base_loss", sess.run(loss, {x: data["tx"], y: data["ty"]}))
        saver.save(sess, FLAGS.ckpt_dir + "/base")


def finetune():
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
        seed_variables(sess)
        restorer.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
        emit("feats", sess.run(feats, {x: data["tx"]}))
        for _ in range(3):
            sess.run(train, {x: data["tx"], y: data["ty"] % 2})
        emit("new_loss", sess.run(loss, {x: data["tx"], y: data["ty"] % 2}))
        emit("new_vars", [v.name for v in tf.global_variables()])


def main(_):
    if FLAGS.mode == "train":
        pretrain()
    else:
        finetune()


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 10. tf.contrib.rnn: stacked bidirectional layers (dynamic and static), a
#     static_bidirectional_rnn, sequence lengths of unknown shape, contrib.layers.
PROGRAMS["contrib_stack_bidir"] = r'''
import tensorflow as tf
from tensorflow.contrib import rnn

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/stack", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/stack", "checkpoint to evaluate")
tf.app.flags.DEFINE_integer("hidden", 4, "units per direction")
FLAGS = tf.app.flags.FLAGS

T, D = 3, 3


def main(_):
    x = tf.placeholder(tf.float32, [None, T, D])
    lengths = tf.placeholder(tf.int64)
    H = FLAGS.hidden
    cells_fw = [rnn.LSTMCell(H), rnn.GRUCell(H)]
    cells_bw = [rnn.LSTMCell(H), rnn.GRUCell(H)]
    out, st_fw, st_bw = rnn.stack_bidirectional_dynamic_rnn(
        cells_fw, cells_bw, x, sequence_length=lengths, dtype=tf.float32)
    s_out, s_fw, s_bw = rnn.stack_bidirectional_rnn(
        [rnn.BasicLSTMCell(H)], [rnn.BasicLSTMCell(H)], tf.unstack(x, T, 1),
        sequence_length=lengths, dtype=tf.float32, scope="static_stack")
    flat = tf.contrib.layers.flatten(out)
    loss = tf.reduce_mean(tf.square(flat - 0.1)) + tf.reduce_mean(tf.square(s_out[-1]))
    fetch = {"out": out, "loss": loss, "fw1": st_fw[1], "bw0h": st_bw[0].h,
             "s_last": s_out[-1], "s_bw_c": s_bw[0].c}
    feed = {x: data["bx"], lengths: data["blen"]}
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            tf.train.Saver().restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            for k, v in sess.run(fetch, feed).items():
                emit(k, v)
            return
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        saver = tf.train.Saver(max_to_keep=1)
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for k, v in sess.run(fetch, feed).items():
            emit("before/" + k, v)
        for _ in range(2):
            sess.run(train, feed)
        emit("after/loss", sess.run(loss, feed))
        saver.save(sess, FLAGS.ckpt_dir + "/model")


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 11. tf.nn.raw_rnn (the TF docs' example), a TF-core driver around TF1 cells.
PROGRAMS["raw_rnn"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/raw", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/raw", "checkpoint to evaluate")
FLAGS = tf.app.flags.FLAGS


def main(_):
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
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    fetch = {"outputs": outputs, "c": final_state.c, "h": final_state.h, "loss": loss}
    feed = {inputs: data["rx"], sequence_length: data["rlen"]}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("loss", sess.run(loss, feed))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        for k, v in sess.run(fetch, feed).items():
            emit("before/" + k, v)
        for _ in range(2):
            sess.run(train, feed)
        emit("after/loss", sess.run(loss, feed))
        saver.save(sess, FLAGS.ckpt_dir + "/model")


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 12. tf.make_template: the TF docs' examples, a tf.layers template, create_scope_now_.
PROGRAMS["make_template"] = r'''
import tensorflow as tf

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/template", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/template", "checkpoint to evaluate")
FLAGS = tf.app.flags.FLAGS


def my_op(x, scalar_name):
    var1 = tf.get_variable(scalar_name, shape=[], initializer=tf.constant_initializer(1))
    return x * var1


def net(x):
    h = tf.layers.dense(x, 4, activation=tf.nn.tanh)
    return tf.layers.dense(h, 2, name="out")


def main(_):
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
    emit("scope_names", [scale_by_y.variable_scope_name, scale_by_y2.variable_scope_name,
                         tower.variable_scope_name])
    emit("tower_vars", [v.name for v in tower.trainable_variables])
    loss = tf.reduce_sum(z * w) + tf.reduce_sum(z2) + tf.reduce_sum(a * b - c)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    feed = {input1: data["sx"][:, :3], input2: data["sx"][:, 1:]}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if FLAGS.mode == "eval":
            saver.restore(sess, tf.train.latest_checkpoint(FLAGS.restore_dir))
            emit("loss", sess.run(loss, feed))
            return
        sess.run(tf.global_variables_initializer())
        seed_variables(sess)
        emit("before/c", sess.run(c, feed))
        emit("before/loss", sess.run(loss, feed))
        for _ in range(2):
            sess.run(train, feed)
        emit("after/loss", sess.run(loss, feed))
        saver.save(sess, FLAGS.ckpt_dir + "/model")


if __name__ == "__main__":
    tf.app.run(main)
'''

# ---------------------------------------------------------------------------
# 13. An eager TF 1.x program: a cell object reused across steps, GradientTape,
#     a v1 optimizer, a name-based Saver over the model's variables.
PROGRAMS["eager_lstm"] = r'''
import tensorflow as tf
tf.enable_eager_execution()

from program_io import data, emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/eager", "checkpoint directory")
tf.app.flags.DEFINE_string("restore_dir", "/tmp/eager", "checkpoint to evaluate")
FLAGS = tf.app.flags.FLAGS


class Classifier(object):
    def __init__(self):
        self.cell = tf.nn.rnn_cell.LSTMCell(5)
        self.head = tf.layers.Dense(3, name="head")

    def __call__(self, x, lengths):
        outputs, state = tf.nn.dynamic_rnn(self.cell, x, sequence_length=lengths,
                                           dtype=tf.float32)
        return self.head(state.h), outputs

    @property
    def variables(self):
        return self.cell.variables + self.head.variables


def main(_):
    x = tf.constant(data["ex"])
    lengths = tf.constant(data["elen"])
    labels = tf.constant(data["ey"])
    model = Classifier()
    model(x, lengths)  # creates the variables
    saver = tf.train.Saver(var_list=model.variables, max_to_keep=2)
    if FLAGS.mode == "eval":
        saver.restore(None, tf.train.latest_checkpoint(FLAGS.restore_dir))
        emit("logits", model(x, lengths)[0])
        return
    emit("variables", [v.name for v in model.variables])
    seed_variables(model.variables)
    optimizer = tf.train.AdamOptimizer(0.05)
    logits, outputs = model(x, lengths)
    emit("before/logits", logits)
    emit("before/outputs", outputs)
    for step in range(3):
        with tf.GradientTape() as tape:
            logits, _ = model(x, lengths)
            loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(zip(grads, model.variables))
        saver.save(None, FLAGS.ckpt_dir + "/eager", global_step=step)
    emit("after/logits", model(x, lengths)[0])
    emit("after/loss", loss)


if __name__ == "__main__":
    tf.app.run(main)
'''


# ---------------------------------------------------------------------------
# 14. tf.layers given bad arguments: TF1's error texts (first lines).
PROGRAMS["layers_errors"] = r"""
import tensorflow as tf

from program_io import emit

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
FLAGS = tf.app.flags.FLAGS


def error_of(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        kind = "ValueError" if isinstance(e, ValueError) else "TypeError"
        return kind + ": " + str(e).split("\n")[0]
    return None


def main(_):
    if FLAGS.mode != "train":
        return
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


if __name__ == "__main__":
    tf.app.run(main)
"""

# ---------------------------------------------------------------------------
# 15. train.init_from_checkpoint: the assignment-map forms and their error texts.
PROGRAMS["init_from_checkpoint"] = r"""
import tensorflow as tf

from program_io import emit, seed_variables

tf.app.flags.DEFINE_string("mode", "train", "train or eval")
tf.app.flags.DEFINE_string("ckpt_dir", "/tmp/warm", "checkpoint directory")
FLAGS = tf.app.flags.FLAGS


def error_of(fn):
    try:
        fn()
    except (ValueError, TypeError) as e:
        kind = "ValueError" if isinstance(e, ValueError) else "TypeError"
        return kind + ": " + str(e).replace(FLAGS.ckpt_dir, "<CK>").split("\n")[0]
    return None


def graph_case(key, path, build, mapping_fn):
    # warm-start new variables from path; report their values or the error
    with tf.Graph().as_default():
        vs = build()
        err = error_of(lambda: tf.train.init_from_checkpoint(path, mapping_fn(vs)))
        if err is not None:
            emit(key, err)
            return
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for k, v in sorted(vs.items()):
                emit(key + "/" + k, sess.run(v))


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


def main(_):
    if FLAGS.mode != "train":
        return
    with tf.Graph().as_default():
        with tf.variable_scope("old"):
            tf.get_variable("a", [2, 3])
            with tf.variable_scope("sub"):
                tf.get_variable("b", [2])
            tf.get_variable("extra", [4])
        tf.get_variable("root_w", [3])
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            seed_variables(sess)
            path = saver.save(sess, FLAGS.ckpt_dir + "/full", global_step=5)
    emit("ckpt", sorted(n for n, _ in tf.train.list_variables(FLAGS.ckpt_dir)))
    graph_case("scope_to_scope", path, new_vars, lambda v: {"old/": "new/"})
    graph_case("by_name", path, new_vars, lambda v: {"old/a": "new/a", "old/sub/b": "new/sub/b"})
    graph_case("by_object", path, new_vars, lambda v: {"old/a": v["c"], "root_w": v["plain"]})
    graph_case("old_to_root", path, root_vars, lambda v: {"old/": "/"})
    graph_case("root_to_root", path, root_vars, lambda v: {"/": "/"})
    graph_case("old_to_root_ok", path,
               lambda: {"a": tf.get_variable("a", [2, 3]), "b": tf.get_variable("sub/b", [2])},
               lambda v: {"old/": "/"})
    graph_case("root_to_scope", path,
               lambda: {"w": tf.get_variable("w/root_w", [3],
                                             initializer=tf.zeros_initializer())},
               lambda v: {"/": "w/"})
    graph_case("err_missing", path, new_vars, lambda v: {"old/zzz": "new/a"})
    graph_case("err_shape", path, new_vars, lambda v: {"old/sub/b": "new/a"})
    graph_case("err_scope_only", path, new_vars, lambda v: {"old/a": "new/zzz"})
    graph_case("err_scope_missing", path,
               lambda: {"x": tf.get_variable("q/a", [2, 3]),
                        "y": tf.get_variable("q/nothere", [2])},
               lambda v: {"old/": "q/"})

if __name__ == "__main__":
    tf.app.run(main)
"""

def make_inputs() -> dict:
    """The programs' data set (deterministic)."""
    import numpy as np

    rng = np.random.RandomState(1234)
    labels = np.array([0, 3, 1, 2], np.int64)
    return {
        "img": rng.uniform(-1, 1, (4, 5, 6)).astype(np.float32),
        "onehot": np.eye(4, dtype=np.float32)[labels],
        "im1": rng.uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32),
        "im2": rng.uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32),
        "words": rng.randint(0, 11, (3, 7)).astype(np.int32),
        "tags": rng.randint(0, 4, (3, 7)).astype(np.int32),
        "lengths": np.array([7, 4, 2], np.int64),
        "chars": rng.randint(0, 9, (3, 7)).astype(np.int32),
        "ptb": rng.randint(0, 10, (2, 5)).astype(np.int32),
        "tx": rng.uniform(-1, 1, (6, 5)).astype(np.float32),
        "ty": np.array([0, 1, 2, 2, 1, 0], np.int32),
        "mx": rng.uniform(-1, 1, (5, 7)).astype(np.float32),
        "my": np.array([0, 1, 2, 1, 0], np.int32),
        "cx": rng.uniform(-1, 1, (3, 8, 8, 2)).astype(np.float32),
        "cy": np.array([0, 2, 1], np.int32),
        "sx": rng.uniform(-1, 1, (3, 4)).astype(np.float32),
        "bx": rng.uniform(-1, 1, (3, 3, 3)).astype(np.float32),
        "blen": np.array([3, 2, 0], np.int64),
        "rx": rng.uniform(-1, 1, (4, 3, 3)).astype(np.float32),
        "rlen": np.array([4, 2, 3], np.int32),
        "ex": rng.uniform(-1, 1, (3, 4, 2)).astype(np.float32),
        "elen": np.array([4, 1, 3], np.int32),
        "ey": np.array([2, 0, 1], np.int32),
    }


# ---------------------------------------------------------------------------
# kinds of programs, and the imports users change when they migrate
def kind(src: str) -> str:
    """``"eager"``, ``"v1"`` (starts with ``tf.disable_v2_behavior()``) or ``"graph"``."""
    if "tf.enable_eager_execution()" in src:
        return "eager"
    if "tf.disable_v2_behavior()" in src:
        return "v1"
    return "graph"


def programs_for(setup: str) -> dict:
    """The programs that run under ``setup`` (see the module docstring)."""
    from setup_runs import EAGER_SETUPS

    return {name: src for name, src in PROGRAMS.items()
            if kind(src) == "graph" or (kind(src) == "v1" and setup == "v1_behavior")
            or (kind(src) == "eager" and setup in EAGER_SETUPS)}


#: the migration: these import lines, and nothing else, change
MIGRATION = (
    ("import tensorflow as tf", "import tfshare.compat.v1 as tf"),
    ("from tensorflow.contrib import rnn", "from tfshare.compat.v1.contrib import rnn"),
)


def for_tfshare(src: str) -> str:
    """The program as a migrated user runs it on tfshare: only the imports change."""
    for old, new in MIGRATION:
        src = re.sub(r"^" + re.escape(old) + r"$", new, src, flags=re.M)
    leftover = re.findall(r"^(?:import|from) tensorflow\b.*$", src, flags=re.M)
    assert not leftover, f"unmigrated imports: {leftover}"
    return src


def run_tfshare_setup(out: dict, setup: str, workdir: str) -> None:
    """Job of a ``setup_runs`` process: every program of ``setup`` on tfshare.

    ``train`` then ``eval`` (own checkpoints); with ``$TFSHARE_TF115_PROGRAMS``
    (TF 1.15's work directory, when the oracle ran live) also ``eval_other``:
    each program restores the checkpoint TF 1.15 wrote.
    """
    import tf1_harness
    import tfshare.compat.v1 as tf

    programs = {name: for_tfshare(src) for name, src in programs_for(setup).items()}
    tf115 = os.environ.get("TFSHARE_TF115_PROGRAMS")
    phases = ("train", "eval") + (("eval_other",) if tf115 else ())
    tf1_harness.run_programs(tf, programs, os.path.join(workdir, "programs"), make_inputs(),
                             out, phases=phases, restore_from=tf115)
    out["json:programs"] = sorted(programs)


# ---------------------------------------------------------------------------
# the same programs on real TF 1.15 (one process for graph programs, one for eager)
def tf115_code(eager: bool, workdir: str, restore_from: str | None = None) -> str:
    """Code for ``oracle.run_tf115``: the harness and the programs of one kind."""
    with open(os.path.join(HERE, "tf1_harness.py")) as f:
        harness = f.read()
    names = sorted(n for n, s in PROGRAMS.items() if (kind(s) == "eager") == eager)
    phases = ("eval_other",) if restore_from else ("train", "eval")
    return (
        "import sys, types\n"
        "_harness = types.ModuleType('tf1_harness')\n"
        f"exec(compile({harness!r}, 'tf1_harness.py', 'exec'), _harness.__dict__)\n"
        f"_programs = {dict((n, PROGRAMS[n]) for n in names)!r}\n"
        f"_harness.run_programs(tf, _programs, {workdir!r}, IN, OUT, phases={phases!r}, "
        f"restore_from={restore_from!r})\n"
        "OUT['json:programs'] = sorted(_programs)\n"
    )


# ---------------------------------------------------------------------------
# TF 1.15's results: live once per session, else the committed goldens
GOLDEN_DIR = os.path.join(HERE, "fixtures", "programs")


def shared_root(tmp_path_factory):
    """The session's temp root shared by the xdist workers."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


def tf115_workdir(tmp_path_factory) -> str:
    return str(shared_root(tmp_path_factory) / "tf115_programs")


def tf115_results(tmp_path_factory) -> dict:
    """``{"graph": OUT, "eager": OUT}`` of the programs on TF 1.15 (live or golden)."""
    from oracle import tf115_or_golden

    workdir = tf115_workdir(tmp_path_factory)
    return {k: tf115_or_golden(tmp_path_factory, "programs_" + k,
                               tf115_code(k == "eager", workdir),
                               os.path.join(GOLDEN_DIR, "tf115_" + k), make_inputs())
            for k in ("graph", "eager")}
