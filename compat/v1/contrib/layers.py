"""``tfshare.compat.v1.contrib.layers``: TF1's ``tf.contrib.layers`` helpers.

Layers (variables created with tfshare's ``get_variable``, TF1 names, also in
``MODEL_VARIABLES``; ``arg_scope`` sets their defaults):

* ``fully_connected(inputs, num_outputs, activation_fn=relu, ...)``:
  ``fully_connected/weights``, ``fully_connected/biases``; ``linear``,
  ``relu``, ``relu6`` are its partials;
* ``embed_sequence(ids, vocab_size, embed_dim, ...)``: ``EmbedSequence/embeddings``;
* ``layer_norm``: ``LayerNorm/beta``, ``LayerNorm/gamma``;
* ``batch_norm``: ``BatchNorm/beta``, ``BatchNorm/gamma`` (``scale=True``),
  ``BatchNorm/moving_mean``, ``BatchNorm/moving_variance``;
* ``dropout(inputs, keep_prob=0.5, is_training=True)``, ``flatten``,
  ``one_hot_encoding``.

Training: ``optimize_loss`` (``OPTIMIZER_CLS_NAMES``, ``OPTIMIZER_SUMMARIES``).
Initializers and regularizers: ``xavier_initializer``, ``variance_scaling_initializer``,
``l1_regularizer``, ``l2_regularizer``, ``l1_l2_regularizer``,
``sum_regularizer``, ``apply_regularization``. Summaries (graph mode):
``summarize_tensor``, ``summarize_tensors``, ``summarize_activation``,
``summarize_activations``, ``summarize_collection``.
"""
from __future__ import annotations

import functools
import math
import numbers
import re
from typing import Any, Callable, List, Optional, Sequence

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1.contrib._arg_scope import add_arg_scope
from tfshare.compat.v1.contrib._layer_norms import batch_norm, layer_norm
from tfshare.compat.v1.contrib._layer_utils import (
    add_variable_to_collections, collect_named_outputs, model_variable_getter)
from tfshare.compat.v1.contrib._optimize_loss import (  # noqa: F401
    OPTIMIZER_CLS_NAMES, OPTIMIZER_SUMMARIES, optimize_loss)
from tfshare.compat.v1.contrib.framework import model_variable
from tfshare.compat.v1.layers._base import bad_argument
from tfshare.compat.v1.layers.core import Dense, Dropout, Flatten

_v1 = _tf.compat.v1
_GK = _v1.GraphKeys

__all__ = [
    "fully_connected", "linear", "relu", "relu6", "embed_sequence", "layer_norm", "batch_norm",
    "dropout", "flatten", "one_hot_encoding", "optimize_loss", "OPTIMIZER_CLS_NAMES",
    "OPTIMIZER_SUMMARIES", "xavier_initializer", "xavier_initializer_conv2d",
    "variance_scaling_initializer", "l1_regularizer", "l2_regularizer", "l1_l2_regularizer",
    "sum_regularizer", "apply_regularization", "summarize_tensor", "summarize_tensors",
    "summarize_activation", "summarize_activations", "summarize_collection",
]


# --------------------------------------------------------------------------- layers
@add_arg_scope
def fully_connected(inputs: Any, num_outputs: int, activation_fn: Optional[Callable] = _tf.nn.relu,
                    normalizer_fn: Optional[Callable] = None, normalizer_params: Any = None,
                    weights_initializer: Any = None, weights_regularizer: Any = None,
                    biases_initializer: Any = _v1.zeros_initializer(),
                    biases_regularizer: Any = None, reuse: Any = None,
                    variables_collections: Any = None, outputs_collections: Any = None,
                    trainable: bool = True, scope: Any = None) -> Any:
    """``activation_fn(normalizer_fn(inputs @ weights) or inputs @ weights + biases)``.

    Variables: ``<scope or fully_connected>/weights [depth, num_outputs]``
    (``weights_initializer``, default Xavier uniform) and ``.../biases
    [num_outputs]`` (only without ``normalizer_fn`` and with a
    ``biases_initializer``). Inputs of rank > 2 are contracted on their last
    axis. A ``normalizer_fn`` (``batch_norm``, ``layer_norm``) runs inside the
    layer's scope (``fully_connected/BatchNorm/...``).
    """
    if not isinstance(num_outputs, int) or isinstance(num_outputs, bool):
        raise ValueError("num_outputs type should be one of %s, got %s." % ([int], type(num_outputs)))
    if weights_initializer is None:
        weights_initializer = xavier_initializer()
    getter = model_variable_getter({"bias": "biases", "kernel": "weights"})
    with _api.variable_scope(scope, "fully_connected", [inputs], reuse=reuse,
                             custom_getter=getter) as sc:
        inputs = _tf.convert_to_tensor(inputs)
        layer = Dense(num_outputs, activation=None,
                      use_bias=bool(not normalizer_fn and biases_initializer),
                      kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
                      kernel_regularizer=weights_regularizer, bias_regularizer=biases_regularizer,
                      trainable=trainable, name=sc.name, dtype=inputs.dtype.base_dtype,
                      _scope=sc, _reuse=reuse)
        outputs = layer(inputs)
        add_variable_to_collections(layer.kernel, variables_collections, "weights")
        add_variable_to_collections(layer.bias, variables_collections, "biases")
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


linear = functools.partial(fully_connected, activation_fn=None)
relu = functools.partial(fully_connected, activation_fn=_tf.nn.relu)
relu6 = functools.partial(fully_connected, activation_fn=_tf.nn.relu6)


def embed_sequence(ids: Any, vocab_size: Optional[int] = None, embed_dim: Optional[int] = None,
                   unique: bool = False, initializer: Any = None, regularizer: Any = None,
                   trainable: bool = True, scope: Any = None, reuse: Any = None) -> Any:
    """``[batch, time]`` ids -> ``[batch, time, embed_dim]`` rows of the model
    variable ``<scope or EmbedSequence>/embeddings [vocab_size, embed_dim]``
    (initializer: the argument, else the scope's, else Glorot uniform)."""
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not reusing. "
                         "Got vocab_size=%s and embed_dim=%s" % (vocab_size, embed_dim))
    with _api.variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        shape = [vocab_size, embed_dim]
        if (reuse and vocab_size is None) or embed_dim is None:
            shape = None
        embeddings = model_variable("embeddings", shape=shape, initializer=initializer,
                                    regularizer=regularizer, trainable=trainable)
        if unique:
            flat = _tf.reshape(ids, [-1])
            uniq, index = _tf.unique(flat)
            rows = _tf.nn.embedding_lookup(embeddings, uniq)
            out = _tf.gather(rows, index)
            return _tf.reshape(out, _tf.concat([_tf.shape(ids), _tf.shape(rows)[1:]], 0))
        return _tf.nn.embedding_lookup(embeddings, ids)


@add_arg_scope
def dropout(inputs: Any, keep_prob: Any = 0.5, noise_shape: Any = None, is_training: Any = True,
            outputs_collections: Any = None, scope: Any = None, seed: Optional[int] = None) -> Any:
    """With ``is_training`` (default True, may be a bool tensor) keep each unit
    with probability ``keep_prob`` and scale it by ``1 / keep_prob``; else the identity."""
    with _api.variable_scope(scope, "Dropout", [inputs]) as sc:
        inputs = _tf.convert_to_tensor(inputs)
        layer = Dropout(rate=1 - keep_prob, noise_shape=noise_shape, seed=seed, name=sc.name,
                        _scope=sc)
        outputs = layer(inputs, training=is_training)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def flatten(inputs: Any, outputs_collections: Any = None, scope: Optional[str] = None) -> Any:
    """``[batch, d1, ..., dn] -> [batch, d1*...*dn]`` (ops under ``scope`` or ``Flatten``)."""
    inputs = _tf.convert_to_tensor(inputs)
    if inputs.shape.rank is not None and inputs.shape.rank < 2:
        raise ValueError(f"Inputs must have a least 2 dimensions. Received: inputs.shape={inputs.shape}")
    with _v1.name_scope(scope, "Flatten", [inputs]) as sc:
        outputs = Flatten()(inputs)
        return collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def one_hot_encoding(labels: Any, num_classes: int, on_value: float = 1.0, off_value: float = 0.0,
                     outputs_collections: Any = None, scope: Optional[str] = None) -> Any:
    """``tf.one_hot(labels, num_classes)`` (float32 by default) under ``OneHotEncoding``."""
    with _v1.name_scope(scope, "OneHotEncoding", [labels, num_classes]) as sc:
        labels = _tf.convert_to_tensor(labels)
        if labels.dtype == _tf.int32:
            labels = _tf.cast(labels, _tf.int64)
        outputs = _tf.one_hot(labels, num_classes, on_value=on_value, off_value=off_value)
        return collect_named_outputs(outputs_collections, sc, outputs)


# --------------------------------------------------------------------- initializers
def xavier_initializer(uniform: bool = True, seed: Optional[int] = None,
                       dtype: Any = _tf.float32) -> Any:
    """Glorot/Xavier initializer: uniform in ``±sqrt(6 / (fan_in + fan_out))``, or
    a truncated normal with stddev ``sqrt(1.3 * 2 / (fan_in + fan_out))``."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed,
                                        dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def variance_scaling_initializer(factor: float = 2.0, mode: str = "FAN_IN", uniform: bool = False,
                                 seed: Optional[int] = None, dtype: Any = _tf.float32) -> Callable:
    """With ``n`` = fan_in, fan_out or their mean (``mode``): uniform in
    ``±sqrt(3 * factor / n)``, or a truncated normal with stddev
    ``sqrt(1.3 * factor / n)``. Fans of ``[..., in, out]``: the leading
    dimensions multiply both."""
    dtype = _tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError("Unknown mode %s [FAN_IN, FAN_OUT, FAN_AVG]", mode)

    def _initializer(shape: Any, dtype: Any = dtype, partition_info: Any = None) -> Any:
        dtype = _tf.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(d) for d in _tf.TensorShape(shape).as_list()]
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1]) if shape else 1.0
        fan_out = float(shape[-1]) if shape else 1.0
        for dim in shape[:-2]:
            fan_in *= dim
            fan_out *= dim
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return _v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        return _v1.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype, seed=seed)

    return _initializer


# --------------------------------------------------------------------- regularizers
def _regularizer(kind: str, scale: Any, scope: Optional[str]) -> Callable:
    if isinstance(scale, numbers.Integral) or not isinstance(scale, numbers.Real):
        raise ValueError(bad_argument("scale", scale, "a float"))
    if scale < 0.0:
        raise ValueError(bad_argument("scale", scale, ">= 0.0"))
    if scale == 0.0:
        return lambda _: None

    def regularizer(weights: Any) -> Any:
        with _v1.name_scope(scope, f"{kind}_regularizer", [weights]) as name:
            s = _tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            if kind == "l1":
                return _tf.multiply(s, _tf.reduce_sum(_tf.abs(weights)), name=name)
            return _tf.multiply(s, _tf.nn.l2_loss(weights), name=name)

    return regularizer


def l1_regularizer(scale: float, scope: Optional[str] = None) -> Callable:
    """``weights -> scale * sum(|weights|)``."""
    return _regularizer("l1", scale, scope)


def l2_regularizer(scale: float, scope: Optional[str] = None) -> Callable:
    """``weights -> scale * sum(weights ** 2) / 2``."""
    return _regularizer("l2", scale, scope)


def sum_regularizer(regularizer_list: Sequence[Optional[Callable]],
                    scope: Optional[str] = None) -> Optional[Callable]:
    """``weights -> sum of each regularizer's penalty`` (``None`` if the list is empty)."""
    regularizers = [r for r in regularizer_list if r is not None]
    if not regularizers:
        return None

    def sum_reg(weights: Any) -> Any:
        with _v1.name_scope(scope, "sum_regularizer", [weights]) as name:
            penalties = [p for p in (r(weights) for r in regularizers) if p is not None]
            return _tf.add_n(penalties, name=name) if penalties else None

    return sum_reg


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0,
                      scope: Optional[str] = None) -> Callable:
    """``weights -> scale_l1 * sum(|w|) + scale_l2 * sum(w ** 2) / 2``."""
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError("scale_l1 cannot be an integer: %s" % (scale_l1,))
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError("scale_l2 cannot be an integer: %s" % (scale_l2,))
    scope = scope or "l1_l2_regularizer"
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def apply_regularization(regularizer: Callable, weights_list: Optional[Sequence[Any]] = None) -> Any:
    """The sum of ``regularizer(w)`` over ``weights_list`` (default: the
    ``WEIGHTS`` collection), also added to ``REGULARIZATION_LOSSES``."""
    if not weights_list:
        weights_list = _v1.get_collection(_GK.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with _v1.name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else _tf.constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.rank != 0:
                raise ValueError("regularizer must return a scalar Tensor instead of a Tensor "
                                 "with rank %d." % p.shape.rank)
        total = _tf.add_n(penalties, name=scope)
        if not _v1.executing_eagerly_outside_functions():
            _v1.add_to_collection(_GK.REGULARIZATION_LOSSES, total)
        return total


# ------------------------------------------------------------------------ summaries
def _scalar_summary(tensor: Any, tag: Optional[str] = None) -> Any:
    tensor.shape.assert_has_rank(0)
    return _v1.summary.scalar(tag or "%s_summary" % tensor.op.name, tensor)


def _histogram_summary(tensor: Any, tag: Optional[str] = None) -> Any:
    return _v1.summary.histogram(tag or "%s_summary" % tensor.op.name, tensor)


def summarize_activation(op: Any) -> Any:
    """A histogram of the activation ``op`` (tag ``<op>/activation``), plus the
    fraction of zeros for ReLU/Softplus/ReLU6 (``<op>/zeros``) and of sixes for
    ReLU6 (``<op>/sixes``)."""
    pre = op.op.inputs[0] if op.op.type in ("Relu", "Softplus", "Relu6") else None
    if pre is not None:
        _scalar_summary(_tf.reduce_mean(_tf.cast(_tf.less(pre, _tf.cast(0.0, pre.dtype)),
                                                 _tf.float32)), "%s/zeros" % op.op.name)
    if op.op.type == "Relu6":
        _scalar_summary(_tf.reduce_mean(_tf.cast(_tf.greater(pre, _tf.cast(6.0, pre.dtype)),
                                                 _tf.float32)), "%s/sixes" % op.op.name)
    return _histogram_summary(op, "%s/activation" % op.op.name)


def summarize_tensor(tensor: Any, tag: Optional[str] = None) -> Any:
    """A scalar summary for a scalar, a histogram otherwise; ``None`` for strings and bools."""
    if tensor.dtype.is_compatible_with(_tf.string) or tensor.dtype.base_dtype == _tf.bool:
        return None
    if tensor.shape.rank == 0:
        return _scalar_summary(tensor, tag)
    return _histogram_summary(tensor, tag)


def summarize_tensors(tensors: Sequence[Any], summarizer: Callable = summarize_tensor) -> List[Any]:
    """``[summarizer(t) for t in tensors]``."""
    return [summarizer(t) for t in tensors]


def summarize_collection(collection: str, name_filter: Optional[str] = None,
                         summarizer: Callable = summarize_tensor) -> List[Any]:
    """Summaries of the collection's tensors whose op name matches ``name_filter``."""
    tensors = [t for t in _v1.get_collection(collection)
               if name_filter is None or re.match(name_filter, t.op.name)]
    return summarize_tensors(tensors, summarizer)


def summarize_activations(name_filter: Optional[str] = None,
                          summarizer: Callable = summarize_activation) -> List[Any]:
    """:func:`summarize_activation` of every tensor in the ``ACTIVATIONS`` collection."""
    return summarize_collection(_GK.ACTIVATIONS, name_filter, summarizer)
