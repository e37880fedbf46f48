"""tfshare.compat.v1.layers."""
