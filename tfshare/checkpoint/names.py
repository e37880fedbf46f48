"""Name matching: TF1 assignment maps and the pre-1.2 RNN name translation.

Assignment maps use ``tf.compat.v1.train.init_from_checkpoint``'s forms,
``{checkpoint name or scope: target name, scope or variable}``:

=====================  ==========================================================
``'old/a': 'new/a'``   target ``new/a`` loads checkpoint tensor ``old/a``
``'old/a': var``       the variable object ``var`` loads ``old/a``
``'old/': 'new/'``     every target under ``new/`` loads ``old/<rest>``
``'old/': '/'``        every target loads ``old/<its name>``
``'/': 'new/'``        targets under ``new/`` load the checkpoint's root names
``'/': '/'``           everything by identical names
=====================  ==========================================================

A list of ``(checkpoint, target)`` pairs is accepted too. An exact entry beats
a scope entry; among scope entries the longest target scope wins. Target names
no entry covers keep their own name (so a map only needs the renames).

Legacy names (TF <= 1.1, see the spec's section 3.13 and TF's
``checkpoint_convert``): ``weights``/``biases`` of an RNN cell became
``kernel``/``bias`` in TF 1.2, and TF 0.x used CamelCase cell scopes with
``Linear/Matrix``/``Linear/Bias``, ``LSTMCell/W_0``, ``B``, ``W_F_diag``,
``W_P_0`` and ``MultiRNNCell/Cell0``. :func:`translate_legacy_names` maps such
checkpoint names to today's names.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

__all__ = ["AssignmentMap", "translate_legacy_names", "translate_legacy_name"]

_SCOPE_ERROR = ("Assignment map with scope only name {target} should map to scope only {ckpt}. "
                "Should be 'scope/': 'other_scope/'.")


def _is_scope(name: str) -> bool:
    return name == "/" or name.endswith("/")


class AssignmentMap:
    """A parsed assignment map; ``source(target_name)`` gives the checkpoint name."""

    def __init__(self, assignment_map: Mapping[str, Any] | Iterable[tuple[str, Any]] | None):
        self.exact: dict[str, str] = {}          # target name -> checkpoint name
        self.scopes: list[tuple[str, str]] = []  # (target scope, checkpoint scope), '' = root
        self.objects: list[tuple[str, Any]] = []  # (checkpoint name, variable object)
        self.entries: list[tuple[str, Any]] = []
        if assignment_map is None:
            return
        if isinstance(assignment_map, Mapping):
            pairs = list(assignment_map.items())
        elif isinstance(assignment_map, (list, tuple)):
            pairs = list(assignment_map)
            if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
                raise TypeError(
                    "Argument `assignment_map` must be a dict or a list of (checkpoint name, target) "
                    f"pairs. Received: assignment_map={assignment_map!r}")
        else:
            raise TypeError(
                "Argument `assignment_map` must be a dict or a list of (checkpoint name, target) "
                f"pairs. Received: assignment_map={assignment_map!r}")
        for ckpt, target in pairs:
            if not isinstance(ckpt, str):
                raise TypeError(
                    f"Assignment map keys must be checkpoint names (str). Received: {ckpt!r}")
            self.entries.append((ckpt, target))
            if not isinstance(target, str):
                if _is_scope(ckpt):
                    raise ValueError(
                        f"Assignment map entry {ckpt!r} is a scope and must map to a scope "
                        f"string, not to {target!r}.")
                self.objects.append((ckpt, target))
                continue
            if _is_scope(ckpt):
                if not _is_scope(target):
                    raise ValueError(_SCOPE_ERROR.format(target=target, ckpt=ckpt))
                self.scopes.append(("" if target == "/" else target, "" if ckpt == "/" else ckpt))
            else:
                if _is_scope(target):
                    raise ValueError(_SCOPE_ERROR.format(target=target.rstrip("/"), ckpt=ckpt))
                self.exact[target] = ckpt
        self.scopes.sort(key=lambda p: -len(p[0]))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def source(self, target_name: str) -> tuple[str, str | None]:
        """``(checkpoint name, entry)`` for ``target_name``; entry is the map
        entry used (as ``"ckpt -> target"``) or None for the identity."""
        if target_name in self.exact:
            ckpt = self.exact[target_name]
            return ckpt, f"{ckpt} -> {target_name}"
        for tscope, cscope in self.scopes:
            if target_name.startswith(tscope):
                entry = f"{cscope or '/'} -> {tscope or '/'}"
                return cscope + target_name[len(tscope):], entry
        return target_name, None

    def check_targets(self, target_names: Iterable[str]) -> list[str]:
        """Problems: entries whose target matches no target variable."""
        names = list(target_names)
        problems = []
        for target, ckpt in self.exact.items():
            if target not in names:
                if any(n.startswith(target + "/") for n in names):
                    problems.append(_SCOPE_ERROR.format(target=target, ckpt=ckpt))
                else:
                    problems.append(
                        f"assignment map entry {ckpt!r}: {target!r}: no target variable is named "
                        f"{target!r}")
        for tscope, cscope in self.scopes:
            if not any(n.startswith(tscope) for n in names):
                problems.append(
                    f"assignment map entry {cscope or '/'!r}: {tscope or '/'!r}: no target "
                    f"variable is under {tscope or '/'!r}")
        return problems


# ------------------------------------------------------------ legacy RNN names
_SCOPE_RENAMES = {
    "BasicLSTMCell": "basic_lstm_cell",
    "BasicRNNCell": "basic_rnn_cell",
    "LSTMCell": "lstm_cell",
    "GRUCell": "gru_cell",
    "MultiRNNCell": "multi_rnn_cell",
    "Gates": "gates",
    "Candidate": "candidate",
    "OutputProjectionWrapper": "output_projection_wrapper",
    "InputProjectionWrapper": "input_projection_wrapper",
    "RNN": "rnn",
    "BiRNN": "bidirectional_rnn",
    "FW": "fw",
    "BW": "bw",
}
#: Scopes whose ``weights``/``biases`` TF 1.2 renamed (checkpoint_convert's table).
_CELL_SCOPES = {
    "basic_lstm_cell", "basic_rnn_cell", "lstm_cell", "gru_cell", "gates", "candidate",
    "projection", "output_projection_wrapper", "input_projection_wrapper",
    "layer_norm_basic_lstm_cell", "ugrnn_cell", "lstm_block_wrapper", "nas_rnn",
    "intersection_rnn_cell", "in_projection", "attention_cell_wrapper", "attention",
    "attention_output_projection", "mask_gates", "new_input", "output_gate",
}
_LEAF_RENAMES = {"weights": "kernel", "biases": "bias", "recurrent_weights": "recurrent_kernel"}
_LSTM_LEAVES = {"B": "bias", "W_F_diag": "w_f_diag", "W_I_diag": "w_i_diag", "W_O_diag": "w_o_diag"}


def _translate_parts(parts: list[str], shards: dict[str, int]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if p in ("BiRNN_FW", "BiRNN_BW"):
            out += ["bidirectional_rnn", p[-2:].lower()]
        elif re.fullmatch(r"Cell\d+", p):
            out.append("cell_" + p[4:])
        elif p in _SCOPE_RENAMES and i < len(parts) - 1:
            out.append(_SCOPE_RENAMES[p])
        elif p == "Linear" and i == len(parts) - 2 and parts[i + 1] in ("Matrix", "Bias"):
            out.append("kernel" if parts[i + 1] == "Matrix" else "bias")
            i += 1
        elif i == len(parts) - 1 and out and out[-1] in _CELL_SCOPES and p in _LEAF_RENAMES:
            out.append(_LEAF_RENAMES[p])
        elif (i == len(parts) - 2 and out and out[-1] in _CELL_SCOPES and p == "weights"
              and parts[i + 1].startswith("part_")):
            out.append("kernel")
        elif i == len(parts) - 1 and out and out[-1] == "lstm_cell" and p in _LSTM_LEAVES:
            out.append(_LSTM_LEAVES[p])
        elif i == len(parts) - 1 and out and out[-1] == "lstm_cell" and re.fullmatch(r"W_(P_)?\d+", p):
            proj = p.startswith("W_P_")
            idx = int(p.rsplit("_", 1)[1])
            base = ["projection", "kernel"] if proj else ["kernel"]
            n = shards.get("/".join(parts[:i] + [p.rsplit("_", 1)[0]]), 1)
            out += base if n == 1 else base + [f"part_{idx}"]
        else:
            out.append(p)
        i += 1
    return out


def translate_legacy_names(names: Iterable[str]) -> dict[str, str]:
    """Map pre-1.2 RNN checkpoint names to today's names.

    Returns ``{old name: new name}`` for the names that change, e.g.
    ``rnn/basic_lstm_cell/weights -> rnn/basic_lstm_cell/kernel``,
    ``RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Matrix ->
    rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel``,
    ``rnn/LSTMCell/W_0 -> rnn/lstm_cell/kernel`` (one shard; several shards
    become ``kernel/part_<i>``), ``LSTMCell/W_P_0 -> lstm_cell/projection/kernel``,
    ``GRUCell/Gates/Linear/Matrix -> gru_cell/gates/kernel``. The whole list is
    needed to count a sharded 0.x variable's shards.
    """
    names = list(names)
    shards: dict[str, int] = {}
    for n in names:
        m = re.fullmatch(r"(.*/W_(?:P_)?)(\d+)", n)
        if m:
            shards[m.group(1)[:-1]] = shards.get(m.group(1)[:-1], 0) + 1
    out = {}
    for n in names:
        new = "/".join(_translate_parts(n.split("/"), shards))
        if new != n:
            out[n] = new
    return out


def translate_legacy_name(name: str) -> str:
    """Today's name for one pre-1.2 checkpoint name (unchanged when not legacy)."""
    return translate_legacy_names([name]).get(name, name)
