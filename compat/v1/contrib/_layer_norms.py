"""``contrib.layers.layer_norm`` and ``contrib.layers.batch_norm`` (TF 1.15).

Both create model variables (``GLOBAL_VARIABLES`` + ``MODEL_VARIABLES``) with
tfshare's ``get_variable`` under the scope ``LayerNorm`` / ``BatchNorm`` (or
``scope``), so they share, save and restore with TF1's names.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1.contrib._arg_scope import add_arg_scope
from tfshare.compat.v1.contrib._layer_utils import (
    add_variable_to_collections, collect_named_outputs, model_variable_getter,
    variable_collections)
from tfshare.compat.v1.contrib.framework import model_variable, smart_cond, smart_constant_value
from tfshare.compat.v1.layers import BatchNormalization
from tfshare.compat.v1.layers._base import v1_graph_mode

_v1 = _tf.compat.v1
_GK = _v1.GraphKeys
_NHWC, _NCHW = "NHWC", "NCHW"
#: TF1's fused kernel never uses a smaller epsilon than this.
_FUSED_MIN_EPSILON = 1.001e-5

__all__ = ["layer_norm", "batch_norm"]


def _name(x: Any) -> str:
    return getattr(x, "name", repr(x)) if not _tf.executing_eagerly() else repr(x)


@add_arg_scope
def layer_norm(inputs: Any, center: bool = True, scale: bool = True,
               activation_fn: Optional[Callable] = None, reuse: Any = None,
               variables_collections: Any = None, outputs_collections: Any = None,
               trainable: bool = True, begin_norm_axis: int = 1, begin_params_axis: int = -1,
               scope: Any = None) -> Any:
    """Layer normalization (Ba et al. 2016)::

        y = gamma * (x - mean) / sqrt(var + eps) + beta

    with ``mean``/``var`` over axes ``begin_norm_axis..rank-1`` and ``eps =
    1e-12`` (``1e-3`` for float16). Variables ``LayerNorm/beta`` (zeros) and
    ``LayerNorm/gamma`` (ones), of shape ``inputs.shape[begin_params_axis:]``.
    """
    with _api.variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = _tf.convert_to_tensor(inputs)
        shape = inputs.shape
        rank = shape.rank
        if rank is None:
            raise ValueError("Inputs %s has undefined rank." % _name(inputs))
        dtype = inputs.dtype.base_dtype
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError("begin_params_axis (%d) and begin_norm_axis (%d) must be < "
                             "rank(inputs) (%d)" % (begin_params_axis, begin_norm_axis, rank))
        params_shape = shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError("Inputs %s: shape(inputs)[%s:] is not fully defined: %s"
                             % (_name(inputs), begin_params_axis, shape))
        beta = gamma = None
        if center:
            beta = model_variable("beta", shape=params_shape, dtype=dtype,
                                  initializer=_v1.zeros_initializer(),
                                  collections=variable_collections(variables_collections, "beta"),
                                  trainable=trainable)
        if scale:
            gamma = model_variable("gamma", shape=params_shape, dtype=dtype,
                                   initializer=_v1.ones_initializer(),
                                   collections=variable_collections(variables_collections,
                                                                    "gamma"),
                                   trainable=trainable)
        mean, variance = _tf.nn.moments(inputs, list(range(begin_norm_axis, rank)),
                                        keepdims=True)
        eps = 1e-12 if dtype != _tf.float16 else 1e-3
        outputs = _tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                             variance_epsilon=eps)
        if not _tf.executing_eagerly():
            outputs.set_shape(shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


def _assign_moving_average(variable: Any, value: Any, decay: float) -> Any:
    """``variable -= (variable - value) * (1 - decay)`` (TF1 ``assign_moving_average``)."""
    with _v1.name_scope(None, "AssignMovingAvg", [variable, value]) as scope:
        value = _tf.cast(value, variable.dtype.base_dtype)
        delta = (_tf.convert_to_tensor(variable) - value) * _tf.constant(
            1.0 - decay, variable.dtype.base_dtype, name="decay")
        if v1_graph_mode() and isinstance(variable, _tf.Variable):
            return _v1.assign_sub(variable, delta, name=scope)
        return variable.assign_sub(delta)


def _direct_batch_norm(inputs: Any, decay: float, center: bool, scale: bool, epsilon: float,
                       param_initializers: Optional[Dict[str, Any]],
                       param_regularizers: Optional[Dict[str, Any]], updates_collections: Any,
                       is_training: Any, variables_collections: Any, trainable: bool,
                       batch_weights: Any, data_format: str, fused: bool) -> Any:
    """TF1's own batch norm (the fused kernel's maths when ``fused``): variables
    created here, moments of the batch, moving averages by ``decay``.

    ``fused``: parameters in float32, ``epsilon >= 1.001e-5``, and the moving
    variance updated with the unbiased batch variance (``n / (n - 1)``)."""
    shape = inputs.shape
    rank = shape.rank
    if rank is None:
        raise ValueError("Inputs %s has undefined rank%s" % (_name(inputs), "" if fused else "."))
    if fused and rank == 2 and shape[-1] is None:
        raise ValueError("`C` dimension must be known but is None")
    channel_axis = 1 if data_format == _NCHW else rank - 1
    params_shape = shape[channel_axis:channel_axis + 1]
    if not params_shape.is_fully_defined():
        what = "`C` dimension" if fused else "channels dimension"
        raise ValueError("Inputs %s has undefined %s %s." % (_name(inputs), what, params_shape))
    dtype = _tf.float32 if fused else inputs.dtype.base_dtype
    inits = param_initializers or {}
    regs = param_regularizers or {}

    def param(name: str, default_init: Any, regularize: bool, var_trainable: bool) -> Any:
        kwargs: Dict[str, Any] = dict(shape=params_shape, dtype=dtype,
                                      initializer=inits.get(name, default_init),
                                      collections=variable_collections(variables_collections,
                                                                       name),
                                      trainable=var_trainable)
        if regularize and fused:
            kwargs["regularizer"] = regs.get(name)
        return model_variable(name, **kwargs)

    beta = param("beta", _v1.zeros_initializer(), True, trainable) if center else None
    gamma = param("gamma", _v1.ones_initializer(), True, trainable) if scale else None
    with _api.variable_scope(_api.get_variable_scope()) as local:
        local.set_partitioner(None)
        moving_mean = param("moving_mean", _v1.zeros_initializer(), False, False)
        moving_variance = param("moving_variance", _v1.ones_initializer(), False, False)

    reduce_axes = [a for a in range(rank) if a != channel_axis]
    bshape = [1] * rank
    bshape[channel_axis] = -1
    x_dtype = inputs.dtype.base_dtype

    def per_channel(t: Any) -> Any:
        if t is None:
            return None
        t = _tf.cast(t, x_dtype) if t.dtype.base_dtype != x_dtype else t
        return _tf.reshape(t, bshape) if channel_axis != rank - 1 else t

    eps = max(epsilon, _FUSED_MIN_EPSILON) if fused else epsilon

    def normalize(mean: Any, variance: Any) -> Any:
        return _tf.nn.batch_normalization(inputs, per_channel(mean), per_channel(variance),
                                          per_channel(beta), per_channel(gamma), eps)

    def batch_moments() -> Any:
        if batch_weights is None:
            mean, variance = _tf.nn.moments(inputs, reduce_axes)
        else:
            weights = _tf.reshape(_tf.convert_to_tensor(batch_weights), [-1] + [1] * (rank - 1))
            mean, variance = _tf.nn.weighted_moments(inputs, reduce_axes, weights)
        update_variance = variance
        if fused:
            n = _tf.cast(_tf.size(inputs) // _tf.size(mean), variance.dtype)
            update_variance = variance * n / _tf.maximum(n - 1.0, 1.0)
        return mean, variance, update_variance

    training = smart_constant_value(is_training)
    if training is False:
        return normalize(moving_mean, moving_variance)
    mean, variance, update_variance = batch_moments()

    def updates() -> Any:
        return (_assign_moving_average(moving_mean, mean, decay),
                _assign_moving_average(moving_variance, update_variance, decay))

    def unchanged() -> Any:
        return (_tf.convert_to_tensor(moving_mean), _tf.convert_to_tensor(moving_variance))

    if training is None:
        outputs = _tf.cond(_tf.cast(is_training, _tf.bool),
                           lambda: normalize(mean, variance),
                           lambda: normalize(moving_mean, moving_variance))
    else:
        outputs = normalize(mean, variance)
    if updates_collections is None:
        if training:
            up_mean, up_var = updates()
        else:
            up_mean, up_var = smart_cond(is_training, updates, unchanged)
        with _tf.control_dependencies([up_mean, up_var]):
            return _tf.identity(outputs)
    if v1_graph_mode():
        up_mean, up_var = smart_cond(is_training, updates, unchanged)
        _v1.add_to_collections(updates_collections, up_mean)
        _v1.add_to_collections(updates_collections, up_var)
    else:
        smart_cond(is_training, updates, unchanged)  # eager: update at once
    return outputs


@add_arg_scope
def batch_norm(inputs: Any, decay: float = 0.999, center: bool = True, scale: bool = False,
               epsilon: float = 0.001, activation_fn: Optional[Callable] = None,
               param_initializers: Optional[Dict[str, Any]] = None,
               param_regularizers: Optional[Dict[str, Any]] = None,
               updates_collections: Any = _GK.UPDATE_OPS, is_training: Any = True,
               reuse: Any = None, variables_collections: Any = None,
               outputs_collections: Any = None, trainable: bool = True, batch_weights: Any = None,
               fused: Any = None, data_format: str = _NHWC,
               zero_debias_moving_mean: bool = False, scope: Any = None, renorm: bool = False,
               renorm_clipping: Any = None, renorm_decay: float = 0.99,
               adjustment: Any = None) -> Any:
    """Batch normalization (Ioffe & Szegedy 2015) over all axes but the channel
    axis (last for ``NHWC``, second for ``NCHW``)::

        training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta
                   moving_mean     -= (moving_mean - mean_B) * (1 - decay)
                   moving_variance -= (moving_variance - var_B') * (1 - decay)
        inference: y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta

    Variables (TF1 names): ``BatchNorm/beta`` (``center``), ``BatchNorm/gamma``
    (``scale``, off by default), ``BatchNorm/moving_mean``,
    ``BatchNorm/moving_variance``. ``is_training`` defaults to True and may be
    a bool tensor. The two update ops go to ``updates_collections``
    (``UPDATE_OPS``; run them with the train op), or with ``None`` run with
    the output. ``var_B'`` is the unbiased batch variance where TF1 used its
    fused kernel (inputs of rank 2, and rank 4 unless ``fused=False``), the
    biased one otherwise. In eager mode the moving averages update at once.
    """
    fused = True if fused is None else fused
    if zero_debias_moving_mean:
        raise NotImplementedError("tfshare's contrib.layers.batch_norm does not support "
                                  "zero_debias_moving_mean=True")
    inputs = _tf.convert_to_tensor(inputs)
    rank = inputs.shape.rank
    possible_to_fuse = (batch_weights is None and not renorm and rank in (2, 4)
                        and adjustment is None)
    use_fused = fused and possible_to_fuse and (rank == 2 or
                                                updates_collections != _GK.UPDATE_OPS)
    if data_format not in (_NCHW, _NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    layer_path = (not use_fused and batch_weights is None
                  and updates_collections == _GK.UPDATE_OPS)
    if not use_fused and not layer_path and renorm:
        raise ValueError("renorm is not supported with batch_weights, updates_collections or "
                         "zero_debias_moving_mean")
    getter = model_variable_getter() if layer_path else None
    with _api.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                             custom_getter=getter) as sc:
        if layer_path:
            inits = param_initializers or {}
            regs = param_regularizers or {}
            layer = BatchNormalization(
                axis=1 if data_format == _NCHW else -1, momentum=decay, epsilon=epsilon,
                center=center, scale=scale,
                beta_initializer=inits.get("beta", _v1.zeros_initializer()),
                gamma_initializer=inits.get("gamma", _v1.ones_initializer()),
                moving_mean_initializer=inits.get("moving_mean", _v1.zeros_initializer()),
                moving_variance_initializer=inits.get("moving_variance",
                                                      _v1.ones_initializer()),
                beta_regularizer=regs.get("beta"), gamma_regularizer=regs.get("gamma"),
                trainable=trainable, renorm=renorm, renorm_clipping=renorm_clipping,
                renorm_momentum=renorm_decay, adjustment=adjustment,
                fused=None if fused else False, name=sc.name, _scope=sc, _reuse=reuse)
            outputs = layer(inputs, training=is_training)
            for name in ("moving_mean", "moving_variance", "beta", "gamma"):
                add_variable_to_collections(getattr(layer, name), variables_collections, name)
        else:
            outputs = _direct_batch_norm(
                inputs, decay, center, scale, epsilon, param_initializers, param_regularizers,
                updates_collections, is_training, variables_collections, trainable,
                batch_weights, data_format, use_fused)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)
