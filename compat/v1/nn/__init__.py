"""tfshare.compat.v1.nn."""
