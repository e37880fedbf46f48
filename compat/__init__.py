"""tfshare.compat: drop-in namespaces for TF1 programs."""
