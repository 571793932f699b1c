"""The commands, one module per area; cli/app.py puts them under the root command."""
