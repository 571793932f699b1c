"""File formats the tracker reads and writes (batch files, exports, seeds)."""
