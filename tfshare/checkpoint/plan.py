"""The restore plan: what a restore will do, checked before anything is assigned.

``plan(target, path, ...)`` matches the target's variable names with the
checkpoint's (after ``include``/``exclude``, the assignment map and, when
asked, the pre-1.2 name translation), checks shapes and dtypes, and returns a
:class:`RestorePlan`. ``str(plan)`` is a readable table; ``plan.as_dict()``
is the same as plain data.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from tfshare.checkpoint.names import AssignmentMap
from tfshare.checkpoint.names import translate_legacy_names as _translate_legacy
from tfshare.checkpoint.readers import CheckpointReader, VariableInfo, _dtype_name, open_checkpoint
from tfshare.checkpoint.select import named_variables, select_names, variable_name
from tfshare.errors import RestorePlanError

__all__ = ["Match", "RestorePlan", "plan"]


@dataclass(frozen=True)
class Match:
    """One target variable and the checkpoint entry it takes its value from.

    ``via`` says how the names were matched: ``None`` (same name), an
    assignment-map entry ``"old/ -> new/"``, ``"legacy"`` (pre-1.2 name
    translation), ``"alias"`` (a TF2 checkpoint's saved variable name) or
    ``"keras_index"`` (a Keras ``.weights.h5`` index).
    """

    target: str
    source: str
    shape: tuple
    dtype: str
    source_shape: tuple
    source_dtype: str
    via: str | None = None

    @property
    def ok(self) -> bool:
        return self.shape == self.source_shape and self.dtype == self.source_dtype


@dataclass
class RestorePlan:
    """What a restore does. Fields:

    * ``restored``: :class:`Match` es that will be assigned;
    * ``missing``: selected target names with no checkpoint entry;
    * ``unused``: checkpoint entries no target (selected or excluded) uses;
    * ``excluded``: target names removed by ``include``/``exclude``;
    * ``mismatched``: matches whose shape or dtype differ (skipped when
      ``skip_mismatch``, else problems);
    * ``problems``: every reason the plan cannot run (empty when ``ok``).
    """

    path: str
    format: str
    restored: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unused: list = field(default_factory=list)
    excluded: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    skip_mismatch: bool = False
    strict: bool = False
    assigned: bool = False
    _assignments: list = field(default_factory=list, repr=False)  # (variable, Match)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def renamed(self) -> list:
        """Restored matches whose checkpoint name differs from the target name."""
        return [m for m in self.restored if m.source != m.target]

    @property
    def skipped(self) -> list:
        """Mismatches left out because of ``skip_mismatch=True``."""
        return list(self.mismatched) if self.skip_mismatch else []

    def as_dict(self) -> dict:
        """The plan as plain data (lists of dicts and strings)."""
        def m2d(m: Match) -> dict:
            return {"target": m.target, "source": m.source, "shape": list(m.shape), "dtype": m.dtype,
                    "source_shape": list(m.source_shape), "source_dtype": m.source_dtype, "via": m.via}
        return {"path": self.path, "format": self.format, "assigned": self.assigned,
                "restored": [m2d(m) for m in self.restored], "missing": list(self.missing),
                "unused": list(self.unused), "excluded": list(self.excluded),
                "mismatched": [m2d(m) for m in self.mismatched], "problems": list(self.problems),
                "suggestions": [list(x) for x in self.suggestions]}

    def summary(self) -> str:
        n = lambda xs: len(xs)  # noqa: E731
        mism = "skipped" if self.skip_mismatch else "mismatched"
        return (f"{n(self.restored)} restored ({n(self.renamed)} renamed), {n(self.missing)} missing, "
                f"{n(self.unused)} unused, {n(self.excluded)} excluded, {n(self.mismatched)} {mism}")

    def __str__(self) -> str:
        head = "Restore" if self.assigned else "Restore plan"
        lines = [f"{head} from {self.path} ({self.format}): {self.summary()}"]
        rows: list[tuple[str, ...]] = [("status", "target", "checkpoint", "shape", "dtype")]
        for m in self.restored:
            rows.append(("restored", m.target, "=" if m.source == m.target else m.source,
                         _shape(m.shape), m.dtype))
        for m in self.mismatched:
            status = "skipped" if self.skip_mismatch else "MISMATCH"
            rows.append((status, m.target, m.source, f"{_shape(m.shape)} vs {_shape(m.source_shape)}",
                         m.dtype if m.dtype == m.source_dtype else f"{m.dtype} vs {m.source_dtype}"))
        for name, shape, dtype in self.missing_info:
            rows.append(("missing", name, "-", _shape(shape), dtype))
        for name in self.excluded:
            rows.append(("excluded", name, "-", "", ""))
        for info in self.unused_info:
            rows.append(("unused", "-", info.name, _shape(info.shape), info.dtype))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        for ckpt, tgt, count in self.suggestions:
            lines.append(f"hint: assignment_map={{{ckpt!r}: {tgt!r}}} would match {count} missing "
                         f"variable{'s' if count != 1 else ''} to unused entries of the same shape")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    #: Assignment-map entries that would match missing variables to unused
    #: entries of the same shape and name suffix: ``[(ckpt scope, target scope, count)]``.
    suggestions: list = field(default_factory=list)
    # Filled by plan(): shapes for the table.
    missing_info: list = field(default_factory=list, repr=False)
    unused_info: list = field(default_factory=list, repr=False)


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _var_shape(v: Any) -> tuple:
    return tuple(int(d) if d is not None else -1 for d in v.shape)


def _keras_index_names(items: list[tuple[str, Any]], target: Any) -> dict[str, str]:
    """Target name -> ``<owner path>/<index>``, the form a Keras h5 reader gives."""
    import keras

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


def _suggest(result: RestorePlan) -> list:
    """Scope renames that would pair missing targets with unused entries
    (same shape, longest common name suffix of at least two parts, unique)."""
    unused = [(i.name.split("/"), i) for i in result.unused_info]
    counts: dict[tuple[str, str], int] = {}
    for name, shape, _ in result.missing_info:
        t = name.split("/")
        best, best_len, tie = None, 1, False
        for c, info in unused:
            if tuple(info.shape) != tuple(shape):
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


def build_plan(target: Any, reader: CheckpointReader, include: Sequence[str] | None = None,
               exclude: Sequence[str] | None = None, assignment_map: Any = None,
               skip_mismatch: bool = False, strict: bool = False,
               translate_legacy_names: bool = False) -> RestorePlan:
    """The plan for restoring ``reader``'s checkpoint into ``target`` (see :func:`plan`)."""
    amap = AssignmentMap(assignment_map)
    items = named_variables(target)
    result = RestorePlan(path=reader.path, format=reader.format, skip_mismatch=bool(skip_mismatch),
                         strict=bool(strict))
    forced: dict[int, str] = {}  # id(variable) -> checkpoint name (from `'old/a': var` entries)
    ids = {id(v) for _, v in items}
    for ckpt, var in amap.objects:
        if not hasattr(var, "assign"):
            raise TypeError(f"Assignment map value for {ckpt!r} must be a variable or a name. "
                            f"Received: {var!r}")
        forced[id(var)] = ckpt
        if id(var) not in ids:
            items.append((variable_name(var), var))
            ids.add(id(var))
    if not items:
        result.problems.append("the target has no variables to restore")

    names = [n for n, _ in items]
    selected, excluded = select_names(names, include, exclude)
    result.excluded = excluded

    # Checkpoint side: lookup name -> (info, via).
    index: dict[str, tuple[VariableInfo, str | None]] = {}
    for info in reader.variables.values():
        index[info.name] = (info, None)
    legacy = _translate_legacy(list(reader.variables)) if translate_legacy_names else {}
    if legacy:
        for old, new in legacy.items():
            if new not in index:
                index[new] = (reader.variables[old], "legacy")
    aliases: dict[str, list[VariableInfo]] = {}
    for info in reader.variables.values():
        if info.alias:
            aliases.setdefault(info.alias, []).append(info)
    for alias, infos in aliases.items():
        if alias not in index and len(infos) == 1:
            index[alias] = (infos[0], "alias")

    lookup = {n: n for n in names}
    keras_index = reader.format in ("keras_h5", "keras")
    if keras_index:
        lookup = _keras_index_names(items, target)

    if amap:
        considered = set(selected) | set(excluded)
        result.problems += amap.check_targets([lookup[n] for n in names if n in considered])

    used: set[str] = set()
    sources_by_var: dict[int, set[str]] = {}
    sel = set(selected)
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
                used.add(hit[0].name)
            continue
        shape, dtype = _var_shape(var), _dtype_name(var.dtype)
        if hit is None:
            result.missing.append(name)
            result.missing_info.append((name, shape, dtype))
            if via is not None:
                result.problems.append(
                    f"Tensor {src} (for {name}, mapped by {via}) is not found in {reader.path} checkpoint")
            continue
        info, how = hit
        used.add(info.name)
        m = Match(name, info.name, shape, dtype, tuple(info.shape), info.dtype,
                  via or how or ("keras_index" if keras_index else None))
        if not m.ok:
            result.mismatched.append(m)
            if not skip_mismatch:
                what = []
                if m.shape != m.source_shape:
                    what.append(f"shape {_shape(m.shape)} vs checkpoint {_shape(m.source_shape)}")
                if m.dtype != m.source_dtype:
                    what.append(f"dtype {m.dtype} vs checkpoint {m.source_dtype}")
                result.problems.append(f"{name} <- {info.name}: " + ", ".join(what)
                                       + " (pass skip_mismatch=True to skip it)")
            continue
        result.restored.append(m)
        result._assignments.append((var, m))
        sources_by_var.setdefault(id(var), set()).add(info.name)

    for vid, srcs in sources_by_var.items():
        if len(srcs) > 1:
            tnames = [n for n, v in items if id(v) == vid]
            result.problems.append(
                f"one variable (a tie: {', '.join(tnames)}) would receive different checkpoint "
                f"tensors: {', '.join(sorted(srcs))}")

    ex_patterns = list(exclude or [])
    for info in reader.variables.values():
        if info.name in used:
            continue
        if ex_patterns and any(re.match(p, n) for p in ex_patterns
                               for n in (info.name, info.alias, legacy.get(info.name)) if n):
            continue
        result.unused.append(info.name)
        result.unused_info.append(info)

    result.suggestions = _suggest(result)
    if items and not result.restored and result.mismatched and skip_mismatch:
        result.problems.append(
            f"nothing to restore: all {len(result.mismatched)} matched variables were skipped "
            "for shape/dtype mismatches")
    elif items and not result.restored and not result.mismatched:
        sample_t = ", ".join(selected[:3]) or "(none selected)"
        sample_c = ", ".join(list(reader.variables)[:3]) or "(empty)"
        result.problems.append(
            f"nothing to restore: none of the {len(selected)} selected target variables "
            f"({sample_t}{', ...' if len(selected) > 3 else ''}) matches a checkpoint entry "
            f"({sample_c}{', ...' if len(reader.variables) > 3 else ''}); check the names, "
            "include/exclude, or pass an assignment_map")
    if strict:
        if result.missing:
            result.problems.append("strict: target variables missing from the checkpoint: "
                                   + ", ".join(result.missing))
        if result.unused:
            result.problems.append("strict: checkpoint entries left unused: " + ", ".join(result.unused))
    return result


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


def plan_error(result: RestorePlan) -> RestorePlanError:
    msg = (f"Cannot restore from {result.path}: {len(result.problems)} problem(s); no variable "
           "was changed.\n" + "\n".join(f"  - {p}" for p in result.problems))
    return RestorePlanError(msg, result.problems, result)
