"""The GPU timing model (molap.run.timing): calibrated on the measured H100 costs, every item modelled."""

import pytest

from molap.cli import main
from molap.profiles import get_profile
from molap.run import reproduce, timing

PAPER = get_profile("paper")


@pytest.fixture(scope="module")
def costs():
    return timing.calibrate()


def test_the_calibration_reproduces_the_probe_and_the_real_run(costs):
    a, b = costs.train_ms["frozen"]
    for nets, ms in ((1, 3.62), (5, 8.15), (15, 19.09)):  # h100-training-probe.txt
        assert abs(a + b * nets - ms) / ms < 0.15
    blocks = timing.block_seconds((timing.RESULTS / "reproduce-paper-h100.txt").read_text())
    assert len(blocks) == 9 and 40 < costs.basis["block_s"] < 60  # blocks 2-10 of the cut run, about 50 s each
    assert 0 < costs.eval_s < 1 and costs.pretrain_s > 0 and costs.forward_s > 0


@pytest.mark.parametrize("profile", ["paper", "standard"])
def test_every_item_but_the_schedule_sweep_is_modelled(profile):
    p = get_profile(profile)
    for item in reproduce.items(p):
        work = timing.item_work(p, item)
        assert (work is None) == (item.stage == "schedule sweep"), item.name
        assert timing.work_of(p, item.stage, item.name) == work


def test_the_model_against_the_measured_items(costs):
    rows = {r["item"]: r for r in timing.residuals(PAPER, costs)}
    assert len(rows) == 4
    pre = [r for r in rows.values() if r["stage"] == "pre-training"][0]
    assert pre["predicted_s"] == pytest.approx(pre["measured_s"])  # the item it is calibrated on
    for r in rows.values():  # the pilots: within a factor of 2 of what the H100 measured
        assert 0.5 < r["measured_s"] / r["predicted_s"] < 2, r


def test_predictions_per_item_stage_and_total(costs):
    missing = [f"{s}: {i}: (missing)" for s, its in reproduce.stages(PAPER) for i, _ in its
               if s in ("training", "generalisation")]
    preds = timing.predict(PAPER, missing, costs)
    assert len(preds) == len(missing) and all(x.seconds > 0 for x in preds)
    free = timing.predict(PAPER, missing, costs, eval_s=0.0)
    assert sum(x.seconds for x in free) < sum(x.seconds for x in preds)
    lines = timing.predicted_lines(PAPER, missing, costs)
    assert lines[-1].startswith("total: ") and f"for {len(missing)} item(s)" in lines[-1]
    assert sum(line.startswith("stage ") for line in lines) == 2


def test_predict_needs_check(capsys):
    assert main(["reproduce", "--profile", "tiny", "--predict"]) == 2
    assert "--predict goes with --check" in capsys.readouterr().err
