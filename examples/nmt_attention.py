"""Attention NMT with beam search: TF1 ``tf.contrib.seq2seq`` on tfshare, then Keras 3.

A toy translation task generated in code: the "translation" of a sequence of
symbols is the sequence reversed (lengths 3-8, 10 symbols). The model is the
TensorFlow NMT tutorial's, unchanged except for ``import tfshare.compat.v1 as
tf``: an LSTM encoder (``dynamic_rnn`` with ``sequence_length``), an
``AttentionWrapper`` LSTM decoder with normalized Bahdanau attention,
``TrainingHelper`` + ``BasicDecoder`` + ``dynamic_decode`` for training with
``sequence_loss``, and a ``BeamSearchDecoder`` (``tile_batch``,
``length_penalty_weight``) built with ``reuse=True`` for inference. It trains
in graph mode with ``tf.Session`` and saves a TF1 checkpoint with
``tf.train.Saver``.

Then the same model is built in Keras 3 from ``tfshare.seq2seq.layers``
(``keras.layers.RNN(AttentionWrapper(tfshare.LSTMCell, BahdanauAttention))``
whose weight paths are the TF1 names), ``tfshare.restore`` loads the
checkpoint, and both decode the test set with beam search: the beams and the
teacher-forced logits are compared. Printed: the sequence accuracy of the best
beam against the "copy the input" baseline.

    python examples/nmt_attention.py --steps 600
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

PAD, START, END, FIRST = 0, 1, 2, 3


# --------------------------------------------------------------------------- data
def make_data(rng, n, symbols, min_len=3, max_len=8):
    """Random sequences and their reversals: ``(src, src_len, tgt_in, tgt_out, tgt_len)``,
    padded; the target is the reversed source followed by END, the decoder input
    START followed by the reversed source."""
    lengths = rng.integers(min_len, max_len + 1, size=n)
    src = np.zeros((n, max_len), np.int32)
    tgt_in = np.zeros((n, max_len + 1), np.int32)
    tgt_out = np.zeros((n, max_len + 1), np.int32)
    for i, n_i in enumerate(lengths):
        seq = rng.integers(FIRST, FIRST + symbols, size=n_i)
        src[i, :n_i] = seq
        tgt_in[i, :n_i + 1] = np.concatenate([[START], seq[::-1]])
        tgt_out[i, :n_i + 1] = np.concatenate([seq[::-1], [END]])
    return src, lengths.astype(np.int32), tgt_in, tgt_out, (lengths + 1).astype(np.int32)


# --------------------------------------------------------------------------- TF1 model
class NMT:
    """The TF1 training and beam-search graphs (one set of variables)."""

    def __init__(self, vocab, embed, units, beam_width, max_iterations, learning_rate):
        s2s = tf.contrib.seq2seq
        self.src = tf.placeholder(tf.int32, [None, None], name="src")
        self.src_len = tf.placeholder(tf.int32, [None], name="src_len")
        self.tgt_in = tf.placeholder(tf.int32, [None, None], name="tgt_in")
        self.tgt_out = tf.placeholder(tf.int32, [None, None], name="tgt_out")
        self.tgt_len = tf.placeholder(tf.int32, [None], name="tgt_len")
        batch = tf.size(self.src_len)
        with tf.variable_scope("embeddings"):
            emb_src = tf.get_variable("encoder", [vocab, embed])
            emb_tgt = tf.get_variable("decoder", [vocab, embed])
        with tf.variable_scope("encoder"):
            enc_out, enc_state = tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.LSTMCell(units), tf.nn.embedding_lookup(emb_src, self.src),
                sequence_length=self.src_len, dtype=tf.float32)
        projection = tf.layers.Dense(vocab, name="output_projection")

        def decoder_cell(memory, memory_len, state, batch_size):
            mechanism = s2s.BahdanauAttention(units, memory, memory_len, normalize=True)
            cell = s2s.AttentionWrapper(tf.nn.rnn_cell.LSTMCell(units), mechanism,
                                        attention_layer_size=units)
            return cell, cell.zero_state(batch_size, tf.float32).clone(cell_state=state)

        with tf.variable_scope("decoder") as scope:
            cell, init = decoder_cell(enc_out, self.src_len, enc_state, batch)
            helper = s2s.TrainingHelper(tf.nn.embedding_lookup(emb_tgt, self.tgt_in), self.tgt_len)
            outputs, _, _ = s2s.dynamic_decode(s2s.BasicDecoder(cell, helper, init, projection),
                                               scope=scope)
        self.logits = outputs.rnn_output
        steps = tf.shape(self.logits)[1]
        mask = tf.sequence_mask(self.tgt_len, steps, dtype=tf.float32)
        self.loss = s2s.sequence_loss(self.logits, self.tgt_out[:, :steps], mask)
        params = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(self.loss, params), 5.0)
        self.train_op = tf.train.AdamOptimizer(learning_rate).apply_gradients(zip(grads, params))

        with tf.variable_scope("decoder", reuse=True) as scope:
            tiled = s2s.tile_batch((enc_out, self.src_len, enc_state), beam_width)
            cell, init = decoder_cell(*tiled, batch * beam_width)
            beam = s2s.BeamSearchDecoder(cell, emb_tgt, tf.fill([batch], START), END, init,
                                         beam_width, output_layer=projection,
                                         length_penalty_weight=0.6)
            out, _, _ = s2s.dynamic_decode(beam, maximum_iterations=max_iterations, scope=scope)
        self.beams = out.predicted_ids  # [batch, time, beam_width], best beam first

    def feed(self, batch):
        return dict(zip([self.src, self.src_len, self.tgt_in, self.tgt_out, self.tgt_len], batch))


# --------------------------------------------------------------------------- Keras 3 model
class Tables(keras.layers.Layer):
    """Embedding tables as plain weights named as TF1's ``get_variable`` s."""

    def __init__(self, shapes, **kwargs):
        super().__init__(**kwargs)
        self.shapes = shapes

    def build(self, _=None):
        for name, shape in self.shapes.items():
            setattr(self, name, self.add_weight(name=name, shape=shape))

    def lookup(self, table, ids):
        if not self.built:
            self.build()
            self.built = True
        return tf2.nn.embedding_lookup(tf2.convert_to_tensor(getattr(self, table)), ids)


class KerasNMT(keras.Model):
    """The same model in Keras 3; weight paths are ``nmt/`` + the TF1 names."""

    def __init__(self, vocab, embed, units, beam_width, max_iterations):
        super().__init__(name="nmt")
        self.beam_width, self.max_iterations = beam_width, max_iterations
        self.embeddings = Tables({"encoder": (vocab, embed), "decoder": (vocab, embed)},
                                 name="embeddings")
        self.encoder = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                        return_state=True, zero_output_for_mask=True, name="rnn")
        self.mechanism = s2s_layers.BahdanauAttention(units, normalize=True)
        self.cell = s2s_layers.AttentionWrapper(tfshare.LSTMCell(units), self.mechanism,
                                                attention_layer_size=units)
        self.decoder = keras.layers.RNN(self.cell, return_sequences=True, name="decoder")
        self.projection = keras.layers.Dense(vocab, name="output_projection")

    def _encode(self, src, src_len, beam_width=1):
        x = self.embeddings.lookup("encoder", src)
        with keras.name_scope("encoder"):  # TF1's dynamic_rnn ran in scope "encoder"
            out, c, h = self.encoder(x, mask=tf2.sequence_mask(src_len, tf2.shape(src)[1]))
        state = tfshare.LSTMStateTuple(c, h)
        if beam_width > 1:
            out, src_len, state = tfshare.seq2seq.tile_batch((out, src_len, state), beam_width)
        with keras.name_scope("decoder"):  # TF1 built the mechanism in scope "decoder"
            self.mechanism.setup_memory(out, src_len)
        batch = tf2.shape(src)[0] * beam_width
        return self.cell.get_initial_state(batch_size=batch).clone(cell_state=state)

    def call(self, src, src_len, tgt_in):
        """Teacher-forced logits ``[batch, time, vocab]``."""
        init = self._encode(src, src_len)
        outputs = self.decoder(self.embeddings.lookup("decoder", tgt_in), initial_state=list(init))
        with keras.name_scope("decoder"):
            return self.projection(outputs)

    def beam_search(self, src, src_len):
        """``dynamic_decode``'s ``(FinalBeamSearchDecoderOutput, BeamSearchDecoderState)``;
        ``predicted_ids`` is ``[batch, time, beam_width]``, best beam first."""
        s2s = tfshare.seq2seq
        init = self._encode(src, src_len, self.beam_width)
        decoder = s2s.BeamSearchDecoder(
            self.cell, lambda ids: self.embeddings.lookup("decoder", ids),
            tf2.fill([tf2.shape(src)[0]], START), END, init, self.beam_width,
            output_layer=self.projection, length_penalty_weight=0.6)
        out, state, _ = s2s.dynamic_decode(decoder, maximum_iterations=self.max_iterations)
        return out, state


# --------------------------------------------------------------------------- evaluation
def sequences(ids):
    """Best-beam token lists, cut at END."""
    out = []
    for row in np.asarray(ids)[:, :, 0]:
        row = list(row)
        out.append(row[:row.index(END)] if END in row else row)
    return out


def spell(ids):
    """Symbols as letters: 3 -> 'a', 4 -> 'b', ..."""
    return "".join(chr(ord("a") + int(i) - FIRST) for i in ids)


def sequence_accuracy(predicted, src, src_len):
    return float(np.mean([p == list(s[:n][::-1]) for p, s, n in zip(predicted, src, src_len)]))


def main(argv=None):
    parser = _common.parser(__doc__, steps=600, batch_size=64, symbols=10, embed=16, units=64,
                            beam_width=4, learning_rate=0.01, test_size=200,
                            ckpt_dir="")
    args = parser.parse_args(argv)
    rng = _common.seed_everything(args.seed)
    vocab = FIRST + args.symbols
    max_iterations = 10
    t0 = time.time()
    test = make_data(rng, args.test_size, args.symbols)
    copy_baseline = float(np.mean([list(s[:n]) == list(s[:n][::-1])
                                   for s, n in zip(test[0], test[1])]))

    print(f"[1/4] train the TF1 model on tfshare.compat.v1, graph mode ({args.steps} steps)")
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(args.seed)
        model = NMT(vocab, args.embed, args.units, args.beam_width, max_iterations,
                    args.learning_rate)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        bar = _common.progbar(args.steps, ["loss"])
        loss = float("nan")
        for step in range(1, args.steps + 1):
            loss, _ = sess.run([model.loss, model.train_op],
                               model.feed(make_data(rng, args.batch_size, args.symbols)))
            bar.update(step, [("loss", loss)])
        tf1_beams, tf1_logits = sess.run([model.beams, model.logits], model.feed(test))
        ckpt_dir = args.ckpt_dir or tempfile.mkdtemp(prefix="tfshare_nmt_")
        prefix = tf.train.Saver().save(sess, os.path.join(ckpt_dir, "nmt.ckpt"))
        names = [v.name for v in tf.trainable_variables()]
        sess.close()
    tf1_accuracy = sequence_accuracy(sequences(tf1_beams), test[0], test[1])
    print(f"final training loss {loss:.4f}; TF1 variables:")
    for name in names:
        print(f"  {name}")

    print("[2/4] build the Keras 3 model (tfshare.seq2seq.layers, eager mode)")
    kmodel = KerasNMT(vocab, args.embed, args.units, args.beam_width, max_iterations)
    kmodel(*test[:3])
    kmodel.beam_search(*test[:2])
    for w in kmodel.weights:
        print(f"  {w.path:60s} {tuple(w.shape)}")

    print("[3/4] restore the TF1 checkpoint with tfshare.restore")
    report = tfshare.restore(kmodel, prefix, assignment_map={"/": "nmt/"})
    print(report.summary() + " (the unused entries are Adam's slots)")
    for match in report.restored:
        print(f"  restored {match.target:60s} <- {match.source}")

    print("[4/4] decode the test set with beam search in both")
    keras_beams = np.asarray(kmodel.beam_search(*test[:2])[0].predicted_ids)
    logit_diff = float(np.abs(np.asarray(kmodel(*test[:3])) - tf1_logits).max())
    keras_accuracy = sequence_accuracy(sequences(keras_beams), test[0], test[1])
    for src, n, pred in list(zip(test[0], test[1], sequences(keras_beams)))[:3]:
        print(f"  {spell(src[:n])} -> {spell(pred)}")
    print(f"max |logits_tf1 - logits_keras| (teacher forcing): {logit_diff:.2e}")
    print(f"same beams: {np.array_equal(keras_beams, tf1_beams)}")
    print(f"copy baseline sequence accuracy: {copy_baseline:.3f}")
    print(f"TF1 beam search sequence accuracy: {tf1_accuracy:.3f}")
    print(f"Keras beam search sequence accuracy: {keras_accuracy:.3f}")
    print(f"total {time.time() - t0:.0f}s")
    return tf1_accuracy


if __name__ == "__main__":
    main()
