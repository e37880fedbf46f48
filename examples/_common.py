"""Helpers shared by the examples: offline data, batching, argument parsing.

Every data set here ships with an installed package or with tfshare itself:
scikit-learn's 8x8 digits, statsmodels' sunspot series, and a few of
Shakespeare's sonnets in ``tfshare/data/sonnets.txt`` (public domain). Nothing
is downloaded.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402


def parser(doc: str, **defaults) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` with the flags every example takes."""
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=defaults.pop("seed", 0), help="random seed")
    for name, value in defaults.items():
        flag = "--" + name.replace("_", "-")
        kind = type(value) if value is not None else str
        p.add_argument(flag, type=kind, default=value, help=name.replace("_", " "))
    return p


def seed_everything(seed: int) -> np.random.Generator:
    import random

    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    return np.random.default_rng(seed)


def data_path(name: str) -> str:
    """Path of a file shipped in ``tfshare/data``."""
    import tfshare

    path = os.path.join(os.path.dirname(tfshare.__file__), "data", name)
    if not os.path.exists(path):
        sys.exit(f"missing data file {path}: reinstall tfshare (pip install -e .)")
    return path


def load_text(name: str = "sonnets.txt") -> str:
    with open(data_path(name), encoding="utf-8") as f:
        return f.read()


def digits_rows(seed: int = 0, test_fraction: float = 0.2):
    """scikit-learn's handwritten digits as sequences of rows.

    Returns ``(x_train, y_train), (x_test, y_test)`` with ``x`` of shape
    ``[n, 8, 8]`` (8 time steps of 8 pixels, scaled to [0, 1]) and int labels.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    te, tr = order[:n_test], order[n_test:]
    return (x[tr], y[tr]), (x[te], y[te])


def progbar(target: int, metrics=("loss",)):
    """A ``keras.utils.Progbar`` for a custom training loop. On a terminal it
    redraws in place; in a log or pipe it prints a line every few seconds."""
    import keras

    interval = 0.05 if sys.stdout.isatty() else 3.0
    return keras.utils.Progbar(target, stateful_metrics=list(metrics), interval=interval)


def minibatches(rng: np.random.Generator, n: int, batch_size: int):
    """Endless random minibatch index arrays over ``range(n)``."""
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            yield order[i:i + batch_size]


class CharVocab:
    """Characters <-> ids for a text."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> np.ndarray:
        return np.array([self.index[c] for c in s], dtype=np.int32)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def char_batches(ids: np.ndarray, rng: np.random.Generator, batch_size: int, seq_len: int):
    """Endless (x, y) batches of random windows; y is x shifted by one."""
    top = len(ids) - seq_len - 1
    while True:
        starts = rng.integers(0, top, size=batch_size)
        x = np.stack([ids[s:s + seq_len] for s in starts])
        y = np.stack([ids[s + 1:s + seq_len + 1] for s in starts])
        yield x, y
