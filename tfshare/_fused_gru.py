"""The fused TF1 GRU over a time-major sequence: forward loop, hand-written backward.

Equations (TF1's ``GRUCell``: the reset gate is applied before the candidate's
matmul; gate columns ``r, u``)::

    r, u = σ([x, h]·Kg + bg);  c = tanh([x, r⊙h]·Kc + bc);  h' = u⊙h + (1−u)⊙c

Forward: ``X·Kgx + bg`` and ``X·Kcx + bc`` for all steps in one matmul each; each
step stores the gates ``[r, u]``, the candidate and the (masked) state
(:class:`GRUSaved`). Backward: a loop over the sequential part only, then one
large matmul per weight and input gradient.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import tensorflow as tf

from tfshare import _fused_loop as fl

__all__: list = []


@dataclasses.dataclass(frozen=True)
class GRUConfig:
    """The static part of a fused GRU run."""

    depth: int
    masked: bool = False
    carry_output: bool = False


class GRUWeights(NamedTuple):
    gate_kernel: tf.Tensor  # [depth + U, 2U], columns r, u
    gate_bias: tf.Tensor  # [2U]
    cand_kernel: tf.Tensor  # [depth + U, U]
    cand_bias: tf.Tensor  # [U]


class GRUSaved(NamedTuple):
    """What the forward loop stores per step (``[T, B, ·]``)."""

    gates: tf.Tensor  # [r, u] = σ(...)
    cand: tf.Tensor  # the candidate c
    h: tf.Tensor  # the state after the step (carried over at masked steps)


def gru_forward(cfg: GRUConfig, x, w: GRUWeights, h0, mask):
    """The forward pass: ``(outputs [T, B, U], h_T, GRUSaved)``."""
    dtype = x.dtype
    steps = tf.shape(x)[0]
    kgh, kch = w.gate_kernel[cfg.depth:], w.cand_kernel[cfg.depth:]
    zg = fl.flat_matmul(x, w.gate_kernel[:cfg.depth]) + w.gate_bias
    zc = fl.flat_matmul(x, w.cand_kernel[:cfg.depth]) + w.cand_bias

    def step(t, h, tas):
        gates = tf.sigmoid(zg[t] + tf.matmul(h, kgh))
        r, u = tf.split(gates, 2, axis=1)
        cand = tf.tanh(zc[t] + tf.matmul(r * h, kch))
        hn = cand + u * (h - cand)
        if cfg.masked:
            hn = tf.where(mask[t], hn, h)
        values = {"gates": gates, "cand": cand, "h": hn}
        return t + 1, hn, {k: ta.write(t, values[k]) for k, ta in tas.items()}

    tas = {k: fl.tensor_array(dtype, steps) for k in GRUSaved._fields}
    _, h_last, tas = tf.while_loop(lambda t, *_: t < steps, step, (tf.constant(0), h0, tas),
                                   maximum_iterations=steps)
    saved = GRUSaved(**{k: ta.stack() for k, ta in tas.items()})
    out_mask = fl.output_mask(mask, cfg.carry_output)
    outputs = saved.h if out_mask is None else tf.where(out_mask, saved.h, tf.zeros((), dtype))
    return outputs, h_last, saved


class _StepFactors(NamedTuple):
    dy: tf.Tensor  # the output gradient reaching h at t
    q_u: tf.Tensor  # (h_prev − c)·σ'(u)
    q_a: tf.Tensor  # (1 − u)·tanh'(c)
    q_r: tf.Tensor  # h_prev·σ'(r)
    r: tf.Tensor
    u: tf.Tensor


def gru_backward(cfg: GRUConfig, x, w: GRUWeights, h0, mask, saved: GRUSaved, dy, dh_last):
    """Gradients ``(dx, GRUWeights of gradients, dh0)`` of the forward pass."""
    dtype = x.dtype
    zero = tf.zeros((), dtype)
    steps = tf.shape(x)[0]
    out_mask = fl.output_mask(mask, cfg.carry_output)
    dy = tf.zeros_like(saved.h) if dy is None else dy
    h_prev = fl.shift_in(h0, saved.h)
    r_s, u_s = tf.split(saved.gates, 2, axis=2)
    factors = _StepFactors(
        dy=dy if out_mask is None else tf.where(out_mask, dy, zero),
        q_u=(h_prev - saved.cand) * fl.sig_grad(u_s), q_a=(1 - u_s) * fl.tanh_grad(saved.cand),
        q_r=h_prev * fl.sig_grad(r_s), r=r_s, u=u_s)
    kgh_t = tf.transpose(w.gate_kernel[cfg.depth:])
    kch_t = tf.transpose(w.cand_kernel[cfg.depth:])
    dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

    def bstep(k, dh, dg_ta, da_ta):
        t = steps - 1 - k
        s = _StepFactors(*(a[t] for a in factors))
        mk = mask[t] if cfg.masked else None
        dhn, dh_pass = fl.split_grad(dh + s.dy, mk, zero)
        da = dhn * s.q_a
        drh = tf.matmul(da, kch_t)
        dg = tf.concat([drh * s.q_r, dhn * s.q_u], axis=1)
        dh_prev = dhn * s.u + drh * s.r + tf.matmul(dg, kgh_t)
        if mk is not None:
            dh_prev = dh_prev + dh_pass
        return k + 1, dh_prev, dg_ta.write(t, dg), da_ta.write(t, da)

    _, dh0, dg_ta, da_ta = tf.while_loop(
        lambda k, *_: k < steps, bstep,
        (tf.constant(0), dh_last, fl.tensor_array(dtype, steps), fl.tensor_array(dtype, steps)),
        maximum_iterations=steps)
    dg, da = dg_ta.stack(), da_ta.stack()
    rh = r_s * h_prev
    dgk = tf.concat([fl.flat_tmatmul(x, dg), fl.flat_tmatmul(h_prev, dg)], 0)
    dck = tf.concat([fl.flat_tmatmul(x, da), fl.flat_tmatmul(rh, da)], 0)
    dx = (fl.flat_matmul(dg, tf.transpose(w.gate_kernel[:cfg.depth]))
          + fl.flat_matmul(da, tf.transpose(w.cand_kernel[:cfg.depth])))
    grads = GRUWeights(dgk, tf.reduce_sum(dg, axis=[0, 1]), dck, tf.reduce_sum(da, axis=[0, 1]))
    return dx, grads, dh0


def gru_sequence(cfg: GRUConfig, x, w: GRUWeights, h0, mask=None):
    """The GRU over time-major ``x`` with :func:`gru_backward` as its gradient:
    ``(outputs [T, B, U], h_T)``."""

    @tf.custom_gradient
    def run(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0):
        weights = GRUWeights(gate_kernel, gate_bias, cand_kernel, cand_bias)
        outputs, h_last, saved = gru_forward(cfg, x, weights, h0, mask)

        def grad(dy, dh_last):
            dx, dw, dh0 = gru_backward(cfg, x, weights, h0, mask, saved, dy, dh_last)
            return (dx, *dw, dh0)

        return (outputs, h_last), grad

    return run(x, *w, h0)
