"""Command line: tfshare inspect | diff | plan | rename."""
