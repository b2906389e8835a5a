"""Subcommands that train and evaluate networks (added by later chapters)."""


def add_commands(sub) -> None:
    """Register the science subcommands on the ``molap`` parser."""
