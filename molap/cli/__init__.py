"""The ``molap`` command line (:func:`main`): argument types (:mod:`~molap.cli.args`) and one
module per group of commands: the task corpus (:mod:`~molap.cli.data`), the science
(:mod:`~molap.cli.science`) and reproducing a profile (:mod:`~molap.cli.run`)."""

from molap.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
