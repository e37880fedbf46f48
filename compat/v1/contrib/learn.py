"""``tfshare.compat.v1.contrib.learn``: the plain helpers TF1 programs import
from ``tf.contrib.learn``.

* ``ModeKeys``: ``TRAIN = 'train'``, ``EVAL = 'eval'``, ``INFER = 'infer'``
  (note: ``tf.estimator.ModeKeys.PREDICT`` is also ``'infer'``), and
  ``ModeKeys.validate(key)``;
* ``preprocessing.VocabularyProcessor(max_document_length, min_frequency=0,
  vocabulary=None, tokenizer_fn=None)`` (``fit``, ``transform``,
  ``fit_transform``, ``reverse``, ``save``, ``restore``), its
  ``CategoricalVocabulary`` and ``tokenizer``: the text-to-ids helper of the TF1
  text-classification programs, with TF 1.15's tokenization and id order.

The estimator machinery of ``contrib.learn`` (``Experiment``,
``learn_runner``, ``RunConfig``, the ``Estimator`` classes) is not provided.
"""
from __future__ import annotations

import collections
import pickle
import re
import types
from typing import Any, Callable, Iterable, Iterator, List, Optional

import numpy as np
import tensorflow as _tf

__all__ = ["ModeKeys", "preprocessing"]


class ModeKeys:
    """TF1 ``contrib.learn`` mode names."""

    TRAIN = "train"
    EVAL = "eval"
    INFER = "infer"

    @classmethod
    def validate(cls, key: Any) -> None:
        """``ValueError: Invalid mode <key>.`` unless ``key`` is one of the three."""
        if key not in (cls.TRAIN, cls.EVAL, cls.INFER):
            raise ValueError("Invalid mode %s." % key)


# -------------------------------------------------------------------- preprocessing
#: TF1's word pattern: an acronym, a capitalised word before another capital, or
#: a run of word characters, apostrophes and hyphens.
TOKENIZER_RE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z][a-z]+(?=[A-Z])|[\'\w\-]+", re.UNICODE)


def tokenizer(iterator: Iterable[str]) -> Iterator[List[str]]:
    """The tokens of each string (``TOKENIZER_RE.findall``)."""
    for value in iterator:
        yield TOKENIZER_RE.findall(value)


class CategoricalVocabulary:
    """Token <-> id map; id 0 is ``unknown_token``. New tokens get the next id
    until :meth:`freeze`; :meth:`trim` renumbers by falling frequency."""

    def __init__(self, unknown_token: str = "<UNK>", support_reverse: bool = True):
        self._unknown_token = unknown_token
        self._mapping = {unknown_token: 0}
        self._support_reverse = support_reverse
        if support_reverse:
            self._reverse_mapping = [unknown_token]
        self._freq: Any = collections.defaultdict(int)
        self._freeze = False

    def __len__(self) -> int:
        return len(self._mapping)

    def freeze(self, freeze: bool = True) -> None:
        self._freeze = freeze

    def get(self, category: Any) -> int:
        """The id of ``category`` (a new id unless frozen; frozen: 0)."""
        if category not in self._mapping:
            if self._freeze:
                return 0
            self._mapping[category] = len(self._mapping)
            if self._support_reverse:
                self._reverse_mapping.append(category)
        return self._mapping[category]

    def add(self, category: Any, count: int = 1) -> None:
        """Count ``count`` more occurrences of ``category``."""
        if self.get(category) > 0:
            self._freq[category] += count

    def trim(self, min_frequency: int, max_frequency: int = -1) -> None:
        """Keep the categories seen more than ``min_frequency`` times (and fewer
        than ``max_frequency`` if positive), renumbered 1..n by falling count
        (ties: non-strings first, then by value)."""
        by_value = sorted(self._freq.items(), key=lambda kv: (isinstance(kv[0], str), kv[0]))
        ranked = sorted(by_value, key=lambda kv: kv[1], reverse=True)
        self._mapping = {self._unknown_token: 0}
        if self._support_reverse:
            self._reverse_mapping = [self._unknown_token]
        next_id = 1
        for category, count in ranked:
            if 0 < max_frequency <= count:
                continue
            if count <= min_frequency:
                break
            self._mapping[category] = next_id
            next_id += 1
            if self._support_reverse:
                self._reverse_mapping.append(category)
        self._freq = dict(ranked[:next_id - 1])

    def reverse(self, class_id: int) -> Any:
        """The category of ``class_id``."""
        if not self._support_reverse:
            raise ValueError("This vocabulary wasn't initialized with support_reverse to "
                             "support reverse() function.")
        return self._reverse_mapping[class_id]


class VocabularyProcessor:
    """Documents -> fixed-length arrays of word ids (0 = unknown / padding)."""

    def __init__(self, max_document_length: int, min_frequency: int = 0,
                 vocabulary: Optional[CategoricalVocabulary] = None,
                 tokenizer_fn: Optional[Callable] = None):
        self.max_document_length = max_document_length
        self.min_frequency = min_frequency
        self.vocabulary_ = vocabulary if vocabulary else CategoricalVocabulary()
        self._tokenizer = tokenizer_fn if tokenizer_fn else tokenizer

    def fit(self, raw_documents: Iterable[str], unused_y: Any = None) -> "VocabularyProcessor":
        """Learn the vocabulary of ``raw_documents`` (then frozen)."""
        for tokens in self._tokenizer(raw_documents):
            for token in tokens:
                self.vocabulary_.add(token)
        if self.min_frequency > 0:
            self.vocabulary_.trim(self.min_frequency)
        self.vocabulary_.freeze()
        return self

    def fit_transform(self, raw_documents: Iterable[str], unused_y: Any = None) -> Iterator:
        """:meth:`fit`, then :meth:`transform` (pass a list: it is read twice)."""
        self.fit(raw_documents)
        return self.transform(raw_documents)

    def transform(self, raw_documents: Iterable[str]) -> Iterator[np.ndarray]:
        """Yield an int64 array of ``max_document_length`` ids per document
        (truncated, zero-padded)."""
        for tokens in self._tokenizer(raw_documents):
            ids = np.zeros(self.max_document_length, np.int64)
            for i, token in enumerate(tokens[:self.max_document_length]):
                ids[i] = self.vocabulary_.get(token)
            yield ids

    def reverse(self, documents: Iterable[Iterable[int]]) -> Iterator[str]:
        """Yield each id sequence as space-joined tokens."""
        for item in documents:
            yield " ".join([self.vocabulary_.reverse(i) for i in item])

    def save(self, filename: str) -> None:
        """Pickle the processor to ``filename`` (any ``tf.io.gfile`` path)."""
        with _tf.io.gfile.GFile(filename, "wb") as f:
            f.write(pickle.dumps(self))

    @classmethod
    def restore(cls, filename: str) -> "VocabularyProcessor":
        """Load a processor written by :meth:`save`."""
        with _tf.io.gfile.GFile(filename, "rb") as f:
            return pickle.loads(f.read())


preprocessing = types.ModuleType(
    __name__ + ".preprocessing",
    "TF1 ``contrib.learn.preprocessing``: ``VocabularyProcessor``, "
    "``CategoricalVocabulary``, ``tokenizer``.")
preprocessing.VocabularyProcessor = VocabularyProcessor
preprocessing.CategoricalVocabulary = CategoricalVocabulary
preprocessing.tokenizer = tokenizer
preprocessing.TOKENIZER_RE = TOKENIZER_RE
preprocessing.__all__ = ["VocabularyProcessor", "CategoricalVocabulary", "tokenizer"]


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r} (tf.contrib was removed in TF 2; "
        "tfshare provides contrib.learn's ModeKeys and preprocessing only)")
