"""The fused TF1 LSTM over a time-major sequence: forward loop, hand-written backward.

Equations (``z = [x, h]·K + b = x·Kx + h·Kh + b``, columns ``i, j, f, o``)::

    c' = σ(f + forget_bias [+ w_f⊙c])⊙c + σ(i [+ w_i⊙c])⊙tanh(j)
    c' = clip(c', ±cell_clip)                        (cell_clip)
    m  = σ(o [+ w_o⊙c'])⊙tanh(c')
    h' = clip(m·P, ±proj_clip)                       (projection; proj_clip)

Forward: ``Zx = X·Kx + b`` for all steps in one matmul; each step adds only
``h·Kh``. It stores the activated gates, the (masked) states and, with clips or a
projection, the pre-clip values (:class:`LSTMSaved`). Backward: a loop over the
sequential part only (``dz_t``, ``dh_{t-1} = dz_t·Khᵀ``, ``dc_{t-1}``), with the
per-step gate factors computed for all steps before it; then the weight and input
gradients are one large matmul each (``dKx = Xᵀ·dZ``, ``dKh = H_prevᵀ·dZ``, ...).
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional

import tensorflow as tf

from tfshare import _fused_loop as fl

__all__: list = []


@dataclasses.dataclass(frozen=True)
class LSTMConfig:
    """The static part of a fused LSTM run (one trace per distinct config)."""

    depth: int  # input depth: the first ``depth`` rows of the kernel multiply x
    forget_bias: float = 1.0
    peepholes: bool = False
    cell_clip: Optional[float] = None
    projection: bool = False
    proj_clip: Optional[float] = None
    masked: bool = False
    carry_output: bool = False


class LSTMWeights(NamedTuple):
    """The weights (``w_*`` zeros without peepholes, ``proj`` a 1x1 dummy without
    a projection, so that every run has the same inputs)."""

    kernel: tf.Tensor  # [depth + H, 4U], columns i, j, f, o
    bias: tf.Tensor  # [4U]
    w_i: tf.Tensor  # [U]
    w_f: tf.Tensor
    w_o: tf.Tensor
    proj: tf.Tensor  # [U, H]


class LSTMSaved(NamedTuple):
    """What the forward loop stores per step (``[T, B, ·]``) for the backward pass."""

    i: tf.Tensor  # σ(input gate)
    g: tf.Tensor  # tanh(candidate j)
    f: tf.Tensor  # σ(forget gate)
    o: tf.Tensor  # σ(output gate)
    c: tf.Tensor  # the cell state after the step (carried over at masked steps)
    h: tf.Tensor  # the output state after the step (carried over at masked steps)
    cn: Optional[tf.Tensor] = None  # c before cell_clip (cell_clip)
    m: Optional[tf.Tensor] = None  # the output before the projection (projection)
    r: Optional[tf.Tensor] = None  # the projection before proj_clip (projection)


def _saved_fields(cfg: LSTMConfig) -> tuple:
    fields = ("i", "g", "f", "o", "c", "h")
    if cfg.cell_clip is not None:
        fields += ("cn",)
    if cfg.projection:
        fields += ("m", "r")
    return fields


def _cell_step(cfg: LSTMConfig, w: LSTMWeights, kh, z, c, h, mk):
    """One step from the pre-activation ``z = Zx[t] + h·Kh``; returns the new
    (masked) ``c, h`` and the values to store."""
    zi, zj, zf, zo = tf.split(z, 4, axis=1)
    if cfg.peepholes:
        i = tf.sigmoid(zi + w.w_i * c)
        f = tf.sigmoid(zf + w.w_f * c)
    else:
        i = tf.sigmoid(zi)
        f = tf.sigmoid(zf)
    g = tf.tanh(zj)
    cn = f * c + i * g
    cc = cn if cfg.cell_clip is None else tf.clip_by_value(cn, -cfg.cell_clip, cfg.cell_clip)
    o = tf.sigmoid(zo + w.w_o * cc) if cfg.peepholes else tf.sigmoid(zo)
    m = o * tf.tanh(cc)
    r = tf.matmul(m, w.proj) if cfg.projection else m
    hn = r if cfg.proj_clip is None else tf.clip_by_value(r, -cfg.proj_clip, cfg.proj_clip)
    if mk is not None:
        cc, hn = tf.where(mk, cc, c), tf.where(mk, hn, h)
    return cc, hn, {"i": i, "g": g, "f": f, "o": o, "c": cc, "h": hn, "cn": cn, "m": m, "r": r}


def lstm_forward(cfg: LSTMConfig, x, w: LSTMWeights, c0, h0, mask):
    """The forward pass: ``(outputs [T, B, H], c_T, h_T, LSTMSaved)``."""
    dtype = x.dtype
    steps = tf.shape(x)[0]
    kx, kh = w.kernel[:cfg.depth], w.kernel[cfg.depth:]
    units = tf.shape(c0)[1]
    # forget_bias is added to the f columns of the bias once, outside the loop
    b4 = tf.reshape(w.bias, [4, units]) + tf.constant([[0.0], [0.0], [cfg.forget_bias], [0.0]],
                                                      dtype)
    zx = fl.flat_matmul(x, kx) + tf.reshape(b4, [-1])
    fields = _saved_fields(cfg)

    def step(t, c, h, tas):
        mk = mask[t] if cfg.masked else None
        c, h, values = _cell_step(cfg, w, kh, zx[t] + tf.matmul(h, kh), c, h, mk)
        return t + 1, c, h, {k: ta.write(t, values[k]) for k, ta in tas.items()}

    tas = {k: fl.tensor_array(dtype, steps) for k in fields}
    _, c_last, h_last, tas = tf.while_loop(lambda t, *_: t < steps, step,
                                           (tf.constant(0), c0, h0, tas),
                                           maximum_iterations=steps)
    saved = LSTMSaved(**{k: ta.stack() for k, ta in tas.items()})
    out_mask = fl.output_mask(mask, cfg.carry_output)
    outputs = saved.h if out_mask is None else tf.where(out_mask, saved.h, tf.zeros((), dtype))
    return outputs, c_last, h_last, saved


class _StepFactors(NamedTuple):
    """Per-step factors of the backward loop, ``[T, B, ·]`` (indexed by ``t``)."""

    dy: tf.Tensor  # the output gradient reaching h at t
    q_i: tf.Tensor  # g·σ'(i)
    q_j: tf.Tensor  # i·tanh'(g)
    q_f: tf.Tensor  # c_prev·σ'(f)
    q_o: tf.Tensor  # tanh(c)·σ'(o)
    b_o: tf.Tensor  # o·tanh'(tanh(c))
    f: tf.Tensor
    clip_ok: Optional[tf.Tensor] = None  # |c before clip| <= cell_clip
    pclip_ok: Optional[tf.Tensor] = None  # |r| <= proj_clip


def lstm_backward(cfg: LSTMConfig, x, w: LSTMWeights, c0, h0, mask, saved: LSTMSaved, dy,
                  dc_last, dh_last):
    """Gradients ``(dx, LSTMWeights of gradients, dc0, dh0)`` of the forward pass."""
    dtype = x.dtype
    zero = tf.zeros((), dtype)
    steps = tf.shape(x)[0]
    kx, kh = w.kernel[:cfg.depth], w.kernel[cfg.depth:]
    # Past a sequence's end the gradients are exactly zero, so there the stored
    # values only need to be finite: tanh(c carried over) stands for tanh(c).
    out_mask = fl.output_mask(mask, cfg.carry_output)
    dy = tf.zeros_like(saved.h) if dy is None else dy
    c_prev = fl.shift_in(c0, saved.c)
    tc = tf.tanh(saved.c)
    factors = _StepFactors(
        dy=dy if out_mask is None else tf.where(out_mask, dy, zero),
        q_i=saved.g * fl.sig_grad(saved.i), q_j=saved.i * fl.tanh_grad(saved.g),
        q_f=c_prev * fl.sig_grad(saved.f), q_o=tc * fl.sig_grad(saved.o),
        b_o=saved.o * fl.tanh_grad(tc), f=saved.f,
        clip_ok=None if cfg.cell_clip is None else tf.abs(saved.cn) <= cfg.cell_clip,
        pclip_ok=None if cfg.proj_clip is None else tf.abs(saved.r) <= cfg.proj_clip)
    kh_t = tf.transpose(kh)
    proj_t = tf.transpose(w.proj)
    dc_last = tf.zeros_like(c0) if dc_last is None else dc_last
    dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

    def bstep(k, dc, dh, tas):
        t = steps - 1 - k
        s = _StepFactors(*(None if a is None else a[t] for a in factors))
        mk = mask[t] if cfg.masked else None
        dh_new, dh_pass = fl.split_grad(dh + s.dy, mk, zero)
        dc_new, dc_pass = fl.split_grad(dc, mk, zero)
        tas = dict(tas)
        if cfg.projection:
            dr = dh_new if s.pclip_ok is None else tf.where(s.pclip_ok, dh_new, zero)
            tas["dr"] = tas["dr"].write(t, dr)
            dm = tf.matmul(dr, proj_t)
        else:
            dm = dh_new
        dzo = dm * s.q_o
        dcc = dc_new + dm * s.b_o
        if cfg.peepholes:
            dcc = dcc + dzo * w.w_o
        if s.clip_ok is not None:
            dcc = tf.where(s.clip_ok, dcc, zero)
        dzi = dcc * s.q_i
        dzf = dcc * s.q_f
        dc_prev = dcc * s.f
        if cfg.peepholes:
            dc_prev = dc_prev + dzi * w.w_i + dzf * w.w_f
        dz = tf.concat([dzi, dcc * s.q_j, dzf, dzo], axis=1)
        dh_prev = tf.matmul(dz, kh_t)
        if mk is not None:
            dh_prev = dh_prev + dh_pass
            dc_prev = dc_prev + dc_pass
        tas["dz"] = tas["dz"].write(t, dz)
        return k + 1, dc_prev, dh_prev, tas

    tas = {"dz": fl.tensor_array(dtype, steps)}
    if cfg.projection:
        tas["dr"] = fl.tensor_array(dtype, steps)
    _, dc0, dh0, tas = tf.while_loop(lambda k, *_: k < steps, bstep,
                                     (tf.constant(0), dc_last, dh_last, tas),
                                     maximum_iterations=steps)
    dz = tas["dz"].stack()
    h_prev = fl.shift_in(h0, saved.h)
    dkernel = tf.concat([fl.flat_tmatmul(x, dz), fl.flat_tmatmul(h_prev, dz)], 0)
    dbias = tf.reduce_sum(dz, axis=[0, 1])
    dx = fl.flat_matmul(dz, tf.transpose(kx))
    if cfg.peepholes:
        dzi, _, dzf, dzo = tf.split(dz, 4, axis=2)
        dwi = tf.reduce_sum(dzi * c_prev, axis=[0, 1])
        dwf = tf.reduce_sum(dzf * c_prev, axis=[0, 1])
        dwo = tf.reduce_sum(dzo * saved.c, axis=[0, 1])
    else:
        dwi = dwf = dwo = tf.zeros_like(w.w_i)
    dproj = (fl.flat_tmatmul(saved.m, tas["dr"].stack()) if cfg.projection
             else tf.zeros_like(w.proj))
    return dx, LSTMWeights(dkernel, dbias, dwi, dwf, dwo, dproj), dc0, dh0


def lstm_sequence(cfg: LSTMConfig, x, w: LSTMWeights, c0, h0, mask=None):
    """The LSTM over time-major ``x`` with :func:`lstm_backward` as its gradient:
    ``(outputs [T, B, H], c_T, h_T)``. ``mask`` is the ``[T, B, 1]`` step mask
    (``cfg.masked``)."""

    @tf.custom_gradient
    def run(x, kernel, bias, w_i, w_f, w_o, proj, c0, h0):
        weights = LSTMWeights(kernel, bias, w_i, w_f, w_o, proj)
        outputs, c_last, h_last, saved = lstm_forward(cfg, x, weights, c0, h0, mask)

        def grad(dy, dc_last, dh_last):
            dx, dw, dc0, dh0 = lstm_backward(cfg, x, weights, c0, h0, mask, saved, dy,
                                             dc_last, dh_last)
            return (dx, *dw, dc0, dh0)

        return (outputs, c_last, h_last), grad

    return run(x, *w, c0, h0)
