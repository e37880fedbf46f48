"""The restore plan: what a restore will do, checked before anything is assigned.

``plan(target, path, ...)`` matches the target's variable names with the
checkpoint's (after ``include``/``exclude``, the assignment map and, when
asked, the pre-1.2 name translation), checks shapes, dtypes and that every
target can be assigned at all, and returns a :class:`RestorePlan` (immutable).
``str(plan)`` is a readable table; ``plan.as_dict()`` is the same as plain data.

:func:`build_plan` runs these steps, each a function below:

1. :func:`_targets`: the target's ``(name, variable)`` pairs, plus variables
   named by the map's ``'ckpt': variable`` entries;
2. ``select_names``: include/exclude;
3. :func:`_checkpoint_lookup`: checkpoint entries by name, legacy name and alias;
4. :func:`_lookup_names`: the name each target is looked up by (a Keras
   ``.weights.h5`` names weights ``<owner>/<index>``);
5. :func:`_match`: per selected target, a :class:`Match`, a mismatch or a miss;
6. :func:`_conflicts`, :func:`_unused`, :func:`_suggest`, :func:`_verdicts`:
   one variable fed twice, entries left over, scope renames that would help,
   and the whole-plan problems (nothing to restore, ``strict``).
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from tfshare._shapes import static_shape
from tfshare.checkpoint._text import format_shape
from tfshare.checkpoint.names import AssignmentMap
from tfshare.checkpoint.names import translate_legacy_names as _translate_legacy
from tfshare.checkpoint.readers import CheckpointReader, VariableInfo, dtype_name, open_checkpoint
from tfshare.checkpoint.select import named_variables, select_names, variable_name
from tfshare.errors import RestorePlanError

__all__ = ["Match", "RestorePlan", "plan"]


@dataclass(frozen=True)
class Match:
    """One target variable and the checkpoint entry it takes its value from.

    ``shape`` is the target's static shape (``None`` for an unknown dimension,
    ``shape=None`` for an unknown rank); ``source_shape`` the checkpoint's.
    ``via`` says how the names were matched: ``None`` (same name), an
    assignment-map entry ``"old/ -> new/"``, ``"legacy"`` (pre-1.2 name
    translation), ``"alias"`` (a TF2 checkpoint's saved variable name) or
    ``"keras_index"`` (a Keras ``.weights.h5`` index).
    """

    target: str
    source: str
    shape: tuple | None
    dtype: str
    source_shape: tuple
    source_dtype: str
    via: str | None = None

    @property
    def ok(self) -> bool:
        """Same dtype, and shapes compatible (equal where the target's is known)."""
        return _compatible(self.shape, self.source_shape) and self.dtype == self.source_dtype


def _compatible(shape: tuple | None, concrete: tuple) -> bool:
    if shape is None:
        return True
    return len(shape) == len(concrete) and all(a is None or a == b for a, b in zip(shape, concrete))


@dataclass(frozen=True)
class RestorePlan:
    """What a restore does (immutable). Fields:

    * ``restored``: :class:`Match` es that will be assigned;
    * ``missing``: selected target names with no checkpoint entry;
    * ``unused``: checkpoint entries no target (selected or excluded) uses;
    * ``excluded``: target names removed by ``include``/``exclude``;
    * ``mismatched``: matches whose shape or dtype differ (skipped when
      ``skip_mismatch``, else problems);
    * ``problems``: every reason the plan cannot run (empty when ``ok``);
    * ``suggestions``: ``(checkpoint scope, target scope, count)`` assignment-map
      entries that would match missing variables to unused entries;
    * ``assigned``: whether the values were assigned (the plan a restore returns).
    """

    path: str
    format: str
    restored: tuple = ()
    missing: tuple = ()
    unused: tuple = ()
    excluded: tuple = ()
    mismatched: tuple = ()
    problems: tuple = ()
    suggestions: tuple = ()
    skip_mismatch: bool = False
    strict: bool = False
    assigned: bool = False
    # for the table and for restore(): not part of the plan's value
    missing_info: tuple = field(default=(), repr=False, compare=False)
    unused_info: tuple = field(default=(), repr=False, compare=False)
    assignments: tuple = field(default=(), repr=False, compare=False)  # (variable, Match)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def renamed(self) -> tuple:
        """Restored matches whose checkpoint name differs from the target name."""
        return tuple(m for m in self.restored if m.source != m.target)

    @property
    def skipped(self) -> tuple:
        """Mismatches left out because of ``skip_mismatch=True``."""
        return tuple(self.mismatched) if self.skip_mismatch else ()

    def as_dict(self) -> dict:
        """The plan as plain data (lists of dicts and strings)."""
        def m2d(m: Match) -> dict:
            return {"target": m.target, "source": m.source,
                    "shape": None if m.shape is None else list(m.shape), "dtype": m.dtype,
                    "source_shape": list(m.source_shape), "source_dtype": m.source_dtype, "via": m.via}
        return {"path": self.path, "format": self.format, "assigned": self.assigned,
                "restored": [m2d(m) for m in self.restored], "missing": list(self.missing),
                "unused": list(self.unused), "excluded": list(self.excluded),
                "mismatched": [m2d(m) for m in self.mismatched], "problems": list(self.problems),
                "suggestions": [list(x) for x in self.suggestions]}

    def summary(self) -> str:
        mism = "skipped" if self.skip_mismatch else "mismatched"
        return (f"{len(self.restored)} restored ({len(self.renamed)} renamed), {len(self.missing)} "
                f"missing, {len(self.unused)} unused, {len(self.excluded)} excluded, "
                f"{len(self.mismatched)} {mism}")

    def __str__(self) -> str:
        head = "Restore" if self.assigned else "Restore plan"
        lines = [f"{head} from {self.path} ({self.format}): {self.summary()}"]
        rows: list[tuple[str, ...]] = [("status", "target", "checkpoint", "shape", "dtype")]
        for m in self.restored:
            rows.append(("restored", m.target, "=" if m.source == m.target else m.source,
                         format_shape(m.shape), m.dtype))
        for m in self.mismatched:
            status = "skipped" if self.skip_mismatch else "MISMATCH"
            rows.append((status, m.target, m.source,
                         f"{format_shape(m.shape)} vs {format_shape(m.source_shape)}",
                         m.dtype if m.dtype == m.source_dtype else f"{m.dtype} vs {m.source_dtype}"))
        for name, shape, dtype in self.missing_info:
            rows.append(("missing", name, "-", format_shape(shape), dtype))
        for name in self.excluded:
            rows.append(("excluded", name, "-", "", ""))
        for info in self.unused_info:
            rows.append(("unused", "-", info.name, format_shape(info.shape), info.dtype))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        for ckpt, tgt, count in self.suggestions:
            lines.append(f"hint: assignment_map={{{ckpt!r}: {tgt!r}}} would match {count} missing "
                         f"variable{'s' if count != 1 else ''} to unused entries of the same shape")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# ------------------------------------------------------------------- steps
def _unassignable(variable: Any) -> str | None:
    """Why ``variable`` cannot receive a value (None when it can)."""
    if isinstance(variable, (tf.Variable, keras.Variable)):
        return None
    if isinstance(variable, np.ndarray) or tf.is_tensor(variable) or not hasattr(variable, "assign"):
        return f"a {type(variable).__name__} cannot be assigned; restore needs variables"
    return None


def _targets(target: Any, amap: AssignmentMap) -> tuple[list[tuple[str, Any]], dict[int, str]]:
    """Step 1: ``(name, variable)`` pairs of the target, and the checkpoint
    names forced by ``'ckpt': variable`` entries (by ``id`` of the variable)."""
    items = named_variables(target)
    forced: dict[int, str] = {}
    ids = {id(v) for _, v in items}
    for ckpt, var in amap.objects:
        if not hasattr(var, "shape") or not hasattr(var, "dtype"):
            raise TypeError(f"Assignment map value for {ckpt!r} must be a variable or a name. "
                            f"Received: {var!r}")
        forced[id(var)] = ckpt
        if id(var) not in ids:
            items.append((variable_name(var), var))
            ids.add(id(var))
    return items, forced


def _checkpoint_lookup(reader: CheckpointReader, translate: bool
                       ) -> tuple[dict[str, tuple[VariableInfo, str | None]], dict[str, str]]:
    """Step 3: lookup name -> (entry, how), and the legacy renames used."""
    index: dict[str, tuple[VariableInfo, str | None]] = {
        info.name: (info, None) for info in reader.variables.values()}
    legacy = _translate_legacy(list(reader.variables)) if translate else {}
    for old, new in legacy.items():
        index.setdefault(new, (reader.variables[old], "legacy"))
    aliases: dict[str, list[VariableInfo]] = {}
    for info in reader.variables.values():
        if info.alias:
            aliases.setdefault(info.alias, []).append(info)
    for alias, infos in aliases.items():
        if len(infos) == 1:
            index.setdefault(alias, (infos[0], "alias"))
    return index, legacy


def _keras_index_names(items: list[tuple[str, Any]], target: Any) -> dict[str, str]:
    """Target name -> ``<owner path>/<index>``, the form a Keras h5 reader gives."""
    prefix = ""
    if isinstance(target, keras.Model) and items and all(
            n.startswith(target.name + "/") for n, _ in items):
        prefix = target.name + "/"
    counters: dict[str, int] = {}
    out = {}
    for name, _ in items:
        short = name[len(prefix):]
        owner = short.rsplit("/", 1)[0] if "/" in short else ""
        idx = counters.get(owner, 0)
        counters[owner] = idx + 1
        out[name] = f"{owner}/{idx}" if owner else str(idx)
    return out


def _lookup_names(items: list[tuple[str, Any]], target: Any, reader: CheckpointReader) -> dict[str, str]:
    """Step 4: the name each target is looked up by."""
    if reader.format in ("keras_h5", "keras"):
        return _keras_index_names(items, target)
    return {n: n for n, _ in items}


def _keras_chain_match(lookup: str, reader: CheckpointReader):
    """A Keras h5 entry for ``owner/.../index`` whose object chain is a
    subsequence of the owner path (the file omits pure name scopes such as
    MultiRNNCell's ``cell_0``), with the same last object and index; unique."""
    parts = lookup.split("/")
    owner, idx = parts[:-1], parts[-1]
    found = None
    for info in reader.variables.values():
        c = info.name.split("/")
        if c[-1] != idx or not owner or len(c) < 2 or c[-2] != owner[-1]:
            continue
        it = iter(owner)
        if all(x in it for x in c[:-1]):
            if found is not None:
                return None
            found = info
    return (found, "keras_index") if found is not None else None


@dataclass
class _Matching:
    """What step 5 found (mutable while the plan is being built)."""

    restored: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)
    missing_info: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    used: set = field(default_factory=set)


def _match(items: list[tuple[str, Any]], selected: list[str], lookup: dict[str, str],
           amap: AssignmentMap, forced: dict[int, str],
           index: dict[str, tuple[VariableInfo, str | None]], reader: CheckpointReader,
           skip_mismatch: bool, check_assignable: bool) -> _Matching:
    """Step 5: for each target, the checkpoint entry it loads, checked."""
    out = _Matching()
    sel = set(selected)
    keras_index = reader.format in ("keras_h5", "keras")
    for name, var in items:
        if id(var) in forced:
            src, via = forced[id(var)], f"{forced[id(var)]} -> <variable>"
        else:
            src, via = amap.source(lookup[name])
        hit = index.get(src)
        if hit is None and keras_index:
            hit = _keras_chain_match(src, reader)
        if name not in sel:
            if hit is not None:
                out.used.add(hit[0].name)
            continue
        if not (hasattr(var, "shape") and hasattr(var, "dtype")):
            out.problems.append(f"{name}: a {type(var).__name__} is not a variable")
            continue
        shape, dtype = _var_shape(var), dtype_name(var.dtype)
        if hit is None:
            out.missing_info.append((name, shape, dtype))
            if via is not None:
                out.problems.append(f"Tensor {src} (for {name}, mapped by {via}) is not found in "
                                    f"{reader.path} checkpoint")
            continue
        info, how = hit
        out.used.add(info.name)
        m = Match(name, info.name, shape, dtype, tuple(info.shape), info.dtype,
                  via or how or ("keras_index" if keras_index else None))
        if not m.ok:
            out.mismatched.append(m)
            if not skip_mismatch:
                out.problems.append(_mismatch_text(m))
            continue
        why = _unassignable(var) if check_assignable else None
        if why is not None:
            out.problems.append(f"{name}: {why}")
        out.restored.append(m)
        out.assignments.append((var, m))
    return out


def _var_shape(v: Any) -> tuple | None:
    shape = static_shape(v)
    return None if shape is None else tuple(shape)


def _mismatch_text(m: Match) -> str:
    what = []
    if not _compatible(m.shape, m.source_shape):
        what.append(f"shape {format_shape(m.shape)} vs checkpoint {format_shape(m.source_shape)}")
    if m.dtype != m.source_dtype:
        what.append(f"dtype {m.dtype} vs checkpoint {m.source_dtype}")
    return f"{m.target} <- {m.source}: " + ", ".join(what) + " (pass skip_mismatch=True to skip it)"


def _conflicts(items: list[tuple[str, Any]], assignments: list) -> list[str]:
    """Step 6a: one variable (under several target names) fed different tensors."""
    sources: dict[int, set[str]] = {}
    for var, m in assignments:
        sources.setdefault(id(var), set()).add(m.source)
    problems = []
    for vid, srcs in sources.items():
        if len(srcs) > 1:
            tnames = [n for n, v in items if id(v) == vid]
            problems.append(f"one variable (a tie: {', '.join(tnames)}) would receive different "
                            f"checkpoint tensors: {', '.join(sorted(srcs))}")
    return problems


def _unused(reader: CheckpointReader, used: set, exclude: Sequence[str] | None,
            legacy: dict[str, str]) -> list[VariableInfo]:
    """Step 6b: entries no target uses (those an exclude pattern names are not reported)."""
    patterns = list(exclude or [])
    out = []
    for info in reader.variables.values():
        if info.name in used:
            continue
        if patterns and any(re.match(p, n) for p in patterns
                            for n in (info.name, info.alias, legacy.get(info.name)) if n):
            continue
        out.append(info)
    return out


def _suggest(missing_info: list, unused_info: list) -> list:
    """Step 6c: scope renames that would pair missing targets with unused
    entries (same shape, longest common name suffix of at least two parts, unique)."""
    unused = [(i.name.split("/"), i) for i in unused_info]
    counts: dict[tuple[str, str], int] = {}
    for name, shape, _ in missing_info:
        t = name.split("/")
        best, best_len, tie = None, 1, False
        for c, info in unused:
            if shape is None or not _compatible(shape, tuple(info.shape)):
                continue
            k = 0
            while k < min(len(t), len(c)) and t[-1 - k] == c[-1 - k]:
                k += 1
            if k > best_len:
                best, best_len, tie = c, k, False
            elif k == best_len and best is not None:
                tie = True
        if best is None or tie or best_len == len(t) == len(best):
            continue
        keep = max(best_len - 1, 1) if best_len == len(t) or best_len == len(best) else best_len
        # scopes: everything above the shared suffix, plus its first shared part
        t_scope = "/".join(t[: len(t) - keep]) + "/"
        c_scope = "/".join(best[: len(best) - keep]) + "/"
        if t_scope == c_scope:
            continue
        counts[(c_scope, t_scope)] = counts.get((c_scope, t_scope), 0) + 1
    return sorted(((c, t, n) for (c, t), n in counts.items()), key=lambda x: -x[2])


def _verdicts(n_items: int, selected: list, reader: CheckpointReader, found: _Matching,
              unused: list, skip_mismatch: bool, strict: bool) -> list[str]:
    """Step 6d: problems of the plan as a whole."""
    problems = []
    missing = [n for n, _, _ in found.missing_info]
    if not n_items:
        problems.append("the target has no variables to restore")
    elif not found.restored and found.mismatched and skip_mismatch:
        problems.append(
            f"nothing to restore: all {len(found.mismatched)} matched variables were skipped "
            "for shape/dtype mismatches")
    elif not found.restored and not found.mismatched:
        sample_t = ", ".join(selected[:3]) or "(none selected)"
        sample_c = ", ".join(list(reader.variables)[:3]) or "(empty)"
        problems.append(
            f"nothing to restore: none of the {len(selected)} selected target variables "
            f"({sample_t}{', ...' if len(selected) > 3 else ''}) matches a checkpoint entry "
            f"({sample_c}{', ...' if len(reader.variables) > 3 else ''}); check the names, "
            "include/exclude, or pass an assignment_map")
    if strict:
        if missing:
            problems.append("strict: target variables missing from the checkpoint: " + ", ".join(missing))
        if unused:
            problems.append("strict: checkpoint entries left unused: "
                            + ", ".join(i.name for i in unused))
    return problems


def build_plan(target: Any, reader: CheckpointReader, include: Sequence[str] | None = None,
               exclude: Sequence[str] | None = None, assignment_map: Any = None,
               skip_mismatch: bool = False, strict: bool = False,
               translate_legacy_names: bool = False, check_assignable: bool = True) -> RestorePlan:
    """The plan for restoring ``reader``'s checkpoint into ``target`` (see :func:`plan`).

    ``check_assignable=False`` plans against stand-ins (the CLI's layout of
    another checkpoint) that are not variables.
    """
    amap = AssignmentMap(assignment_map)
    items, forced = _targets(target, amap)
    names = [n for n, _ in items]
    selected, excluded = select_names(names, include, exclude)
    index, legacy = _checkpoint_lookup(reader, translate_legacy_names)
    lookup = _lookup_names(items, target, reader)
    problems = list(amap.conflicts)
    if amap:
        considered = set(selected) | set(excluded)
        problems += amap.check_targets([lookup[n] for n in names if n in considered])
    found = _match(items, selected, lookup, amap, forced, index, reader, skip_mismatch,
                   check_assignable)
    problems += found.problems + _conflicts(items, found.assignments)
    unused = _unused(reader, found.used, exclude, legacy)
    problems += _verdicts(len(items), selected, reader, found, unused, skip_mismatch, strict)
    return RestorePlan(
        path=reader.path, format=reader.format, restored=tuple(found.restored),
        missing=tuple(n for n, _, _ in found.missing_info), unused=tuple(i.name for i in unused),
        excluded=tuple(excluded), mismatched=tuple(found.mismatched), problems=tuple(problems),
        suggestions=tuple(_suggest(found.missing_info, unused)),
        skip_mismatch=bool(skip_mismatch), strict=bool(strict),
        missing_info=tuple(found.missing_info), unused_info=tuple(unused),
        assignments=tuple(found.assignments))


def plan(target: Any, path: str | os.PathLike, include: Sequence[str] | None = None,
         exclude: Sequence[str] | None = None, assignment_map: Any = None,
         skip_mismatch: bool = False, strict: bool = False,
         translate_legacy_names: bool = False, raise_on_problems: bool = False) -> RestorePlan:
    """Dry run of :func:`restore`: the :class:`RestorePlan`, nothing assigned.

    With ``raise_on_problems=True`` a plan with problems raises
    :class:`~tfshare.errors.RestorePlanError`; by default it is returned, and
    ``plan.problems`` lists them.
    """
    with open_checkpoint(path) as reader:
        result = build_plan(target, reader, include, exclude, assignment_map, skip_mismatch,
                            strict, translate_legacy_names)
    if raise_on_problems and result.problems:
        raise plan_error(result)
    return result


def executed(result: RestorePlan) -> RestorePlan:
    """The plan marked as assigned (what :func:`restore` returns)."""
    return dataclasses.replace(result, assigned=True)


def plan_error(result: RestorePlan) -> RestorePlanError:
    msg = (f"Cannot restore from {result.path}: {len(result.problems)} problem(s); no variable "
           "was changed.\n" + "\n".join(f"  - {p}" for p in result.problems))
    return RestorePlanError(msg, list(result.problems), result)
