"""The Textual TUI. Textual is imported only inside this package."""
