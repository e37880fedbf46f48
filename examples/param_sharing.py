"""Parameter sharing, counted: ``tfshare.param_report`` on a CNN and on RNNs.

Weight sharing is what makes convolutional and recurrent networks small.
``tfshare.param_report(model)`` lists each variable with its size and the
number of places it is applied, and totals the parameters with sharing
(= ``model.count_params()``) and without it (one copy per use):

* LeNet's first layer, a 5x5 convolution from 1 to 6 channels on a 28x28
  image: 156 shared weights instead of 156 x 24 x 24 = 89,856;
* the whole LeNet-5 (trained for ``--epochs`` on scikit-learn digits
  upsampled to 28x28, to show the count is of a working model);
* an LSTM reading 8 image rows: one kernel applied at 8 steps;
* the same LSTM built TF1-style (``static_rnn`` on ``tfshare.compat.v1`` graph
  mode): ``param_report(tf.trainable_variables(), uses={"rnn": 8})``.

    python examples/param_sharing.py --epochs 3
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import keras
import numpy as np

import tfshare


def lenet5() -> keras.Model:
    L = keras.layers
    inputs = keras.Input((28, 28, 1), name="image")
    x = L.Conv2D(6, 5, activation="tanh", name="conv1")(inputs)        # 24x24x6
    x = L.AveragePooling2D(2, name="pool1")(x)                          # 12x12x6
    x = L.Conv2D(16, 5, activation="tanh", name="conv2")(x)            # 8x8x16
    x = L.AveragePooling2D(2, name="pool2")(x)                          # 4x4x16
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(120, activation="tanh", name="fc1")(x)
    x = L.Dense(84, activation="tanh", name="fc2")(x)
    return keras.Model(inputs, L.Dense(10, name="logits")(x), name="lenet5")


def upsample_digits(x: np.ndarray) -> np.ndarray:
    """8x8 digits -> 28x28 (nearest-neighbour x3 = 24x24, zero border of 2)."""
    big = np.repeat(np.repeat(x, 3, axis=1), 3, axis=2)
    return np.pad(big, ((0, 0), (2, 2), (2, 2)))[..., None]


def main(argv=None):
    args = _common.parser(__doc__, epochs=3, batch_size=64, verbose=2).parse_args(argv)
    _common.seed_everything(args.seed)

    print("== LeNet's first layer: 5x5 conv, 1 -> 6 channels, 28x28 input ==")
    image = keras.Input((28, 28, 1))
    first = keras.Model(image, keras.layers.Conv2D(6, 5, name="conv1")(image))
    rep = tfshare.param_report(first)
    print(rep)
    print(f"conv1: {rep.shared:,} shared parameters, {rep.unshared:,} without sharing")

    print("\n== LeNet-5 on scikit-learn digits (upsampled to 28x28) ==")
    (x_train, y_train), (x_test, y_test) = _common.digits_rows(args.seed)
    model = lenet5()
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(upsample_digits(x_train), y_train, epochs=args.epochs,
              batch_size=args.batch_size, verbose=args.verbose)
    _, acc = model.evaluate(upsample_digits(x_test), y_test, verbose=0)
    rep = tfshare.param_report(model)
    print(rep)
    print(f"LeNet-5: {rep.shared:,} parameters (count_params {model.count_params():,}), "
          f"{rep.unshared:,} without sharing; test accuracy {acc:.4f}")

    print("\n== An LSTM over 8 rows: one kernel, 8 steps ==")
    rows = keras.Input((8, 8))
    rnn_model = keras.Model(rows, tfshare.RNN(tfshare.BasicLSTMCell(64), name="rnn")(rows))
    rep = tfshare.param_report(rnn_model)
    print(rep)
    keras_counts = (rep.shared, rep.unshared)

    print("\n== The same LSTM, TF1 style (static_rnn in graph mode) ==")
    import tfshare.compat.v1 as tf

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8])
        cell = tf.nn.rnn_cell.BasicLSTMCell(64)
        outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, 8, 1), dtype=tf.float32)
        rep = tfshare.param_report(tf.trainable_variables(), uses={"rnn": len(outputs)})
    print(rep)
    print(f"LSTM: {rep.shared:,} shared parameters, {rep.unshared:,} unrolled without sharing; "
          f"Keras and TF1 counts agree: {keras_counts == (rep.shared, rep.unshared)}")
    return rep


if __name__ == "__main__":
    main()
