"""tfshare.compat.v1.keras."""
