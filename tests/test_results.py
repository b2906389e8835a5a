"""The committed results (``results/``): complete for the book's profile, none stale, and a
GPU-computed paper-profile result reproduced here at paper settings."""

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import pytest

from molap import pipeline as P
from molap import store
from molap.methods.base import initial_network, stack
from molap.run import reproduce
from molap.streams import Stream, stream
from molap.training import pretrain_folds

PAPER = P.get_profile("paper")
PREFIX_STEPS = 80
"""Pre-training steps recomputed here: the first block of module 1's phase at paper settings."""
LOSS_RTOL = 0.02  #: per-step loss, relative; measured at most 0.35% between the H100 and the 2-core CPU


def test_committed_results_are_complete_and_none_is_stale(committed_only):
    """One lookup of every item of the committed profiles: standard (the book's) and quick are
    complete, and every committed entry is asked for by a current configuration of quick, standard
    or paper."""
    audit = reproduce.audit(("quick", "standard", "paper"))
    for profile in ("standard", "quick"):
        assert audit.missing[profile] == [], "\n".join(audit.missing[profile][:5])
    assert audit.orphans == [], f"{len(audit.orphans)} committed entries match no current configuration: {audit.orphans[:3]}"


def test_read_only_mode_refuses_to_compute(committed_only):
    with store.read_only(), pytest.raises(store.MissingResult, match="run `molap reproduce`"):
        P.trained(PAPER, "molap", 0, lr=0.123)


def test_the_read_only_environment_variable_refuses_to_compute(committed_only, monkeypatch):
    """MOLAP_READ_ONLY=1 (the book's execution in ./dev.sh test) makes a miss an error, not hours of work."""
    monkeypatch.setenv("MOLAP_READ_ONLY", "1")
    with pytest.raises(store.MissingResult, match="run `molap reproduce`"):
        P.trained(PAPER, "molap", 0, lr=0.123)
    monkeypatch.setenv("MOLAP_READ_ONLY", "0")  # 0 or empty: computing is allowed again
    assert not store.cache._READ_ONLY["on"]


def test_a_gpu_result_recomputes_here_at_paper_settings(committed_only):
    """MoLaP's pre-training, seed 0, at paper settings (batch 200, lr 3e-3), committed from the GPU
    run: its first PREFIX_STEPS steps recomputed on this machine give the same per-step losses,
    from the same initial network and the same batches."""
    with store.read_only():
        committed = P.modules(PAPER, "molap", 0)
    cfg = PAPER.pretrain
    prefix = replace(cfg, schedule=replace(cfg.schedule, n_blocks=1, block_steps=PREFIX_STEPS))
    assert PREFIX_STEPS <= cfg.schedule.block_steps  # the prefix runs at the full run's learning rate
    r = pretrain_folds(stack([P.primitives(PAPER, "cca")]), None, stack([initial_network(PAPER, 0)]),
                       PAPER.network.layout, prefix, key=jnp.stack([stream(0, Stream.PRETRAIN)]), progress=False,
                       n_phases=1)
    ours, theirs = np.asarray(r.losses[0, 0]), np.asarray(committed.pretrain.losses[0, :PREFIX_STEPS])
    np.testing.assert_allclose(ours, theirs, rtol=LOSS_RTOL)
    assert ours[-20:].mean() < 0.5 * ours[:20].mean()  # the prefix learns: the comparison is not of constants
    # the weights that pre-training never touches: ours bit for bit; the GPU's to its sampler's last bits
    untouched = PAPER.network.layout.intra() == 0
    init = np.asarray(initial_network(PAPER, 0).w_rec)
    assert np.array_equal(np.asarray(r.w_rec[0])[untouched], init[untouched])
    np.testing.assert_allclose(np.asarray(committed.w_rec)[untouched], init[untouched], rtol=1e-5, atol=1e-6)


def test_a_committed_result_loads_typed_from_the_module_its_file_names():
    """Loading never depends on an import done elsewhere: the file names each class's module, and
    classes whose module moved since are found at their new place (``molap.store.format.MOVED``)."""
    r = store.load(sorted(store.results_dir().glob("trained-*.npz"))[0])
    assert type(r).__name__ == "TrainedRun" and type(next(iter(r.test.values()))).__name__ == "Scores"
    assert type(r.params).__name__ in ("FrozenParams", "RNNParams")


def test_check_looks_up_every_seed_of_an_item_after_one_is_missing():
    """Otherwise the committed seeds after a missing one would look like orphans."""
    calls = []

    def miss():
        calls.append("miss")
        raise store.MissingResult("seed 0 missing")

    def found():
        calls.append("found")
        return 1

    with pytest.raises(store.MissingResult, match="seed 0 missing"):
        reproduce.each([miss, found, found])
    assert calls == ["miss", "found", "found"]
    assert reproduce.each([found, found]) == [1, 1]
