"""tfshare.compat.v1.contrib."""
