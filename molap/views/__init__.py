"""Views of results for the book and the CLI, computed from the cached pipeline
(:mod:`molap.pipeline`); the chapters call these and hold no logic of their own.

One module per chapter, named as its file (``book/01_task_corpus.md`` -> :mod:`~molap.views.task_corpus`,
... ``10_reproduction_report`` -> :mod:`~molap.views.reproduction_report`; the appendix,
``11_benchmarks``, reads :mod:`~molap.views.benchmarks`), and what they share: figures
(:mod:`~molap.views.plots`), Markdown tables (:mod:`~molap.views.tables`), widgets
(:mod:`~molap.views.widgets`) and the chapters' checks (:mod:`~molap.views.checks`).
"""
