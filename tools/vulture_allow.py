"""Names the dead-code check (``tools/deadcode.py``) cannot see used; each line says who uses it.
Vulture's whitelist form: each name below is marked as used."""
# ruff: noqa: B018

from vulture.whitelist_utils import Whitelist

used = Whitelist()
used.__getattr__  # molap/__init__.py: public names loaded on first use (``import molap`` starts no JAX)
used.__dir__
used.pretrain_mse  # fields of committed results (Folds): kept so that the stored files load as they are
used.pretrain_var
used.worst_task  # result rows shown by their field names (_asdict): the sweep table, the appendix's tables
used.molap_ms
used.torch_ms
used.molap_over_torch
used.molap_trialsteps_per_s
used.ms_per_step
used.before_ms
used.after_ms
used.reference_is
used.committed_only  # pytest fixtures, used by naming them (tests/conftest.py, tests/test_registry.py)
used.toy
used._quiet
used.shell_channel_class  # traitlets hooks that jupyter_client reads (tools/execute_book.py)
used.iopub_channel_class
used.client_factory
used.kernel_manager_class
used.on_cell_execute
used.cell
