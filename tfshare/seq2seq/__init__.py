"""TF1's sequence-to-sequence libraries on tfshare: ``tf.contrib.seq2seq``,
``tf.contrib.legacy_seq2seq`` (:mod:`tfshare.seq2seq.legacy`) and
``tf.contrib.crf`` (:mod:`tfshare.seq2seq.crf`), with TF 1.15's math, variable
names and scopes, in graph and eager mode.

This namespace holds the ``tf.contrib.seq2seq`` names: the decoders
(``BasicDecoder``, ``BeamSearchDecoder``, ``dynamic_decode``), the sampling
helpers, the attention mechanisms and ``AttentionWrapper``, ``sequence_loss``
and the beam utilities (``tile_batch``, ``gather_tree``). See
``docs/seq2seq.md``.
"""
from tfshare.seq2seq.loss import sequence_loss
from tfshare.seq2seq.helpers import (CustomHelper, GreedyEmbeddingHelper, Helper,
                                     InferenceHelper, SampleEmbeddingHelper,
                                     ScheduledEmbeddingTrainingHelper,
                                     ScheduledOutputTrainingHelper, TrainingHelper)
from tfshare.seq2seq.decoder import Decoder, dynamic_decode
from tfshare.seq2seq.basic_decoder import BasicDecoder, BasicDecoderOutput
from tfshare.seq2seq.attention import (AttentionMechanism, BahdanauAttention,
                                       BahdanauMonotonicAttention, LuongAttention,
                                       LuongMonotonicAttention, hardmax, monotonic_attention,
                                       safe_cumprod)
from tfshare.seq2seq.attention_wrapper import AttentionWrapper, AttentionWrapperState
from tfshare.seq2seq.beam_search import (BeamSearchDecoder, BeamSearchDecoderOutput,
                                         BeamSearchDecoderState, FinalBeamSearchDecoderOutput,
                                         gather_tree, tile_batch)
from tfshare.seq2seq import crf, layers, legacy  # noqa: F401

__all__ = [
    "AttentionMechanism",
    "AttentionWrapper",
    "AttentionWrapperState",
    "BahdanauAttention",
    "BahdanauMonotonicAttention",
    "BasicDecoder",
    "BasicDecoderOutput",
    "BeamSearchDecoder",
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "CustomHelper",
    "Decoder",
    "FinalBeamSearchDecoderOutput",
    "GreedyEmbeddingHelper",
    "Helper",
    "InferenceHelper",
    "LuongAttention",
    "LuongMonotonicAttention",
    "SampleEmbeddingHelper",
    "ScheduledEmbeddingTrainingHelper",
    "ScheduledOutputTrainingHelper",
    "TrainingHelper",
    "dynamic_decode",
    "gather_tree",
    "hardmax",
    "monotonic_attention",
    "safe_cumprod",
    "sequence_loss",
    "tile_batch",
]
