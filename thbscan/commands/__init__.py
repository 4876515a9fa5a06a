"""Implementations of the ``thbscan`` subcommands (one module per group)."""
