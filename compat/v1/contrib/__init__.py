"""``tfshare.compat.v1.contrib``: the commonly used parts of TF1's ``tf.contrib``.

``tf.contrib`` was removed in TF 2.0. Provided: ``contrib.rnn`` (cells,
wrappers, ``static_rnn``, ``static_bidirectional_rnn``,
``stack_bidirectional_rnn``, ``stack_bidirectional_dynamic_rnn``,
``LSTMStateTuple``, the contrib cells ...), ``contrib.cudnn_rnn`` (the cuDNN
layers and their compatible cells), ``contrib.layers`` (``fully_connected``,
``embed_sequence``, ``layer_norm``, ``batch_norm``, ``optimize_loss``,
initializers, regularizers, summaries, ``flatten`` ...), ``contrib.framework``
(``arg_scope``, ``nest``, variable and checkpoint helpers),
``contrib.training`` (``HParams``), ``contrib.learn`` (``ModeKeys``,
``preprocessing.VocabularyProcessor``) and ``contrib.data`` (``group_by_window``,
``bucket_by_sequence_length`` and the other dataset transformations).
``contrib.seq2seq``, ``contrib.legacy_seq2seq`` and ``contrib.crf``: TF1's
sequence-to-sequence and CRF libraries (``tfshare.seq2seq``).
"""
from tfshare.compat.v1.contrib import layers, rnn  # noqa: F401
from tfshare.compat.v1.contrib import cudnn_rnn  # noqa: F401
from tfshare.compat.v1.contrib import data, framework, learn, training  # noqa: F401
from tfshare.compat.v1.contrib import crf, legacy_seq2seq, seq2seq  # noqa: F401

__all__ = ["layers", "rnn", "cudnn_rnn", "data", "framework", "learn", "training",
           "seq2seq", "legacy_seq2seq", "crf"]
