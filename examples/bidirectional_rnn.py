"""Bidirectional, multi-layer RNN tagger on variable-length sequences (TF1 style).

Task (synthetic, with real structure): sequences of 4-14 tokens over a
vocabulary of 11; tag each token 1 if the same token occurs anywhere else in the
sequence, before *or after* it, else 0. A forward RNN only sees the past and a
backward one only the future, so the task needs both directions.

The tagger is a 2-layer bidirectional LSTM built with
``tf.contrib.rnn.stack_bidirectional_dynamic_rnn`` and ``sequence_length``
(padding is never read: outputs past a sequence's end are zero), followed by a
``tf.layers.dense`` projection and a masked loss, on ``tfshare.compat.v1`` in
graph mode. After training, the same network is rebuilt layer by layer with
``tf.nn.bidirectional_dynamic_rnn`` under the scope names the stacked version
uses (``stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/...``) and
``reuse=True``: it creates no variables and gives identical outputs.

    python examples/bidirectional_rnn.py --steps 400
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import numpy as np

import tfshare.compat.v1 as tf

VOCAB = 11          # ids 1..10 are tokens, 0 is padding
MIN_LEN, MAX_LEN = 4, 14


def make_batch(rng: np.random.Generator, n: int):
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, size=n)
    x = np.zeros((n, MAX_LEN), np.int32)
    y = np.zeros((n, MAX_LEN), np.int32)
    for i, L in enumerate(lengths):
        seq = rng.integers(1, VOCAB, size=L)
        counts = np.bincount(seq, minlength=VOCAB)
        x[i, :L] = seq
        y[i, :L] = counts[seq] > 1
    return x, y, lengths.astype(np.int32)


def main(argv=None):
    args = _common.parser(__doc__, steps=400, batch_size=64, num_units=32, num_layers=2,
                          learning_rate=0.01, test_size=1000).parse_args(argv)
    rng = np.random.default_rng(args.seed)
    tf.disable_eager_execution()
    tf.reset_default_graph()
    tf.set_random_seed(args.seed)

    tokens = tf.placeholder(tf.int32, [None, MAX_LEN], name="tokens")
    tags = tf.placeholder(tf.int32, [None, MAX_LEN], name="tags")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    inputs = tf.one_hot(tokens, VOCAB)

    def make_cells():
        return [tf.nn.rnn_cell.LSTMCell(args.num_units) for _ in range(args.num_layers)]

    cells_fw, cells_bw = make_cells(), make_cells()
    outputs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
        cells_fw, cells_bw, inputs, sequence_length=lengths, dtype=tf.float32)
    logits = tf.layers.dense(outputs, 2, name="tag_logits")

    mask = tf.sequence_mask(lengths, MAX_LEN, dtype=tf.float32)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tags, logits=logits)
    loss = tf.reduce_sum(xent * mask) / tf.reduce_sum(mask)
    train_op = tf.train.AdamOptimizer(args.learning_rate).minimize(loss)
    correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tags), tf.float32)
    accuracy = tf.reduce_sum(correct * mask) / tf.reduce_sum(mask)

    n_vars = len(tf.trainable_variables())
    print("variables of the stacked bidirectional tagger:")
    for v in tf.trainable_variables():
        print(f"  {v.name:66s} {v.shape}")

    # The same network, layer by layer, sharing the trained variables.
    layer_input = inputs
    with tf.variable_scope("stack_bidirectional_rnn", reuse=True):
        for i in range(args.num_layers):
            with tf.variable_scope(f"cell_{i}"):
                (out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(
                    tf.nn.rnn_cell.LSTMCell(args.num_units), tf.nn.rnn_cell.LSTMCell(args.num_units),
                    layer_input, sequence_length=lengths, dtype=tf.float32)
                layer_input = tf.concat([out_fw, out_bw], 2)
    per_layer_outputs = layer_input
    assert len(tf.trainable_variables()) == n_vars, "the per-layer rebuild created variables"

    x_test, y_test, len_test = make_batch(np.random.default_rng(args.seed + 1), args.test_size)
    majority = max(np.mean(y_test[np.arange(MAX_LEN) < len_test[:, None]]),
                   1 - np.mean(y_test[np.arange(MAX_LEN) < len_test[:, None]]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        bar = _common.progbar(args.steps, ["loss", "acc"])
        for step in range(1, args.steps + 1):
            x, y, L = make_batch(rng, args.batch_size)
            _, l, a = sess.run([train_op, loss, accuracy], {tokens: x, tags: y, lengths: L})
            bar.update(step, [("loss", l), ("acc", a)])
        feed = {tokens: x_test, tags: y_test, lengths: len_test}
        test_acc, stacked, per_layer = sess.run([accuracy, outputs, per_layer_outputs], feed)

    past_end = np.arange(MAX_LEN)[None, :] >= len_test[:, None]
    print(f"outputs past each sequence's end are zero: {bool(np.all(stacked[past_end] == 0))}")
    diff = float(np.abs(stacked - per_layer).max())
    print(f"per-layer bidirectional_dynamic_rnn (reuse=True) vs stacked: max |diff| = {diff:.2e}, "
          f"{n_vars} variables shared")
    print(f"majority-tag baseline: {majority:.4f}")
    print(f"test tag accuracy: {test_acc:.4f}")
    return float(test_acc)


if __name__ == "__main__":
    main()
