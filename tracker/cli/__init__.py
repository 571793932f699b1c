"""The command line: `tracker COMMAND`, a few lines over each Tracker method."""
