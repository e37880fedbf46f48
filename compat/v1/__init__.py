"""tfshare.compat.v1: a drop-in for tensorflow.compat.v1 (being built)."""
