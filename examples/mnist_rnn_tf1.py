"""Sequence classifier over image rows, TF1 style (the classic MNIST LSTM tutorial).

Each 8x8 digit from scikit-learn is read as 8 time steps of 8 pixels; a
``BasicLSTMCell`` run by ``static_rnn`` reads the rows and a linear layer on its
last output predicts the digit. The program is the TF1 tutorial unchanged except
for its import line: ``import tfshare.compat.v1 as tf`` instead of
``import tensorflow as tf`` (and ``tf.contrib.rnn`` comes from tfshare).
Graph mode, placeholders, ``tf.Session``.

    python examples/mnist_rnn_tf1.py --steps 400
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import numpy as np

import tfshare.compat.v1 as tf
from tfshare.compat.v1.contrib import rnn


def main(argv=None):
    args = _common.parser(__doc__, steps=400, batch_size=64, num_hidden=64,
                          learning_rate=0.01, display_step=100).parse_args(argv)
    (x_train, y_train), (x_test, y_test) = _common.digits_rows(args.seed)
    rng = np.random.default_rng(args.seed)

    tf.disable_eager_execution()
    tf.reset_default_graph()
    tf.set_random_seed(args.seed)

    timesteps, num_input, num_classes = 8, 8, 10
    X = tf.placeholder(tf.float32, [None, timesteps, num_input], name="X")
    Y = tf.placeholder(tf.int64, [None], name="Y")
    weights = {"out": tf.Variable(tf.random_normal([args.num_hidden, num_classes], stddev=0.1), name="out_w")}
    biases = {"out": tf.Variable(tf.zeros([num_classes]), name="out_b")}

    def RNN(x, weights, biases):
        # Unstack to get a list of 'timesteps' tensors of shape (batch, num_input).
        x = tf.unstack(x, timesteps, 1)
        lstm_cell = rnn.BasicLSTMCell(args.num_hidden, forget_bias=1.0)
        outputs, states = rnn.static_rnn(lstm_cell, x, dtype=tf.float32)
        return tf.matmul(outputs[-1], weights["out"]) + biases["out"]

    logits = RNN(X, weights, biases)
    loss_op = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=Y, logits=logits))
    train_op = tf.train.AdamOptimizer(learning_rate=args.learning_rate).minimize(loss_op)
    correct = tf.equal(tf.argmax(logits, 1), Y)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

    print("trainable variables (TF1 names):")
    for v in tf.trainable_variables():
        print(f"  {v.name:40s} {v.shape}")

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        untrained_acc = sess.run(accuracy, {X: x_test, Y: y_test})
        bar = _common.progbar(args.steps, ["loss", "acc"])
        batches = _common.minibatches(rng, len(x_train), args.batch_size)
        for step in range(1, args.steps + 1):
            idx = next(batches)
            _, loss, acc = sess.run([train_op, loss_op, accuracy], {X: x_train[idx], Y: y_train[idx]})
            bar.update(step, [("loss", loss), ("acc", acc)])
        test_acc = sess.run(accuracy, {X: x_test, Y: y_test})
    print(f"untrained test accuracy: {untrained_acc:.4f}  (the baseline)")
    print(f"test accuracy: {test_acc:.4f}  ({len(x_test)} digits, chance 0.10)")
    return float(test_acc)


if __name__ == "__main__":
    main()
