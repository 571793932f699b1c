"""Rendering shared by the front ends: what the CLI and the TUI both show the same way."""
