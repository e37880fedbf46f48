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

Legacy names (TF <= 1.1, see docs/tf1-behaviour.md §4 and TF's
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
_TYPE_ERROR = ("Argument `assignment_map` must be a dict or a list of (checkpoint name, target) "
               "pairs. Received: assignment_map={!r}")


def is_scope(name: str) -> bool:
    """``'old/'`` and ``'/'`` (the root) are scopes; ``'old/a'`` is a name."""
    return name == "/" or name.endswith("/")


def _prefix(scope: str) -> str:
    return "" if scope == "/" else scope


def in_scope(name: str, scope: str) -> bool:
    """Is ``name`` under ``scope`` (``'/'`` holds every name)?"""
    return name.startswith(_prefix(scope))


def move(name: str, from_scope: str, to_scope: str) -> str:
    """``name`` (under ``from_scope``) moved under ``to_scope``:
    ``move('new/a', 'new/', 'old/') == 'old/a'``; ``'/'`` is the root."""
    return _prefix(to_scope) + name[len(_prefix(from_scope)):]


def map_pairs(assignment_map: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The ``(checkpoint name, target)`` pairs of a dict or a list of pairs,
    type-checked (TypeError naming the argument otherwise)."""
    if isinstance(assignment_map, Mapping):
        pairs = list(assignment_map.items())
    elif isinstance(assignment_map, (list, tuple)):
        pairs = list(assignment_map)
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise TypeError(_TYPE_ERROR.format(assignment_map))
        pairs = [tuple(p) for p in pairs]
    else:
        raise TypeError(_TYPE_ERROR.format(assignment_map))
    for ckpt, _ in pairs:
        if not isinstance(ckpt, str):
            raise TypeError(f"Assignment map keys must be checkpoint names (str). Received: {ckpt!r}")
    return pairs


class AssignmentMap:
    """A parsed assignment map, the one implementation of TF1's renaming rule.

    ``source(target_name)`` gives the checkpoint name a target loads (restore,
    ``init_from_checkpoint``); ``rename(checkpoint_name)`` the new name of a
    checkpoint entry (``tfshare rename``). ``conflicts`` lists entries sending
    two checkpoint names to one target (a restore plan problem).
    """

    def __init__(self, assignment_map: Mapping[str, Any] | Iterable[tuple[str, Any]] | None):
        self.exact: dict[str, str] = {}          # target name -> checkpoint name
        self._renames: dict[str, str] = {}       # checkpoint name -> target name
        self.scopes: list[tuple[str, str]] = []  # (target scope, checkpoint scope)
        self.objects: list[tuple[str, Any]] = []  # (checkpoint name, variable object)
        self.entries: list[tuple[str, Any]] = []
        self.conflicts: list[str] = []
        if assignment_map is None:
            return
        seen_objects: dict[int, str] = {}
        seen_scopes: dict[str, str] = {}
        for ckpt, target in map_pairs(assignment_map):
            self.entries.append((ckpt, target))
            if not isinstance(target, str):
                if is_scope(ckpt):
                    raise ValueError(
                        f"Assignment map entry {ckpt!r} is a scope and must map to a scope "
                        f"string, not to {target!r}.")
                if id(target) in seen_objects and seen_objects[id(target)] != ckpt:
                    self.conflicts.append(self._conflict(seen_objects[id(target)], ckpt, repr(target)))
                seen_objects[id(target)] = ckpt
                self.objects.append((ckpt, target))
            elif is_scope(ckpt):
                if not is_scope(target):
                    raise ValueError(f"Assignment map entry {ckpt!r}: {target!r}: a scope (ending "
                                     "in '/') must map to a scope.")
                if target in seen_scopes and seen_scopes[target] != ckpt:
                    self.conflicts.append(self._conflict(seen_scopes[target], ckpt, target))
                seen_scopes[target] = ckpt
                self.scopes.append((target, ckpt))
            else:
                if is_scope(target):
                    raise ValueError(_SCOPE_ERROR.format(target=target.rstrip("/"), ckpt=ckpt))
                if target in self.exact and self.exact[target] != ckpt:
                    self.conflicts.append(self._conflict(self.exact[target], ckpt, target))
                self.exact[target] = ckpt
                self._renames.setdefault(ckpt, target)
        self.scopes.sort(key=lambda p: -len(_prefix(p[0])))

    @staticmethod
    def _conflict(first: str, second: str, target: str) -> str:
        return (f"assignment map sends two checkpoint names, {first!r} and {second!r}, to one "
                f"target {target}")

    #: The shared primitives, for callers that resolve entries themselves
    #: (``tfshare.compat.v1.train.init_from_checkpoint``).
    pairs = staticmethod(map_pairs)
    is_scope = staticmethod(is_scope)
    in_scope = staticmethod(in_scope)
    move = staticmethod(move)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def source(self, target_name: str) -> tuple[str, str | None]:
        """``(checkpoint name, entry)`` for ``target_name``; entry is the map
        entry used (as ``"ckpt -> target"``) or None for the identity. An exact
        entry beats a scope entry; the longest target scope wins."""
        if target_name in self.exact:
            ckpt = self.exact[target_name]
            return ckpt, f"{ckpt} -> {target_name}"
        for tscope, cscope in self.scopes:
            if in_scope(target_name, tscope):
                return move(target_name, tscope, cscope), f"{cscope} -> {tscope}"
        return target_name, None

    def rename(self, checkpoint_name: str) -> str:
        """The target name of checkpoint entry ``checkpoint_name``: an exact
        entry first, else the longest checkpoint scope, else unchanged."""
        if checkpoint_name in self._renames:
            return self._renames[checkpoint_name]
        best = None
        for tscope, cscope in self.scopes:
            if in_scope(checkpoint_name, cscope) and (
                    best is None or len(_prefix(cscope)) > len(_prefix(best[1]))):
                best = (tscope, cscope)
        return move(checkpoint_name, best[1], best[0]) if best else checkpoint_name

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
            if not any(in_scope(n, tscope) for n in names):
                problems.append(
                    f"assignment map entry {cscope!r}: {tscope!r}: no target "
                    f"variable is under {tscope!r}")
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
