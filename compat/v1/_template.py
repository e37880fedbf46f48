"""``make_template`` on tfshare's variable scopes.

TF's ``make_template`` opens TF's own ``variable_scope``, which tfshare's
``get_variable`` (and therefore tfshare cells and ``tf.layers``) does not see:
names would lose the template's scope and calls would not share. This version
follows TF1's rules with tfshare's scopes: the first call opens
``variable_scope(unique_name_, default_name=name_)`` (uniquified: ``t``,
``t_1``...) and creates the variables; later calls re-enter that scope with
``reuse=True``. ``create_scope_now_=True`` captures the scope at construction.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional

from tfshare.compat.v1 import _api

__all__ = ["make_template", "Template"]


class Template:
    """A function wrapped so that every call shares the variables of the first
    (TF1 ``tf.make_template``)."""

    def __init__(self, name: str, func: Callable, create_scope_now: bool = False,
                 unique_name: Optional[str] = None, custom_getter: Optional[Callable] = None):
        self._func = func
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._first_call = True
        self._variables_created = False
        self._variable_scope = None
        if create_scope_now:
            with _api.variable_scope(unique_name, name, custom_getter=custom_getter) as vs:
                self._variable_scope = vs

    def _call_func(self, args: tuple, kwargs: dict) -> Any:
        if self._variables_created:
            trainable_before = list(_api.trainable_variables())
            result = self._func(*args, **kwargs)
            new = [v for v in _api.trainable_variables() if not any(v is u for u in trainable_before)]
            if new:
                raise ValueError("Trainable variable created when calling a template after the "
                                 "first time, perhaps you used tf.Variable when you meant "
                                 f"tf.get_variable: {new}")
            return result
        self._first_call = False
        try:
            result = self._func(*args, **kwargs)
        except Exception:
            self._first_call = True
            raise
        self._variables_created = True
        return result

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._variable_scope is not None:
            with _api.variable_scope(self._variable_scope, reuse=not self._first_call):
                return self._call_func(args, kwargs)
        with _api.variable_scope(self._unique_name, self._name,
                                 custom_getter=self._custom_getter) as vs:
            self._variable_scope = vs
            return self._call_func(args, kwargs)

    @property
    def name(self) -> str:
        return self._name

    @property
    def func(self) -> Callable:
        return self._func

    @property
    def variable_scope(self) -> Any:
        return self._variable_scope

    @property
    def variable_scope_name(self) -> Optional[str]:
        """The scope name with a trailing ``/`` (``None`` before the first call)."""
        if self._variable_scope is None:
            return None
        name = self._variable_scope.name
        return name if not name or name.endswith("/") else name + "/"

    def _filtered(self, variables: List[Any]) -> List[Any]:
        prefix = self.variable_scope_name
        if prefix is None:
            return []
        return [v for v in variables if v.name.startswith(prefix)]

    @property
    def global_variables(self) -> List[Any]:
        return self._filtered(_api.global_variables())

    variables = global_variables

    @property
    def trainable_variables(self) -> List[Any]:
        return self._filtered(_api.trainable_variables())

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self) -> List[Any]:
        trainable = self.trainable_variables
        return [v for v in self.global_variables if not any(v is t for t in trainable)]

    non_trainable_weights = non_trainable_variables

    @property
    def local_variables(self) -> List[Any]:
        return self._filtered(_api.local_variables())


def make_template(name_: str, func_: Callable, create_scope_now_: bool = False,
                  unique_name_: Optional[str] = None, custom_getter_: Optional[Callable] = None,
                  **kwargs: Any) -> Template:
    """Wrap ``func_`` so that all its calls share variables (TF1 ``tf.make_template``).

    ``kwargs`` are bound to ``func_``. The first call creates the variables in
    ``variable_scope(unique_name_, default_name=name_)``; later calls reuse
    them and raise if they would create new trainable variables.
    """
    if not name_:
        raise ValueError(f"Argument `name_` must be a non-empty string. Received: name_={name_!r}")
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)
