"""BiLSTM-CRF tagger: TF1 ``tf.contrib.crf`` on tfshare, then Keras 3.

A toy named-entity task generated in code: sentences of random words where
runs of "name" words are entities; a run right after the title word ``mr`` is
a person (``B-PER I-PER ...``), any other run a location (``B-LOC I-LOC ...``).
The tag of a name word depends on its left context (the BiLSTM's job) and
``I-`` tags may only follow a ``B-``/``I-`` of the same type (the CRF's
transition matrix learns that).

The TF1 program is the usual BiLSTM-CRF, unchanged except for ``import
tfshare.compat.v1 as tf``: an embedding, ``bidirectional_dynamic_rnn`` over
``LSTMCell`` s with ``sequence_length``, a ``tf.layers.dense`` to the tag
potentials, ``crf_log_likelihood`` (its ``transitions`` variable in scope
``crf``) as the loss and ``crf_decode`` (Viterbi) for predictions; graph mode
with ``tf.Session``, saved with ``tf.train.Saver``.

Then the Keras 3 model (``keras.layers.RNN(tfshare.LSTMCell)`` forward and
backward, ``Dense``, ``tfshare.seq2seq.layers.CRF``; weight paths = TF1 names)
is restored with ``tfshare.restore`` and both tag the test set: the tags and
the potentials are compared. Printed: tag accuracy against the all-``O``
baseline, and accuracy on entity words.

    python examples/bilstm_crf.py --steps 300
"""
import _common  # noqa: F401  (quiet TF logs)

import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf2

import tfshare
import tfshare.compat.v1 as tf
from tfshare.seq2seq import layers as s2s_layers

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
PAD, TITLE, N_COMMON, N_NAMES = 0, 1, 20, 10  # word ids: 0 pad, 1 "mr", 2..21 common, 22..31 names
FIRST_NAME = 2 + N_COMMON
VOCAB = FIRST_NAME + N_NAMES


# --------------------------------------------------------------------------- data
def sentence(rng, max_len):
    """One sentence (word ids) and its tags, at most ``max_len`` words."""
    words, tags = [], []
    while len(words) < max_len - 4:
        r = rng.random()
        if r < 0.15:
            run = int(rng.integers(1, 4))
            person = rng.random() < 0.5
            if person:
                words.append(TITLE)
                tags.append(0)
            words += list(rng.integers(FIRST_NAME, VOCAB, size=run))
            b, i = (1, 2) if person else (3, 4)
            tags += [b] + [i] * (run - 1)
        else:
            words.append(int(rng.integers(2, FIRST_NAME)))
            tags.append(0)
        if rng.random() < 0.12:
            break
    return words[:max_len], tags[:max_len]


def make_data(rng, n, max_len=12):
    """``(words, lengths, tags)`` padded to ``max_len``."""
    words = np.zeros((n, max_len), np.int32)
    tags = np.zeros((n, max_len), np.int32)
    lengths = np.zeros(n, np.int32)
    for k in range(n):
        w, t = sentence(rng, max_len)
        words[k, :len(w)], tags[k, :len(t)], lengths[k] = w, t, len(w)
    return words, lengths, tags


# --------------------------------------------------------------------------- TF1 model
class Tagger:
    def __init__(self, embed, units, learning_rate):
        crf = tf.contrib.crf
        self.words = tf.placeholder(tf.int32, [None, None], name="words")
        self.lengths = tf.placeholder(tf.int32, [None], name="lengths")
        self.tags = tf.placeholder(tf.int32, [None, None], name="tags")
        with tf.variable_scope("embedding"):
            x = tf.nn.embedding_lookup(tf.get_variable("words", [VOCAB, embed]), self.words)
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.LSTMCell(units), tf.nn.rnn_cell.LSTMCell(units), x,
            sequence_length=self.lengths, dtype=tf.float32)
        self.potentials = tf.layers.dense(tf.concat([fw, bw], -1), len(TAGS), name="potentials")
        with tf.variable_scope("crf"):
            log_likelihood, transitions = crf.crf_log_likelihood(self.potentials, self.tags,
                                                                 self.lengths)
        self.loss = -tf.reduce_mean(log_likelihood)
        self.train_op = tf.train.AdamOptimizer(learning_rate).minimize(self.loss)
        self.decoded, _ = crf.crf_decode(self.potentials, transitions, self.lengths)

    def feed(self, batch):
        return dict(zip([self.words, self.lengths, self.tags], batch))


# --------------------------------------------------------------------------- Keras 3 model
class WordTable(keras.layers.Layer):
    """The embedding as TF1 named it: ``embedding/words``."""

    def __init__(self, rows, cols, **kwargs):
        super().__init__(**kwargs)
        self.rows, self.cols = rows, cols

    def build(self, _):
        self.words = self.add_weight(name="words", shape=(self.rows, self.cols))

    def call(self, ids):
        return tf2.nn.embedding_lookup(tf2.convert_to_tensor(self.words), ids)


class BidirectionalRNN(keras.layers.Layer):
    """TF1's ``bidirectional_dynamic_rnn``: ``bidirectional_rnn/fw|bw/lstm_cell/...``.
    The backward RNN reads each sequence reversed within its length (the mask),
    its outputs are reversed back."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.fw = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                   zero_output_for_mask=True, name="fw")
        self.bw = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                   zero_output_for_mask=True, go_backwards=True, name="bw")

    def call(self, x, mask):
        return tf2.concat([self.fw(x, mask=mask), tf2.reverse(self.bw(x, mask=mask), [1])], -1)


class KerasTagger(keras.Model):
    """The same tagger in Keras 3; weight paths are ``tagger/`` + the TF1 names."""

    def __init__(self, vocab, tags, embed, units):
        super().__init__(name="tagger")
        self.embedding = WordTable(vocab, embed, name="embedding")
        self.birnn = BidirectionalRNN(units, name="bidirectional_rnn")
        self.potentials = keras.layers.Dense(tags, name="potentials")
        self.crf = s2s_layers.CRF(tags, name="crf")

    def call(self, words, lengths, tags=None):
        """``(potentials, Viterbi tags)``; with ``tags`` the CRF also adds its
        negative log-likelihood to the model's losses (for ``fit``)."""
        mask = tf2.sequence_mask(lengths, tf2.shape(words)[1])
        potentials = self.potentials(self.birnn(self.embedding(words), mask))
        return potentials, self.crf(potentials, lengths, tags=tags)


# --------------------------------------------------------------------------- evaluation
def accuracies(decoded, words, lengths, tags):
    """Tag accuracy over all words and over entity words."""
    mask = np.arange(words.shape[1])[None] < lengths[:, None]
    right = (np.asarray(decoded) == tags) & mask
    entity = mask & (tags > 0)
    return right.sum() / mask.sum(), right[entity].sum() / max(1, entity.sum())


def main(argv=None):
    parser = _common.parser(__doc__, steps=300, batch_size=32, embed=16, units=32,
                            learning_rate=0.02, test_size=300, ckpt_dir="")
    args = parser.parse_args(argv)
    rng = _common.seed_everything(args.seed)
    t0 = time.time()
    test = make_data(rng, args.test_size)
    words, lengths, tags = test
    valid = np.arange(words.shape[1])[None] < lengths[:, None]
    baseline = float(np.mean(tags[valid] == 0))

    print(f"[1/4] train the TF1 BiLSTM-CRF on tfshare.compat.v1, graph mode ({args.steps} steps)")
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        model = Tagger(args.embed, args.units, args.learning_rate)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        bar = _common.progbar(args.steps, ["loss"])
        loss = float("nan")
        for step in range(1, args.steps + 1):
            loss, _ = sess.run([model.loss, model.train_op],
                               model.feed(make_data(rng, args.batch_size)))
            bar.update(step, [("loss", loss)])
        tf1_tags, tf1_potentials = sess.run([model.decoded, model.potentials], model.feed(test))
        ckpt_dir = args.ckpt_dir or tempfile.mkdtemp(prefix="tfshare_tagger_")
        prefix = tf.train.Saver().save(sess, os.path.join(ckpt_dir, "tagger.ckpt"))
        names = [v.name for v in tf.trainable_variables()]
        sess.close()
    print(f"final training loss {loss:.4f}; TF1 variables: {', '.join(names)}")

    print("[2/4] build the Keras 3 tagger (tfshare cells, tfshare.seq2seq.layers.CRF)")
    kmodel = KerasTagger(VOCAB, len(TAGS), args.embed, args.units)
    kmodel(words, lengths)
    for w in kmodel.weights:
        print(f"  {w.path:48s} {tuple(w.shape)}")

    print("[3/4] restore the TF1 checkpoint with tfshare.restore")
    report = tfshare.restore(kmodel, prefix, assignment_map={"/": "tagger/"})
    print(report.summary() + " (the unused entries are Adam's slots)")

    print("[4/4] tag the test set in both")
    potentials, keras_tags = kmodel(words, lengths)
    diff = float(np.abs(np.asarray(potentials) - tf1_potentials).max())
    sample = int(np.argmax((tags == 1).any(axis=1)))  # a sentence with a person
    n = lengths[sample]
    print("  words: " + " ".join("mr" if w == TITLE else ("N" if w >= FIRST_NAME else "w")
                                 for w in words[sample, :n]))
    print("  tags:  " + " ".join(TAGS[t] for t in np.asarray(keras_tags)[sample, :n]))
    accuracy, entity_accuracy = accuracies(keras_tags, *test)
    tf1_accuracy, _ = accuracies(tf1_tags, *test)
    print(f"max |potentials_tf1 - potentials_keras|: {diff:.2e}")
    print(f"same tags: {np.array_equal(np.asarray(keras_tags), tf1_tags)}")
    print(f"all-O baseline tag accuracy: {baseline:.3f}")
    print(f"TF1 tag accuracy: {tf1_accuracy:.3f}")
    print(f"Keras tag accuracy: {accuracy:.3f} (entity words: {entity_accuracy:.3f})")
    print(f"total {time.time() - t0:.0f}s")
    return accuracy


if __name__ == "__main__":
    main()
