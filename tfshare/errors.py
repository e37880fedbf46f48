"""Exceptions and the TF1 error texts tfshare reproduces.

The message functions return the exact TF1 (TF >= 1.4) texts, so that code and
tests written against TF1's errors keep working. Every module formats its
errors through these helpers.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "TfshareError",
    "VariableSharingError",
    "CheckpointError",
    "RestorePlanError",
]


class TfshareError(Exception):
    """Base class of tfshare's own exceptions."""


class VariableSharingError(TfshareError, ValueError):
    """A ``get_variable`` call broke TF1's sharing rules (over/under-sharing,
    shape or dtype mismatch). A ``ValueError``, as in TF1."""


class CheckpointError(TfshareError, ValueError):
    """A checkpoint could not be read, or does not hold what was asked."""


class RestorePlanError(CheckpointError):
    """A restore plan has problems; nothing was assigned.

    ``problems`` lists every problem found; ``plan`` is the rejected plan.
    """

    def __init__(self, message: str, problems: list[str] | None = None, plan: Any = None):
        super().__init__(message)
        self.problems = list(problems or [])
        self.plan = plan


def already_exists(name: str) -> str:
    return (
        f"Variable {name} already exists, disallowed. Did you mean to set "
        "reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
    )


def does_not_exist(name: str) -> str:
    return (
        f"Variable {name} does not exist, or was not created with "
        "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
    )


def shape_mismatch(name: str, want: Any, found: Any) -> str:
    return f"Trying to share variable {name}, but specified shape {want} and found shape {found}."


def dtype_mismatch(name: str, want: Any, found: Any) -> str:
    return f"Trying to share variable {name}, but specified dtype {want} and found dtype {found}."


def bad_argument(arg: str, value: Any, expected: str) -> str:
    """``Argument `num_units` must be a positive integer. Received: num_units=0``."""
    return f"Argument `{arg}` must be {expected}. Received: {arg}={value!r}"


# AutoGraph (tf.function) re-raises a user exception with its own type only if
# that type's ``__init__`` is ``Exception.__init__`` (else it becomes a
# ``StagingError``); keep ``VariableSharingError`` catchable as ``ValueError``
# from inside tf.function.
VariableSharingError.__init__ = Exception.__init__  # type: ignore[method-assign]
