"""Transfer learning through a TF1 checkpoint: restore the trunk, freeze it, train a new head.

1. Train a row-LSTM (``tfshare.RNN(tfshare.LSTMCell(64), name="encoder")``
   + ``Dense`` head) to classify scikit-learn digits 0-4.
2. ``tfshare.save`` writes its weights as a TF1 name-based checkpoint
   (``encoder/lstm_cell/kernel``, ... readable by ``tf.train.Saver``).
3. Build a new model for digits 5-9 whose trunk is named ``trunk`` and whose
   head is new; ``tfshare.restore(model, ckpt, exclude=["new_head"],
   assignment_map={"encoder/": "trunk/"})`` loads the trunk and prints the
   restore report (what matched, what was renamed, what was left out).
4. ``tfshare.freeze(model, exclude=["new_head"])`` freezes the trunk; only the
   head is fine-tuned, on a small training set (``--few`` examples per class).
5. The same head trained on a frozen *random* trunk is the baseline.

    python examples/transfer_learning.py --epochs 12
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import os
import tempfile

import keras
import numpy as np

import tfshare


def build(trunk_name: str, head_name: str, num_units: int, num_classes: int = 5) -> keras.Model:
    inputs = keras.Input((8, 8), name="rows")
    h = tfshare.RNN(tfshare.LSTMCell(num_units), name=trunk_name)(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_classes, name=head_name)(h))


def compile_model(model, lr):
    model.compile(optimizer=keras.optimizers.Adam(lr), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def main(argv=None):
    args = _common.parser(__doc__, epochs=12, head_epochs=30, num_units=64, few=20,
                          learning_rate=0.01, verbose=2, ckpt_dir="").parse_args(argv)
    rng = _common.seed_everything(args.seed)
    (x_train, y_train), (x_test, y_test) = _common.digits_rows(args.seed)
    src_tr, src_te = y_train < 5, y_test < 5
    tgt_te = ~src_te

    print("== 1. train the source model on digits 0-4 ==")
    source = build("encoder", "head", args.num_units)
    compile_model(source, args.learning_rate)
    source.fit(x_train[src_tr], y_train[src_tr], epochs=args.epochs, batch_size=64, verbose=args.verbose)
    _, src_acc = source.evaluate(x_test[src_te], y_test[src_te], verbose=0)
    print(f"source test accuracy (digits 0-4): {src_acc:.4f}")

    print("\n== 2. save a TF1 checkpoint ==")
    ckpt_dir = args.ckpt_dir or tempfile.mkdtemp(prefix="tfshare_transfer_")
    prefix = tfshare.save(source, os.path.join(ckpt_dir, "source"))
    for info in tfshare.list_variables(prefix):
        print(f"  {info.name:36s} {tuple(info.shape)}")

    # Few labelled examples per class of the target task.
    few_idx = np.concatenate([rng.permutation(np.flatnonzero(y_train == c))[:args.few] for c in range(5, 10)])
    x_few, y_few = x_train[few_idx], y_train[few_idx] - 5
    print(f"\ntarget task: digits 5-9, {len(few_idx)} training examples")

    print("\n== 3. new model, restore the trunk (exclude the new head, rename encoder/ -> trunk/) ==")
    target = build("trunk", "new_head", args.num_units)
    trunk = target.get_layer("trunk")
    report = tfshare.restore(target, prefix, exclude=["new_head"], assignment_map={"encoder/": "trunk/"})
    print(report)
    same = all(np.array_equal(a, b) for a, b in
               zip(trunk.get_weights(), source.get_layer("encoder").get_weights()))
    print(f"trunk weights equal the source encoder's: {same}")

    print("\n== 4. freeze the trunk, fine-tune the head ==")
    frozen = tfshare.freeze(target, exclude=["new_head"])
    print(f"frozen: {frozen}")
    print(tfshare.param_report(target))
    before = [w.copy() for w in trunk.get_weights()]
    compile_model(target, args.learning_rate)
    target.fit(x_few, y_few, epochs=args.head_epochs, batch_size=32, verbose=args.verbose)
    unchanged = all(np.array_equal(a, b) for a, b in zip(before, trunk.get_weights()))
    _, tgt_acc = target.evaluate(x_test[tgt_te], y_test[tgt_te] - 5, verbose=0)

    print("\n== 5. baseline: the same head on a frozen random trunk ==")
    baseline = build("trunk", "new_head", args.num_units)
    tfshare.freeze(baseline, exclude=["new_head"])
    compile_model(baseline, args.learning_rate)
    baseline.fit(x_few, y_few, epochs=args.head_epochs, batch_size=32, verbose=0)
    _, base_acc = baseline.evaluate(x_test[tgt_te], y_test[tgt_te] - 5, verbose=0)

    print(f"\ntrunk unchanged by fine-tuning: {unchanged}")
    print(f"random frozen trunk, test accuracy (digits 5-9): {base_acc:.4f}")
    print(f"transferred trunk, test accuracy (digits 5-9): {tgt_acc:.4f}")
    return float(tgt_acc)


if __name__ == "__main__":
    main()
