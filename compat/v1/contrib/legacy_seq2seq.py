"""``tfshare.compat.v1.contrib.legacy_seq2seq``: TF1's static seq2seq models
(``embedding_attention_seq2seq``, ``rnn_decoder``, ``sequence_loss_by_example``
...), from ``tfshare.seq2seq.legacy``."""
from __future__ import annotations

from tfshare import seq2seq as _seq2seq

__all__ = list(_seq2seq.legacy.__all__)
globals().update({_n: getattr(_seq2seq.legacy, _n) for _n in __all__})


def __dir__() -> list:
    return sorted(__all__)
