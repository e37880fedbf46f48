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
import os
import sys

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
# The examples' Keras 3 models (weight paths: "<model>/" + the TF1 names); the
# committed checkpoints are of the examples' TF1 architectures, smaller.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))
import bilstm_crf  # noqa: E402
import nmt_attention  # noqa: E402


def keras_nmt():
    c = CONFIG["nmt"]
    assert (c["start"], c["end"]) == (nmt_attention.START, nmt_attention.END)
    return nmt_attention.KerasNMT(c["vocab"], c["embed"], c["units"], c["beam"], c["max_len"])


def keras_tagger():
    c = CONFIG["tagger"]
    return bilstm_crf.KerasTagger(c["vocab"], c["tags"], c["embed"], c["units"])


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
    model = keras_nmt()
    src, src_len = IN["nmt_src"], IN["nmt_src_len"]
    model(src, src_len, IN["nmt_tgt_in"])
    model.beam_search(src, src_len)  # builds nothing new
    names = sorted(w.path for w in model.weights)
    assert names == sorted("nmt/" + n[:-2] for n, _ in golden["json:nmt/vars"])
    report = tfshare.restore(model, CONFIG["nmt"]["prefix"], assignment_map={"/": "nmt/"})
    assert len(report.restored) == len(names) and not report.missing
    _close(model(src, src_len, IN["nmt_tgt_in"]), golden["nmt/logits"])
    out, state = model.beam_search(src, src_len)
    np.testing.assert_array_equal(out.predicted_ids, golden["nmt/predicted_ids"])
    np.testing.assert_array_equal(out.beam_search_decoder_output.parent_ids,
                                  golden["nmt/parent_ids"])
    _close(out.beam_search_decoder_output.scores, golden["nmt/scores"])
    np.testing.assert_array_equal(state.lengths, golden["nmt/beam_lengths"])


def test_tf115_tagger_checkpoint_restores_into_keras(golden):
    model = keras_tagger()
    words, lengths = IN["tag_words"], IN["tag_len"]
    model(words, lengths)
    assert sorted(w.path for w in model.weights) == sorted(
        "tagger/" + n[:-2] for n, _ in golden["json:tagger/vars"])
    tfshare.restore(model, CONFIG["tagger"]["prefix"], assignment_map={"/": "tagger/"})
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
def test_keras_attention_cell_in_tfshare_rnn_equals_the_tf1_wrapper(kind):
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
    # tfshare.RNN (what the README uses; no fused spec here, so Keras's loop
    # runs); the mask test below uses keras.layers.RNN itself
    rnn = tfshare.RNN(kcell, return_sequences=True, name="rnn")
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
    keras.utils.set_random_seed(1)
    model = keras_nmt()

    class Train(keras.Model):
        def __init__(self):
            super().__init__()
            self.nmt = model

        def call(self, inputs):
            return self.nmt(*inputs)

    trainer = Train()
    trainer.compile(optimizer=keras.optimizers.Adam(0.05), run_eagerly=True,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = (IN["nmt_src"], IN["nmt_src_len"], IN["nmt_tgt_in"])
    history = trainer.fit(data, IN["nmt_tgt_out"], epochs=8, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    before = model(*data).numpy()
    model.save_weights(str(tmp_path / "nmt.weights.h5"))
    twin = keras_nmt()
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
    keras.utils.set_random_seed(2)
    model = keras_tagger()
    words, lengths, tags = IN["tag_words"], IN["tag_len"], IN["tag_tags"]

    class Train(keras.Model):
        def __init__(self):
            super().__init__()
            self.tagger = model

        def call(self, inputs):
            return self.tagger(*inputs)[1]

    trainer = Train()
    trainer.compile(optimizer=keras.optimizers.Adam(0.1), run_eagerly=True)
    history = trainer.fit((words, lengths, tags), epochs=12, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    _, decoded = model(words, lengths)
    mask = np.arange(words.shape[1])[None] < lengths[:, None]
    assert np.mean(np.asarray(decoded)[mask] == tags[mask]) > 0.8
    assert np.all(np.asarray(decoded)[~mask] == 0)


def test_crf_layer_names_a_wrong_tag_count():
    with pytest.raises(ValueError, match=r"must have 5 tags on its last axis.*\(2, 3, 4\)"):
        L.CRF(5)(tf.zeros([2, 3, 4]), np.array([3, 2]))


def test_keras_translator_decodes_the_same_inside_tf_function(golden):
    """``setup_memory`` and the decoders inside one trace (as in ``predict``)."""
    model = keras_nmt()
    src, src_len = IN["nmt_src"], IN["nmt_src_len"]
    model(src, src_len, IN["nmt_tgt_in"])
    tfshare.restore(model, CONFIG["nmt"]["prefix"], assignment_map={"/": "nmt/"})
    traced = tf.function(lambda s, n: model.beam_search(s, n)[0].predicted_ids)
    np.testing.assert_array_equal(traced(src, src_len), golden["nmt/predicted_ids"])
