"""``tfshare.compat.v1.contrib.crf``: TF1's linear-chain CRF
(``crf_log_likelihood``, ``crf_decode``, ``viterbi_decode`` ...), from
``tfshare.seq2seq.crf``."""
from __future__ import annotations

from tfshare import seq2seq as _seq2seq

__all__ = list(_seq2seq.crf.__all__)
globals().update({_n: getattr(_seq2seq.crf, _n) for _n in __all__})


def __dir__() -> list:
    return sorted(__all__)
