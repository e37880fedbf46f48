"""Helpers shared by the ``contrib.layers`` functions: the model-variable
getter, per-variable collections and named outputs (TF1 ``layers/utils``)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

import tensorflow as _tf

_v1 = _tf.compat.v1
_GK = _v1.GraphKeys


def model_variable_getter(rename: Optional[Dict[str, str]] = None) -> Callable:
    """A ``custom_getter`` that puts each variable also into ``MODEL_VARIABLES``
    and renames its last name component by ``rename`` (``{"kernel": "weights"}``)."""

    def custom_getter(getter: Callable, name: str, *args: Any, **kwargs: Any) -> Any:
        parts = name.split("/")
        if rename and parts[-1] in rename:
            parts[-1] = rename[parts[-1]]
            name = "/".join(parts)
        collections = list(kwargs.get("collections") or [])
        kwargs["collections"] = list(dict.fromkeys(
            collections + [_GK.GLOBAL_VARIABLES, _GK.MODEL_VARIABLES]))
        return getter(name, *args, **kwargs)

    return custom_getter


def variable_collections(variables_collections: Any, name: str) -> Optional[Sequence[str]]:
    """The collections for variable ``name``: a dict's entry, else the value itself."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name)
    return variables_collections


def add_variable_to_collections(variable: Any, variables_collections: Any, name: str) -> None:
    """Put ``variable`` into its extra collections (graph mode; once each)."""
    if variable is None or _v1.executing_eagerly_outside_functions():
        return
    for collection in variable_collections(variables_collections, name) or []:
        if variable not in _v1.get_collection(collection):
            _v1.add_to_collection(collection, variable)


def collect_named_outputs(collections: Any, alias: str, outputs: Any) -> Any:
    """Add ``outputs`` to ``collections`` (graph mode), appending ``alias``
    (without a trailing ``/``) to ``outputs.aliases``; returns ``outputs``."""
    if collections and not _v1.executing_eagerly_outside_functions():
        alias = alias[:-1] if alias.endswith("/") else alias
        if hasattr(outputs, "aliases"):
            outputs.aliases.append(alias)
        else:
            outputs.aliases = [alias]
        _v1.add_to_collections(collections, outputs)
    return outputs
