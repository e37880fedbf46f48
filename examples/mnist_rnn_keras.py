"""Sequence classifier over image rows, Keras 3 style, with tfshare's TF1 cell.

The same model as ``mnist_rnn_tf1.py`` written as a Keras 3 model:
``tfshare.RNN(tfshare.BasicLSTMCell(64), name="rnn")`` reads the 8 rows of
each 8x8 scikit-learn digit; its weights carry the TF1 names
(``rnn/basic_lstm_cell/kernel``), so a TF1 checkpoint of the tutorial loads into
it by name. Trained with ``model.fit``; prints the weight names, the parameter
report (one LSTM kernel applied at 8 steps) and the test accuracy.

    python examples/mnist_rnn_keras.py --epochs 15
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import keras

import tfshare


def build_model(num_hidden: int = 64, num_classes: int = 10) -> keras.Model:
    inputs = keras.Input((8, 8), name="rows")
    h = tfshare.RNN(tfshare.BasicLSTMCell(num_hidden), name="rnn")(inputs)
    logits = keras.layers.Dense(num_classes, name="out")(h)
    return keras.Model(inputs, logits, name="row_lstm")


def main(argv=None):
    args = _common.parser(__doc__, epochs=15, batch_size=64, num_hidden=64,
                          learning_rate=0.01, verbose=2).parse_args(argv)
    _common.seed_everything(args.seed)
    (x_train, y_train), (x_test, y_test) = _common.digits_rows(args.seed)

    model = build_model(args.num_hidden)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    print("weights (TF1 names):")
    for w in model.weights:
        print(f"  {w.path:32s} {tuple(w.shape)}")
    print(tfshare.param_report(model))

    _, untrained_acc = model.evaluate(x_test, y_test, verbose=0)
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_split=0.1, verbose=args.verbose)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f}")
    print(f"untrained test accuracy: {untrained_acc:.4f}  (the baseline)")
    print(f"test accuracy: {acc:.4f}  ({len(x_test)} digits, chance 0.10)")
    return float(acc)


if __name__ == "__main__":
    main()
