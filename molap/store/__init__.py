"""Results on disk: the file format (:mod:`~molap.store.format`), cache keys
(:mod:`~molap.store.keys`), where results live (:mod:`~molap.store.folders`), the cache
(:mod:`~molap.store.cache`) and training checkpoints (:mod:`~molap.store.checkpoint`).

The store sits below everything that computes: it knows no task, network or method.
"""

from molap.store.cache import (
                               MissingResult,
                               cached,
                               cached_many,
                               entry_lock,
                               lock_path,
                               lookup,
                               lookup_meta,
                               read_only,
                               recording,
)
from molap.store.folders import cache_dir, results_dir
from molap.store.format import load, provenance, save
from molap.store.keys import OMIT_DEFAULT, SCHEMA, config_key, plain

__all__ = ["MissingResult", "OMIT_DEFAULT", "SCHEMA", "cache_dir", "cached", "cached_many", "config_key", "entry_lock",
           "load", "lock_path", "lookup", "lookup_meta", "plain", "provenance", "read_only", "recording", "results_dir",
           "save"]
