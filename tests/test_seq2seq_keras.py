"""The Keras 3 side of the seq2seq family, and TF 1.15 checkpoints.

* TF 1.15 checkpoints of an attention + beam-search translator and of a
  BiLSTM-CRF tagger (committed, written by ``make_seq2seq_fixtures.py``)
  restore into the same TF1 programs on ``tfshare.compat.v1`` (``Saver``) and
  into Keras 3 models (``tfshare.restore``, weight paths = TF1 names), with
  TF 1.15's outputs: teacher-forced logits, beams (ids, parents, scores) and
  CRF decoding and log-likelihood.
* ``tfshare.seq2seq.layers``: each Keras mechanism in ``keras.layers.RNN``
  equals the TF1 wrapper with the same weights; masks, fitting,
  ``tf.train.Checkpoint``.
"""
import numpy as np
import pytest
import tensorflow as tf
import keras

from fixtures import make_seq2seq_fixtures as fx

import tfshare
import tfshare.compat.v1 as tfc
from tfshare.seq2seq import layers as L

s2s = tfshare.seq2seq
CONFIG = fx.checkpoint_config()
IN = fx.make_inputs()


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    return fx.golden_for(tmp_path_factory, "checkpoints")


# --------------------------------------------------------------------------- Keras models
class Tables(keras.layers.Layer):
    """Embedding tables as plain weights (TF1: ``get_variable(name, [rows, cols])``)."""

    def __init__(self, shapes, **kwargs):
        super().__init__(**kwargs)
        self.shapes = shapes

    def build(self, _=None):
        for k, v in self.shapes.items():
            setattr(self, k, self.add_weight(name=k, shape=v))

    def lookup(self, table, ids):
        if not self.built:
            self.build()
            self.built = True
        return tf.nn.embedding_lookup(tf.convert_to_tensor(getattr(self, table)), ids)


class Encoder(keras.layers.Layer):
    """TF1 ``dynamic_rnn`` in scope ``encoder``: ``encoder/rnn/lstm_cell/...``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.rnn = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                    return_state=True, zero_output_for_mask=True, name="rnn")

    def call(self, x, lengths):
        out, c, h = self.rnn(x, mask=tf.sequence_mask(lengths, tf.shape(x)[1]))
        return out, tfshare.LSTMStateTuple(c, h)


class KerasNMT(keras.Model):
    """The translator of ``CHECKPOINT_PROGRAMS`` in Keras 3: weight paths are
    ``nmt/`` + TF1's names."""

    def __init__(self, c):
        super().__init__(name="nmt")
        self.c = c
        self.embeddings = Tables({"encoder": (c["src_vocab"], c["embed"]),
                                  "decoder": (c["tgt_vocab"], c["embed"])}, name="embeddings")
        self.encoder = Encoder(c["units"], name="encoder")
        self.mechanism = L.LuongAttention(c["units"], scale=True)
        self.cell = L.AttentionWrapper(tfshare.LSTMCell(c["units"]), self.mechanism,
                                       attention_layer_size=c["units"])
        self.decoder = keras.layers.RNN(self.cell, return_sequences=True, name="decoder")
        self.projection = keras.layers.Dense(c["tgt_vocab"], name="output_projection")

    def _start(self, src, src_len, beam=1):
        enc_out, enc_state = self.encoder(self.embeddings.lookup("encoder", src), src_len)
        if beam > 1:
            enc_out, src_len, enc_state = s2s.tile_batch((enc_out, src_len, enc_state), beam)
        with keras.name_scope("decoder"):  # TF1 built the mechanism in scope "decoder"
            self.mechanism.setup_memory(enc_out, src_len)
        batch = tf.shape(src)[0] * beam
        return self.cell.get_initial_state(batch_size=batch).clone(cell_state=enc_state)

    def call(self, src, src_len, tgt_in):
        init = self._start(src, src_len)
        out = self.decoder(self.embeddings.lookup("decoder", tgt_in), initial_state=list(init))
        with keras.name_scope("decoder"):
            return self.projection(out)

    def beam_search(self, src, src_len):
        c = self.c
        init = self._start(src, src_len, c["beam"])
        decoder = s2s.BeamSearchDecoder(
            self.cell, lambda ids: self.embeddings.lookup("decoder", ids),
            tf.fill([tf.shape(src)[0]], c["start"]), c["end"], init, c["beam"],
            output_layer=self.projection, length_penalty_weight=0.6)
        out, state, _ = s2s.dynamic_decode(decoder, maximum_iterations=c["max_len"])
        return out, state


class BiRNN(keras.layers.Layer):
    """TF1 ``bidirectional_dynamic_rnn``: ``bidirectional_rnn/fw|bw/lstm_cell/...``;
    the backward RNN reads each sequence reversed within its length (mask)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.fw = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                   zero_output_for_mask=True, name="fw")
        self.bw = keras.layers.RNN(tfshare.LSTMCell(units), return_sequences=True,
                                   zero_output_for_mask=True, go_backwards=True, name="bw")

    def call(self, x, mask):
        return tf.concat([self.fw(x, mask=mask), tf.reverse(self.bw(x, mask=mask), [1])], -1)


class KerasTagger(keras.Model):
    def __init__(self, c):
        super().__init__(name="tagger")
        self.embedding = Tables({"words": (c["vocab"], c["embed"])}, name="embedding")
        self.birnn = BiRNN(c["units"], name="bidirectional_rnn")
        self.potentials = keras.layers.Dense(c["tags"], name="potentials")
        self.crf = L.CRF(c["tags"], name="crf")

    def call(self, words, lengths, tags=None):
        mask = tf.sequence_mask(lengths, tf.shape(words)[1])
        potentials = self.potentials(self.birnn(self.embedding.lookup("words", words), mask))
        return potentials, self.crf(potentials, lengths, tags=tags)


# --------------------------------------------------------------------------- checkpoints
def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_tf115_checkpoints_restore_into_the_compat_programs(golden):
    out = fx.run_checkpoints_on_tfshare()
    for model in ("nmt", "tagger"):
        assert out[f"json:{model}/vars"] == golden[f"json:{model}/vars"]
        keys = sorted(k for k in golden if k.startswith(model + "/"))
        assert keys and keys == sorted(k for k in out if k.startswith(model + "/"))
        for k in keys:
            if golden[k].dtype.kind == "f":
                _close(out[k], golden[k])
            else:
                np.testing.assert_array_equal(out[k], golden[k], err_msg=k)


def test_tf115_translator_checkpoint_restores_into_keras(golden):
    c = CONFIG["nmt"]
    model = KerasNMT(c)
    src, src_len = IN["nmt_src"], IN["nmt_src_len"]
    model(src, src_len, IN["nmt_tgt_in"])
    model.beam_search(src, src_len)  # builds nothing new
    names = sorted(w.path for w in model.weights)
    assert names == sorted("nmt/" + n[:-2] for n, _ in golden["json:nmt/vars"])
    report = tfshare.restore(model, c["prefix"], assignment_map={"/": "nmt/"})
    assert len(report.restored) == len(names) and not report.missing
    _close(model(src, src_len, IN["nmt_tgt_in"]), golden["nmt/logits"])
    out, state = model.beam_search(src, src_len)
    np.testing.assert_array_equal(out.predicted_ids, golden["nmt/predicted_ids"])
    np.testing.assert_array_equal(out.beam_search_decoder_output.parent_ids,
                                  golden["nmt/parent_ids"])
    _close(out.beam_search_decoder_output.scores, golden["nmt/scores"])
    np.testing.assert_array_equal(state.lengths, golden["nmt/beam_lengths"])


def test_tf115_tagger_checkpoint_restores_into_keras(golden):
    c = CONFIG["tagger"]
    model = KerasTagger(c)
    words, lengths = IN["tag_words"], IN["tag_len"]
    model(words, lengths)
    assert sorted(w.path for w in model.weights) == sorted(
        "tagger/" + n[:-2] for n, _ in golden["json:tagger/vars"])
    tfshare.restore(model, c["prefix"], assignment_map={"/": "tagger/"})
    potentials, decoded = model(words, lengths)
    _close(potentials, golden["tagger/potentials"])
    np.testing.assert_array_equal(decoded, golden["tagger/decoded"])
    _close(model.crf.log_likelihood(potentials, IN["tag_tags"], lengths),
           golden["tagger/log_likelihood"])
    _close(model.crf.decode(potentials, lengths)[1], golden["tagger/best"])


# --------------------------------------------------------------------------- Keras cell
def _mechanisms(module, kind, units, memory, lengths):
    """(TF1 or Keras) mechanisms of one configuration; TF1 ones get the memory
    now, Keras ones in ``setup_memory``."""
    args = {"luong_scaled": ("LuongAttention", dict(scale=True)),
            "bahdanau_normalized": ("BahdanauAttention", dict(normalize=True)),
            "luong_monotonic_recursive": ("LuongMonotonicAttention",
                                          dict(scale=True, mode="recursive",
                                               score_bias_init=0.3)),
            "bahdanau_monotonic_hard": ("BahdanauMonotonicAttention",
                                        dict(mode="hard", score_bias_init=-0.2)),
            "two_bahdanau": ("BahdanauAttention", dict())}[kind]
    n = 2 if kind == "two_bahdanau" else 1
    cls = getattr(module, args[0])
    if module is L:
        return [cls(units, **args[1]) for _ in range(n)]
    return [cls(units, memory, lengths, **args[1]) for _ in range(n)]


@pytest.mark.parametrize("kind", ["luong_scaled", "bahdanau_normalized",
                                  "luong_monotonic_recursive", "bahdanau_monotonic_hard",
                                  "two_bahdanau"])
def test_keras_attention_cell_in_keras_rnn_equals_the_tf1_wrapper(kind):
    rng = np.random.RandomState(5)
    memory = rng.uniform(-1, 1, (3, 5, 6)).astype(np.float32)
    lengths = np.array([5, 2, 4], np.int32)
    x = rng.uniform(-1, 1, (3, 4, 3)).astype(np.float32)
    units = 4
    layer_size = [3, 2] if kind == "two_bahdanau" else 5
    tfc.reset_default_graph()
    mechs = _mechanisms(s2s, kind, units, memory, lengths)
    wrapper = s2s.AttentionWrapper(tfc.nn.rnn_cell.LSTMCell(units), mechs,
                                   attention_layer_size=layer_size,
                                   output_attention=kind != "luong_scaled")
    want, _ = tfc.nn.dynamic_rnn(wrapper, x, initial_state=wrapper.zero_state(3, tf.float32))
    tf1 = {v.name[:-2]: v for v in tfc.global_variables()}

    kmechs = _mechanisms(L, kind, units, None, None)
    kcell = L.AttentionWrapper(tfshare.LSTMCell(units), kmechs, attention_layer_size=layer_size,
                               output_attention=kind != "luong_scaled")
    rnn = keras.layers.RNN(kcell, return_sequences=True, name="rnn")
    for m in kmechs:
        m.setup_memory(memory, lengths)
    rnn(x)
    assert sorted(w.path for w in rnn.weights) == sorted(tf1)
    for w in rnn.weights:
        w.assign(tf1[w.path])
    for m in kmechs:  # the keys are computed from the memory layer's weights of now
        m.setup_memory(memory, lengths)
    _close(rnn(x), want)


def test_keras_attention_cell_with_a_mask_keeps_the_state_of_finished_rows():
    mech = L.BahdanauAttention(4)
    cell = L.AttentionWrapper(tfshare.GRUCell(4), mech, attention_layer_size=3)
    rnn = keras.layers.RNN(cell, return_state=True)
    mech.setup_memory(tf.ones([2, 3, 5]))
    x = tf.random.stateless_uniform([2, 4, 2], [1, 2])
    mask = tf.constant([[True, True, False, False], [True, True, True, True]])
    _, *masked = rnn(x, mask=mask)
    _, *short = rnn(x[:, :2])
    state = s2s.AttentionWrapperState(*masked)
    _close(state.cell_state, tf.stack([short[0][0], masked[0][1]]))
    np.testing.assert_array_equal(np.asarray(state.time), [[2], [4]])


def test_keras_attention_cell_needs_its_memory_first():
    cell = L.AttentionWrapper(tfshare.LSTMCell(4), L.LuongAttention(4))
    with pytest.raises(ValueError, match=r"has no memory: call setup_memory"):
        keras.layers.RNN(cell)(tf.ones([2, 3, 4]))


def test_keras_nmt_trains_with_fit_and_round_trips_its_weights(tmp_path):
    c = CONFIG["nmt"]
    model = KerasNMT(c)

    class Train(keras.Model):
        def __init__(self):
            super().__init__()
            self.nmt = model

        def call(self, inputs):
            return self.nmt(*inputs)

    trainer = Train()
    trainer.compile(optimizer=keras.optimizers.Adam(0.05),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = (IN["nmt_src"], IN["nmt_src_len"], IN["nmt_tgt_in"])
    history = trainer.fit(data, IN["nmt_tgt_out"], epochs=8, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    before = model(*data).numpy()
    model.save_weights(str(tmp_path / "nmt.weights.h5"))
    twin = KerasNMT(c)
    twin(*data)
    twin.load_weights(str(tmp_path / "nmt.weights.h5"))
    _close(twin(*data), before)


def test_tf_checkpoint_sees_the_attention_and_crf_weights(tmp_path):
    """``tf.train.Checkpoint`` follows TF's object graph: every weight of the
    mechanisms, the attention layers and the CRF is in it (the wrapped cell
    here is Keras' own GRU cell, which the wrapper accepts as well)."""
    def build():
        mechs = [L.BahdanauMonotonicAttention(4, normalize=True), L.LuongAttention(3, scale=True)]
        cell = L.AttentionWrapper(keras.layers.GRUCell(3), mechs, attention_layer_size=[2, 2])
        rnn = keras.layers.RNN(cell, return_sequences=True)
        crf = L.CRF(5)
        for m in mechs:
            m.setup_memory(np.ones([2, 3, 6], np.float32))
        crf(rnn(np.ones([2, 4, 3], np.float32)) @ tf.ones([4, 5]), np.array([4, 2]))
        return rnn, crf

    rnn, crf = build()
    weights = rnn.weights + crf.weights
    assert len(weights) == 3 + 6 + 2 + 2 + 1  # GRU, monotonic Bahdanau, Luong, layers, CRF
    for i, w in enumerate(weights):
        w.assign(np.full(w.shape, i + 0.5, np.float32))
    tf.train.Checkpoint(rnn=rnn, crf=crf).write(str(tmp_path / "ckpt"))
    rnn2, crf2 = build()
    tf.train.Checkpoint(rnn=rnn2, crf=crf2).read(str(tmp_path / "ckpt")).assert_consumed()
    for i, w in enumerate(rnn2.weights + crf2.weights):
        np.testing.assert_array_equal(w.numpy(), np.full(w.shape, i + 0.5, np.float32), w.path)


def test_crf_layer_loss_trains_a_keras_model():
    c = CONFIG["tagger"]
    model = KerasTagger(c)
    words, lengths, tags = IN["tag_words"], IN["tag_len"], IN["tag_tags"]

    class Train(keras.Model):
        def __init__(self):
            super().__init__()
            self.tagger = model

        def call(self, inputs):
            return self.tagger(*inputs)[1]

    trainer = Train()
    trainer.compile(optimizer=keras.optimizers.Adam(0.05))
    history = trainer.fit((words, lengths, tags), epochs=15, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    _, decoded = model(words, lengths)
    mask = np.arange(words.shape[1])[None] < lengths[:, None]
    assert np.mean(np.asarray(decoded)[mask] == tags[mask]) > 0.8
    assert np.all(np.asarray(decoded)[~mask] == 0)
