"""Word-level language model on variable-length sentences (the PTB-style TF1 model).

The structure of TF1's PTB tutorial: a ``PTBModel`` class built twice, a training
model (dropout) under ``variable_scope("Model", reuse=None, initializer=...)``
and a validation model (no dropout) under ``variable_scope("Model",
reuse=True)``, so both use one set of weights. Instead of PTB's fixed windows,
each sentence (a line of the sonnets in ``tfshare/data/sonnets.txt``) is one
variable-length sequence: ``tf.nn.dynamic_rnn(..., sequence_length=lengths)``
and a masked loss. Per epoch it prints training and validation perplexity, and
compares with a unigram (word frequency) model's validation perplexity.

    python examples/word_lm.py --epochs 8
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import re

import numpy as np

import tfshare.compat.v1 as tf


def load_sentences(seed: int, valid_fraction: float = 0.15):
    lines = [ln.strip() for ln in _common.load_text().splitlines() if ln.strip()]
    sentences = [re.findall(r"[a-z']+", ln.lower()) for ln in lines]
    order = np.random.default_rng(seed).permutation(len(sentences))
    n_valid = int(len(sentences) * valid_fraction)
    valid = [sentences[i] for i in order[:n_valid]]
    train = [sentences[i] for i in order[n_valid:]]
    counts = {}
    for s in train:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    words = ["<eos>", "<unk>"] + sorted(w for w, c in counts.items() if c >= 2)
    return train, valid, {w: i for i, w in enumerate(words)}


def encode(sentences, vocab):
    """(inputs, targets, lengths) padded with 0; input = <eos> + words."""
    unk, eos = vocab["<unk>"], vocab["<eos>"]
    ids = [[vocab.get(w, unk) for w in s] for s in sentences]
    T = max(len(s) for s in ids) + 1
    x = np.zeros((len(ids), T), np.int32)
    y = np.zeros((len(ids), T), np.int32)
    lengths = np.zeros(len(ids), np.int32)
    for i, s in enumerate(ids):
        x[i, :len(s) + 1] = [eos] + s
        y[i, :len(s) + 1] = s + [eos]
        lengths[i] = len(s) + 1
    return x, y, lengths


class PTBModel:
    """The PTB model, on sentences with ``sequence_length``."""

    def __init__(self, is_training, config, vocab_size):
        self.inputs = tf.placeholder(tf.int32, [None, None], name="inputs")
        self.targets = tf.placeholder(tf.int32, [None, None], name="targets")
        self.lengths = tf.placeholder(tf.int32, [None], name="lengths")
        size = config.hidden_size

        def make_cell():
            cell = tf.nn.rnn_cell.BasicLSTMCell(size, forget_bias=0.0)
            if is_training and config.keep_prob < 1:
                cell = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=config.keep_prob)
            return cell

        cell = tf.nn.rnn_cell.MultiRNNCell([make_cell() for _ in range(config.num_layers)])
        embedding = tf.get_variable("embedding", [vocab_size, size])
        inputs = tf.nn.embedding_lookup(embedding, self.inputs)
        if is_training and config.keep_prob < 1:
            inputs = tf.nn.dropout(inputs, rate=1 - config.keep_prob)
        outputs, _ = tf.nn.dynamic_rnn(cell, inputs, sequence_length=self.lengths, dtype=tf.float32)
        softmax_w = tf.get_variable("softmax_w", [size, vocab_size])
        softmax_b = tf.get_variable("softmax_b", [vocab_size])
        logits = tf.tensordot(outputs, softmax_w, 1) + softmax_b
        xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.targets, logits=logits)
        mask = tf.sequence_mask(self.lengths, tf.shape(self.inputs)[1], dtype=tf.float32)
        self.total_loss = tf.reduce_sum(xent * mask)
        self.num_words = tf.reduce_sum(mask)
        if not is_training:
            return
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(self.total_loss / self.num_words, tvars),
                                          config.max_grad_norm)
        self.train_op = tf.train.AdamOptimizer(config.learning_rate).apply_gradients(zip(grads, tvars))


def run_epoch(sess, model, data, batch_size, rng=None, bar=None, step0=0):
    x, y, lengths = data
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    total, words = 0.0, 0.0
    fetches = [model.total_loss, model.num_words]
    if rng is not None:
        fetches.append(model.train_op)
    for k, i in enumerate(range(0, len(x), batch_size)):
        idx = order[i:i + batch_size]
        T = int(lengths[idx].max())
        out = sess.run(fetches, {model.inputs: x[idx, :T], model.targets: y[idx, :T],
                                 model.lengths: lengths[idx]})
        total, words = total + out[0], words + out[1]
        if bar is not None:
            bar.update(step0 + k + 1, [("ppl", float(np.exp(total / words)))])
    return float(np.exp(total / words))


def main(argv=None):
    args = _common.parser(__doc__, epochs=8, batch_size=16, hidden_size=64, num_layers=1,
                          keep_prob=0.5, learning_rate=0.01, max_grad_norm=5.0,
                          init_scale=0.1).parse_args(argv)
    rng = np.random.default_rng(args.seed)
    train_s, valid_s, vocab = load_sentences(args.seed)
    train_data, valid_data = encode(train_s, vocab), encode(valid_s, vocab)
    print(f"{len(train_s)} training and {len(valid_s)} validation sentences "
          f"({train_data[2].min()}-{train_data[2].max()} tokens), vocabulary {len(vocab)}")

    # Unigram baseline on the validation words (add-one smoothing).
    counts = np.bincount(train_data[1][np.arange(train_data[1].shape[1]) < train_data[2][:, None]],
                         minlength=len(vocab)) + 1.0
    p = counts / counts.sum()
    vy = valid_data[1][np.arange(valid_data[1].shape[1]) < valid_data[2][:, None]]
    unigram_ppl = float(np.exp(-np.mean(np.log(p[vy]))))

    tf.disable_eager_execution()
    tf.reset_default_graph()
    tf.set_random_seed(args.seed)
    initializer = tf.random_uniform_initializer(-args.init_scale, args.init_scale)
    with tf.name_scope("Train"):
        with tf.variable_scope("Model", reuse=None, initializer=initializer):
            m = PTBModel(is_training=True, config=args, vocab_size=len(vocab))
    n_vars = len(tf.trainable_variables())
    with tf.name_scope("Valid"):
        with tf.variable_scope("Model", reuse=True, initializer=initializer):
            mvalid = PTBModel(is_training=False, config=args, vocab_size=len(vocab))
    print(f"train and valid models share {n_vars} variables "
          f"(valid model created {len(tf.trainable_variables()) - n_vars} new):")
    for v in tf.trainable_variables():
        print(f"  {v.name:56s} {v.shape}")

    steps_per_epoch = -(-len(train_s) // args.batch_size)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first_valid = run_epoch(sess, mvalid, valid_data, args.batch_size)
        print(f"untrained valid perplexity: {first_valid:.2f}")
        bar = _common.progbar(args.epochs * steps_per_epoch, ["ppl"])
        best = float("inf")
        for epoch in range(args.epochs):
            train_ppl = run_epoch(sess, m, train_data, args.batch_size, rng, bar, epoch * steps_per_epoch)
            valid_ppl = run_epoch(sess, mvalid, valid_data, args.batch_size)
            best = min(best, valid_ppl)
            print(f"\nepoch {epoch + 1}: train perplexity {train_ppl:.2f}, valid perplexity {valid_ppl:.2f}")
    print(f"unigram baseline valid perplexity: {unigram_ppl:.2f}")
    print(f"valid perplexity: {valid_ppl:.2f} (best {best:.2f})")
    return valid_ppl


if __name__ == "__main__":
    main()
