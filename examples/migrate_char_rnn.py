"""Migrate a TF1 char-RNN to Keras 3: train in TF1, restore into Keras, generate the same text.

The whole migration story in one run:

1. The TF1 program of ``char_rnn_tf1.py`` (``MultiRNNCell`` of
   ``BasicLSTMCell`` + ``DropoutWrapper``, ``dynamic_rnn``, ``tf.Session``)
   trains on ``tfshare.compat.v1`` in graph mode on Shakespeare's sonnets.
2. It saves a TF1 checkpoint with ``tf.train.Saver`` (names like
   ``char_rnn/rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel``).
3. A Keras 3 model is built from tfshare cells:
   ``Embedding`` -> ``tfshare.RNN(tfshare.MultiRNNCell([tfshare.BasicLSTMCell(n), ...]),
   name="rnn")`` -> ``Dense`` (``tfshare.RNN`` is ``keras.layers.RNN`` with tfshare's
   fast path); its LSTM weights are called
   ``rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel``, TF1's names.
4. ``tfshare.restore`` loads the checkpoint into it (an assignment map drops the
   ``char_rnn/`` prefix and renames the embedding and softmax variables) and
   prints the restore report.
5. Both generate text greedily (argmax) from the same prime: the strings are
   compared, and the next-character probabilities along the way.

    python examples/migrate_char_rnn.py            # ~1-2 minutes on 2 CPU cores
    python examples/migrate_char_rnn.py --steps 50 # quick check
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import os
import tempfile
import time

import keras
import numpy as np

import char_rnn_tf1
import tfshare
import tfshare.compat.v1 as tf

ASSIGNMENT_MAP = {
    "char_rnn/rnn/": "rnn/",                      # the LSTM stack: same names below the prefix
    "char_rnn/embedding": "embedding/embeddings",
    "char_rnn/softmax_w": "softmax/kernel",
    "char_rnn/softmax_b": "softmax/bias",
}


def build_keras_model(vocab_size: int, rnn_size: int, num_layers: int) -> keras.Model:
    ids = keras.Input((None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, rnn_size, name="embedding")(ids)
    cell = tfshare.MultiRNNCell([tfshare.BasicLSTMCell(rnn_size) for _ in range(num_layers)])
    h = tfshare.RNN(cell, return_sequences=True, name="rnn")(x)
    logits = keras.layers.Dense(vocab_size, name="softmax")(h)
    return keras.Model(ids, logits, name="char_rnn_keras")


def keras_greedy(model: keras.Model, vocab, prime: str, num: int) -> str:
    """Greedy generation, one step at a time through the restored cell."""
    embed = model.get_layer("embedding")
    cell = model.get_layer("rnn").cell
    dense = model.get_layer("softmax")
    state = cell.get_initial_state(batch_size=1)
    logits = None
    for ch in prime:
        out, state = cell(embed(np.array([vocab.index[ch]], np.int32)), state)
        logits = dense(out)
    generated = []
    for _ in range(num):
        nxt = int(np.argmax(keras.ops.convert_to_numpy(logits)[0]))
        generated.append(nxt)
        out, state = cell(embed(np.array([nxt], np.int32)), state)
        logits = dense(out)
    return prime + vocab.decode(generated)


def main(argv=None):
    parser = char_rnn_tf1.make_parser(__doc__, steps=400)
    parser.add_argument("--ckpt-dir", default="", help="where to write the TF1 checkpoint (default: a temp dir)")
    args = parser.parse_args(argv)
    _common.seed_everything(args.seed)
    t0 = time.time()

    def step(i, msg):
        print(f"\n[{i}/5] {msg}  ({time.time() - t0:.0f}s)", flush=True)

    step(1, f"train the TF1 char-RNN on tfshare.compat.v1, graph mode ({args.steps} steps)")
    graph = tf.Graph()
    with graph.as_default():
        sess, model, sampler, vocab, loss, before = char_rnn_tf1.train(args, own_graph=True)
        print(f"final training loss {loss:.4f}")
        tf1_text, tf1_probs = char_rnn_tf1.sample(sess, sampler, vocab, num=args.sample_length,
                                                  return_probs=True)

        step(2, "save a TF1 checkpoint with tf.train.Saver")
        ckpt_dir = args.ckpt_dir or tempfile.mkdtemp(prefix="tfshare_char_rnn_")
        prefix = tf.train.Saver().save(sess, os.path.join(ckpt_dir, "model.ckpt"), global_step=args.steps)
        sess.close()
    print(f"checkpoint {prefix}:")
    for name, shape in tf.train.list_variables(prefix):
        print(f"  {name:64s} {shape}")

    step(3, "build the Keras 3 model from tfshare cells (eager mode)")
    kmodel = build_keras_model(len(vocab), args.rnn_size, args.num_layers)
    for w in kmodel.weights:
        print(f"  {w.path:56s} {tuple(w.shape)}")

    step(4, "restore the TF1 checkpoint into the Keras model with tfshare.restore")
    report = tfshare.restore(kmodel, prefix, assignment_map=ASSIGNMENT_MAP)
    print(report)

    step(5, f"generate {args.sample_length} characters greedily in both and compare")
    keras_text = keras_greedy(kmodel, vocab, char_rnn_tf1.PRIME, args.sample_length)
    ids = vocab.encode(tf1_text)[None, :-1]
    keras_probs = keras.ops.convert_to_numpy(keras.ops.softmax(kmodel(ids), axis=-1))[0]
    prob_diff = float(np.abs(keras_probs - tf1_probs[:ids.shape[1]]).max())
    print(f"TF1 (tfshare.compat.v1, graph mode):\n  {tf1_text!r}")
    print(f"Keras 3 (restored tfshare cells):\n  {keras_text!r}")
    print(f"max |p_tf1 - p_keras| over {ids.shape[1]} next-character distributions: {prob_diff:.2e}")
    same = tf1_text == keras_text
    print(f"same text: {same}  (total {time.time() - t0:.0f}s)")
    return same, prob_diff


if __name__ == "__main__":
    same, _ = main()
    raise SystemExit(0 if same else 1)
