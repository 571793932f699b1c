"""Proof that history is intact: replay every chain, compare against an anchor."""

# From how many history entries (the span of their ids) `verify` splits the work over two
# processes: below it, starting a Python process costs more than the half it saves. Here,
# not in verify.py, so that the service names it without loading verify on every command.
SPLIT_VERIFY_FROM = 200_000
