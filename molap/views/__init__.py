"""Views of results for the book and the CLI: the tables, summaries and figures of each part of
the paper, computed from the cached pipeline (:mod:`molap.pipeline`). One module per part; the
chapters call these and hold no logic of their own."""
