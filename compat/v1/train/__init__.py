"""tfshare.compat.v1.train."""
