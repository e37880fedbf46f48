"""Checkpoint utilities: read, select, plan, restore, write and freeze by name.

Knows names and variables, not cells. A *target* is a built Keras model or
layer (names = weight paths), a list or dict of variables, or a
``tfshare.VariableStore``. Sources: TF1 name-based checkpoints, TF2 object
checkpoints, Keras 3 ``.weights.h5`` / ``.keras`` files.

    report = tfshare.restore(model, "old_ckpt/", exclude=["head"],
                             assignment_map={"bidirectional_rnn/fw/": "encoder/fw/"})
    print(report)                      # the plan that ran, as a table
    tfshare.freeze(model, exclude=["head"])
    tfshare.save(model, "new_ckpt/model", global_step=1)
"""
from tfshare.checkpoint.readers import (VariableInfo, CheckpointReader, open_checkpoint,
                                        list_variables, load_variable)
from tfshare.checkpoint.select import variables_to_restore, named_variables
from tfshare.checkpoint.names import AssignmentMap, translate_legacy_names, translate_legacy_name
from tfshare.checkpoint.plan import Match, RestorePlan, plan
from tfshare.checkpoint.restore import restore
from tfshare.checkpoint.writer import save, write_checkpoint
from tfshare.checkpoint.freeze import freeze

__all__ = [
    "VariableInfo", "CheckpointReader", "open_checkpoint", "list_variables", "load_variable",
    "variables_to_restore", "named_variables",
    "AssignmentMap", "translate_legacy_names", "translate_legacy_name",
    "Match", "RestorePlan", "plan", "restore",
    "save", "write_checkpoint", "freeze",
]
