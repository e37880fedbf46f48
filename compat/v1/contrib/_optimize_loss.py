"""``contrib.layers.optimize_loss`` (TF 1.15): a training op from a loss, with
learning-rate decay, gradient clipping/noise/multipliers and summaries."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1.train import get_global_step

_v1 = _tf.compat.v1
_train = _v1.train

__all__ = ["optimize_loss", "OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES"]

OPTIMIZER_CLS_NAMES: Dict[str, Callable] = {
    "Adagrad": _train.AdagradOptimizer,
    "Adam": _train.AdamOptimizer,
    "Ftrl": _train.FtrlOptimizer,
    "Momentum": lambda learning_rate: _train.MomentumOptimizer(learning_rate, momentum=0.9),
    "RMSProp": _train.RMSPropOptimizer,
    "SGD": _train.GradientDescentOptimizer,
}

OPTIMIZER_SUMMARIES = ["learning_rate", "loss", "gradients", "gradient_norm",
                       "global_gradient_norm"]

_GradsAndVars = List[Tuple[Any, Any]]


def _learning_rate(learning_rate: Any) -> Any:
    if learning_rate is None:
        return None
    if _tf.is_tensor(learning_rate) and learning_rate.shape.rank == 0:
        return learning_rate
    if isinstance(learning_rate, float):
        if learning_rate < 0.0:
            raise ValueError("Invalid learning_rate %s.", learning_rate)
        return _api.get_variable("learning_rate", [], trainable=False,
                                 initializer=_v1.constant_initializer(learning_rate))
    raise ValueError("Learning rate should be 0d Tensor or float. Got %s of type %s"
                     % (str(learning_rate), str(type(learning_rate))))


def _optimizer(optimizer: Any, lr: Any, learning_rate: Any) -> Any:
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             "string (%s)." % optimizer)
        if optimizer not in OPTIMIZER_CLS_NAMES:
            raise ValueError("Optimizer name should be one of [%s], you provided %s."
                             % (", ".join(OPTIMIZER_CLS_NAMES), optimizer))
        return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, _train.Optimizer):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             "class (%s)." % optimizer)
        return optimizer(learning_rate=lr)
    if isinstance(optimizer, _train.Optimizer):
        return optimizer
    if callable(optimizer):
        opt = optimizer(lr) if learning_rate is not None else optimizer()
        if not isinstance(opt, _train.Optimizer):
            raise ValueError("Unrecognized optimizer: function should return subclass of "
                             "Optimizer. Got %s." % str(opt))
        return opt
    raise ValueError("Unrecognized optimizer: should be string, subclass of Optimizer, "
                     "instance of subclass of Optimizer or function with one argument. "
                     "Got %s." % str(optimizer))


def _multiply(grads: _GradsAndVars, multipliers: Dict[Any, Any]) -> _GradsAndVars:
    out = []
    for grad, var in grads:
        if grad is not None and (var in multipliers or var.name in multipliers):
            factor = multipliers[var if var in multipliers else var.name]
            if isinstance(grad, _tf.IndexedSlices):
                grad = _tf.IndexedSlices(grad.values * factor, grad.indices, grad.dense_shape)
            else:
                grad = grad * _tf.cast(factor, grad.dtype)
        out.append((grad, var))
    return out


def _add_noise(grads: _GradsAndVars, scale: float) -> _GradsAndVars:
    out = []
    for grad, var in grads:
        if grad is not None:
            shape = grad.dense_shape if isinstance(grad, _tf.IndexedSlices) else grad.shape
            grad = grad + _v1.truncated_normal(shape) * scale
        out.append((grad, var))
    return out


def optimize_loss(loss: Any, global_step: Any, learning_rate: Any, optimizer: Any,
                  gradient_noise_scale: Optional[float] = None,
                  gradient_multipliers: Optional[Dict[Any, Any]] = None,
                  clip_gradients: Any = None, learning_rate_decay_fn: Optional[Callable] = None,
                  update_ops: Optional[Sequence[Any]] = None,
                  variables: Optional[Sequence[Any]] = None, name: Optional[str] = None,
                  summaries: Optional[Sequence[str]] = None,
                  colocate_gradients_with_ops: bool = False,
                  increment_global_step: bool = True) -> Any:
    """The train op: ``loss`` after one optimizer step (graph mode).

    ``optimizer``: a name in ``OPTIMIZER_CLS_NAMES`` (``"Adam"``, ``"SGD"``,
    ...), an ``Optimizer`` subclass or instance, or a function of the learning
    rate returning one. A float ``learning_rate`` becomes the non-trainable
    variable ``OptimizeLoss/learning_rate``; ``learning_rate_decay_fn(lr,
    global_step)`` decays it. ``clip_gradients``: a float (global-norm
    clipping) or a function of the ``(gradient, variable)`` list. Update ops
    (default ``UPDATE_OPS``) run before the step. ``summaries`` (default
    ``loss``, ``learning_rate``, ``global_gradient_norm``) are v1 summaries.
    """
    loss = _tf.convert_to_tensor(loss)
    _v1.assert_scalar(loss)
    if global_step is None:
        global_step = get_global_step()
    else:
        _train.assert_global_step(global_step)
    with _api.variable_scope(name, "OptimizeLoss", [loss, global_step]) as scope, \
            _v1.variable_scope(_v1.VariableScope(scope.reuse, name=scope.name),
                               auxiliary_name_scope=False):
        # TF's own variable scope too (by absolute name; tfshare's scopes already
        # mirror it in graph mode): the optimizer's slots are named by it
        # (``OptimizeLoss/w/Adam``, as in TF1 checkpoints)
        if update_ops is None:
            update_ops = set(_v1.get_collection(_v1.GraphKeys.UPDATE_OPS))
        if update_ops:
            with _tf.control_dependencies(list(update_ops)):
                loss = _tf.identity(loss)
        lr = _learning_rate(learning_rate)
        if summaries is None:
            summaries = ["loss", "learning_rate", "global_gradient_norm"]
        else:
            for s in summaries:
                if s not in OPTIMIZER_SUMMARIES:
                    raise ValueError("Summaries should be one of [%s], you provided %s."
                                     % (", ".join(OPTIMIZER_SUMMARIES), s))
        if learning_rate is not None and learning_rate_decay_fn is not None:
            if global_step is None:
                raise ValueError("global_step is required for learning_rate_decay_fn.")
            lr = learning_rate_decay_fn(lr, global_step)
            if "learning_rate" in summaries:
                _v1.summary.scalar("learning_rate", lr)
        opt = _optimizer(optimizer, lr, learning_rate)
        if variables is None:
            variables = _api.trainable_variables()
        grads = opt.compute_gradients(loss, variables,
                                      colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gradient_noise_scale is not None:
            grads = _add_noise(grads, gradient_noise_scale)
        if gradient_multipliers is not None:
            grads = _multiply(grads, gradient_multipliers)
            if not grads:
                raise ValueError("Empty list of (gradient, var) pairs encountered. This is most "
                                 "likely to be caused by an improper value of "
                                 "gradient_multipliers.")
        norms = "global_gradient_norm" in summaries or "gradient_norm" in summaries
        if norms:
            _v1.summary.scalar("global_norm/gradient_norm",
                               _tf.linalg.global_norm([g for g, _ in grads]))
        if isinstance(clip_gradients, float):
            clipped, _ = _tf.clip_by_global_norm([g for g, _ in grads], clip_gradients)
            grads = list(zip(clipped, [v for _, v in grads]))
        elif callable(clip_gradients):
            grads = clip_gradients(grads)
        elif clip_gradients is not None:
            raise ValueError("Unknown type %s for clip_gradients" % type(clip_gradients))
        if "loss" in summaries:
            _v1.summary.scalar("loss", loss)
        for grad, var in grads:
            values = grad.values if isinstance(grad, _tf.IndexedSlices) else grad
            if values is not None:
                var_name = var.name.replace(":", "_")
                if "gradients" in summaries:
                    _v1.summary.histogram("gradients/%s" % var_name, values)
                if "gradient_norm" in summaries:
                    _v1.summary.scalar("gradient_norm/%s" % var_name,
                                       _tf.linalg.global_norm([values]))
        if clip_gradients is not None and norms:
            _v1.summary.scalar("global_norm/clipped_gradient_norm",
                               _tf.linalg.global_norm([g for g, _ in grads]))
        step = opt.apply_gradients(grads, global_step=global_step if increment_global_step
                                   else None, name="train")
        with _tf.control_dependencies([step]):
            return _tf.identity(loss)
