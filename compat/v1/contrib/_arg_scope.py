"""TF1 ``arg_scope`` / ``add_arg_scope`` (``tf.contrib.framework``, ``slim``).

``add_arg_scope(f)`` returns a wrapper of ``f`` that looks up default keyword
arguments in the innermost ``arg_scope``; ``with arg_scope([f, g], k=v):``
sets ``k=v`` for ``f`` and ``g`` (merged with enclosing scopes, explicit
arguments win). Scopes are keyed by ``str(f)`` of the undecorated function,
so the wrapper and the original share one key. As in TF1 the stack is
process-wide (not per thread).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any, Callable, Dict, Iterator, List, Tuple

__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope",
           "arg_scoped_arguments", "arg_scope_func_key"]

_STACK: List[Dict[str, Dict[str, Any]]] = [{}]
_DECORATED: Dict[str, Tuple[str, ...]] = {}


def current_arg_scope() -> Dict[str, Dict[str, Any]]:
    """The innermost scope: ``{function key: {argument: default}}``."""
    if not _STACK:
        _STACK.append({})
    return _STACK[-1]


def arg_scope_func_key(op: Any) -> str:
    """The key of ``op`` in a scope (``str`` of the undecorated function)."""
    return getattr(op, "_key_op", str(op))


def _keyword_names(func: Callable) -> Tuple[str, ...]:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in params if p.default is not inspect.Parameter.empty
                 and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def has_arg_scope(func: Any) -> bool:
    """True if ``func`` was decorated with :func:`add_arg_scope`."""
    return arg_scope_func_key(func) in _DECORATED


def arg_scoped_arguments(func: Any) -> Tuple[str, ...]:
    """The keyword arguments an ``arg_scope`` can set for ``func``."""
    assert has_arg_scope(func)
    return _DECORATED[arg_scope_func_key(func)]


@contextlib.contextmanager
def arg_scope(list_ops_or_scope: Any, **kwargs: Any) -> Iterator[Dict[str, Dict[str, Any]]]:
    """Set default keyword arguments for the decorated functions in a list.

    ``list_ops_or_scope``: a list/tuple of functions decorated with
    :func:`add_arg_scope`, or a scope dict yielded by an earlier ``arg_scope``
    (re-entered as it was; ``kwargs`` must then be empty). Yields the new scope.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a"
                             "dictionary, kwargs must be empty.")
        scope = dict(list_ops_or_scope)
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused "
                            "scope (i.e. dict)")
        scope = dict(current_arg_scope())
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                # TF1 passes the name as a second exception argument (its text shows the tuple)
                raise ValueError("%s is not decorated with @add_arg_scope",
                                 (getattr(op, "__module__", None), getattr(op, "__name__", op)))
            key = arg_scope_func_key(op)
            scope[key] = {**scope.get(key, {}), **kwargs}
    _STACK.append(scope)
    try:
        yield scope
    finally:
        _STACK.pop()


def add_arg_scope(func: Callable) -> Callable:
    """Decorate ``func`` so that :func:`arg_scope` can set its keyword defaults."""
    key = arg_scope_func_key(func)
    _DECORATED[key] = _keyword_names(func)

    @functools.wraps(func)
    def func_with_args(*args: Any, **kwargs: Any) -> Any:
        defaults = current_arg_scope().get(key)
        if defaults:
            kwargs = {**defaults, **kwargs}
        return func(*args, **kwargs)

    func_with_args._key_op = key  # type: ignore[attr-defined]
    return func_with_args
