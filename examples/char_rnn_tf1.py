"""Char-RNN, TF1 style: MultiRNNCell + DropoutWrapper on Shakespeare's sonnets.

A classic TF1 character-level language model (in the style of the well-known
``char-rnn-tensorflow``), unchanged except for ``import tfshare.compat.v1 as
tf``: an embedding, a ``MultiRNNCell`` of ``BasicLSTMCell``s wrapped in
``DropoutWrapper`` for training, ``tf.nn.dynamic_rnn``, a softmax layer, Adam
with gradient clipping; graph mode, placeholders, ``tf.Session``.

The sampling graph is a second ``CharRNN`` (batch 1, one step, no dropout) built
under the same ``variable_scope`` with ``reuse=True``: it creates no new
variables and samples with the weights being trained. Samples are printed before
and after training (greedy = argmax, and drawn with ``--temperature``); the
training text is ``tfshare/data/sonnets.txt`` (public domain, ships with
tfshare).

    python examples/char_rnn_tf1.py --steps 400
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import numpy as np

import tfshare.compat.v1 as tf

PRIME = "Shall I compare thee"


class CharRNN:
    """The TF1 model. ``training=False`` gives the one-step sampling model."""

    def __init__(self, vocab_size, rnn_size=128, num_layers=2, batch_size=32, seq_length=50,
                 training=True, keep_prob=0.9, grad_clip=5.0, learning_rate=0.005, reuse=None):
        if not training:
            batch_size, seq_length = 1, 1
        cells = []
        for _ in range(num_layers):
            cell = tf.nn.rnn_cell.BasicLSTMCell(rnn_size)
            if training and keep_prob < 1.0:
                cell = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=keep_prob)
            cells.append(cell)
        self.cell = cell = tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=True)

        self.input_data = tf.placeholder(tf.int32, [batch_size, seq_length])
        self.targets = tf.placeholder(tf.int32, [batch_size, seq_length])
        self.initial_state = cell.zero_state(batch_size, tf.float32)

        with tf.variable_scope("char_rnn", reuse=reuse):
            softmax_w = tf.get_variable("softmax_w", [rnn_size, vocab_size])
            softmax_b = tf.get_variable("softmax_b", [vocab_size])
            embedding = tf.get_variable("embedding", [vocab_size, rnn_size])
            inputs = tf.nn.embedding_lookup(embedding, self.input_data)
            outputs, self.final_state = tf.nn.dynamic_rnn(cell, inputs, initial_state=self.initial_state)

        output = tf.reshape(outputs, [-1, rnn_size])
        self.logits = tf.matmul(output, softmax_w) + softmax_b
        self.probs = tf.nn.softmax(self.logits)
        if not training:
            return
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(self.targets, [-1]), logits=self.logits)
        self.cost = tf.reduce_mean(loss)
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(self.cost, tvars), grad_clip)
        self.train_op = tf.train.AdamOptimizer(learning_rate).apply_gradients(zip(grads, tvars))


def state_feed(model, state):
    """Feed dict entries setting ``model.initial_state`` to ``state`` (numpy)."""
    feed = {}
    for (c, h), value in zip(model.initial_state, state):
        feed[c], feed[h] = value.c, value.h
    return feed


def sample(sess, model, vocab, prime=PRIME, num=200, temperature=0.0, rng=None, return_probs=False):
    """Generate ``num`` characters after ``prime``; ``temperature=0`` is argmax.

    With ``return_probs`` also returns the next-character distribution after
    each input character: ``len(prime) + num`` rows.
    """
    state = sess.run(model.initial_state)
    probs = None
    seen = []
    for ch in prime:
        feed = {model.input_data: [[vocab.index[ch]]], **state_feed(model, state)}
        probs, state = sess.run([model.probs, model.final_state], feed)
        seen.append(probs[0])
    out = []
    for _ in range(num):
        p = probs[0]
        if temperature <= 0:
            nxt = int(np.argmax(p))
        else:
            logp = np.log(np.maximum(p, 1e-12)) / temperature
            q = np.exp(logp - logp.max())
            nxt = int(rng.choice(len(q), p=q / q.sum()))
        out.append(nxt)
        feed = {model.input_data: [[nxt]], **state_feed(model, state)}
        probs, state = sess.run([model.probs, model.final_state], feed)
        seen.append(probs[0])
    text = prime + vocab.decode(out)
    return (text, np.stack(seen)) if return_probs else text


def train(args, log=print, own_graph=False):
    """Build the training and sampling graphs and train. Returns (sess, train model,
    sampling model, vocab, final loss, sample before training).

    By default the program switches the process to TF1 graph mode
    (``tf.disable_eager_execution()``), as a TF1 script would. With
    ``own_graph=True`` it builds into the current default graph instead (call it
    inside ``with tf.Graph().as_default():``) and leaves eager mode on for the
    rest of the process.
    """
    text = _common.load_text()
    vocab = _common.CharVocab(text)
    ids = vocab.encode(text)
    rng = np.random.default_rng(args.seed)

    if not own_graph:
        tf.disable_eager_execution()
        tf.reset_default_graph()
    tf.set_random_seed(args.seed)
    model = CharRNN(len(vocab), args.rnn_size, args.num_layers, args.batch_size, args.seq_length,
                    training=True, keep_prob=args.keep_prob, learning_rate=args.learning_rate)
    n_vars = len(tf.trainable_variables())
    sampler = CharRNN(len(vocab), args.rnn_size, args.num_layers, training=False, reuse=True)
    log(f"text: {len(text):,} characters, vocabulary {len(vocab)}; {n_vars} trainable variables; "
        f"sampling graph (reuse=True) created no new ones: {len(tf.trainable_variables()) == n_vars}")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    before = sample(sess, sampler, vocab, num=args.sample_length)
    log(f"greedy sample before training:\n  {before!r}")

    batches = _common.char_batches(ids, rng, args.batch_size, args.seq_length)
    bar = _common.progbar(args.steps, ["loss"])
    loss = float("nan")
    for step in range(1, args.steps + 1):
        x, y = next(batches)
        loss, _ = sess.run([model.cost, model.train_op], {model.input_data: x, model.targets: y})
        bar.update(step, [("loss", loss)])
    return sess, model, sampler, vocab, float(loss), before


def make_parser(doc, **overrides):
    defaults = dict(steps=400, rnn_size=128, num_layers=2, batch_size=32, seq_length=50,
                    keep_prob=0.9, learning_rate=0.005, sample_length=200, temperature=0.7)
    defaults.update(overrides)
    return _common.parser(doc, **defaults)


def main(argv=None):
    args = make_parser(__doc__).parse_args(argv)
    sess, model, sampler, vocab, loss, before = train(args)
    print("trainable variables:")
    for v in tf.trainable_variables():
        print(f"  {v.name:56s} {v.shape}")
    after = sample(sess, sampler, vocab, num=args.sample_length)
    drawn = sample(sess, sampler, vocab, num=args.sample_length, temperature=args.temperature,
                   rng=np.random.default_rng(args.seed))
    sess.close()
    print(f"final training loss: {loss:.4f} (perplexity {np.exp(loss):.2f} per character)")
    print(f"greedy sample after training:\n  {after!r}")
    print(f"sample at temperature {args.temperature}:\n  {drawn!r}")
    return loss


if __name__ == "__main__":
    main()
