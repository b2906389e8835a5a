"""The benchmark appendix's reader: the FLOP model, the reproduce-log parser, the committed JSON."""

import json
import math

from molap.views import benchmarks as B

LOG = """# a note
profile quick, 1 local cpu device(s): cpu:0
[primitives 1/2] cca: 24.4 s
[primitives 2/2] pca: 0.6 s
training task heads (6 networks):  10%|#         | 1/10 [00:39<05:55, 39.49s/it, decision=41.6%]
[training 1/1] molap, random, pca, seeds 0, 1: 30.0 s
wall 61 s
| stage | items | wall_s |
total: 55.0 s
"""


def test_step_work_by_hand():
    # 5 networks x 9 heads, batch 200 x 110 steps: 990,000 trial-steps; 2 * 100^2 = 20,000 FLOPs each
    assert B.step_work(5, 9, 100, frozen=True) == (990_000, 990_000 * 20_000 * 2)
    # one DNI network of 200 units, all weights trained: backward costs 2 x forward
    assert B.step_work(1, 1, 200, frozen=False) == (22_000, 22_000 * 80_000 * 3)
    assert B.step_work(2, 3, 10, frozen=False, batch=4, time_steps=5) == (120, 120 * 200 * 3)


def test_parse_reproduce_log():
    rec = B.parse_reproduce_log(LOG)
    assert rec["kind"] == "reproduce"
    assert [(i["stage"], i["index"], i["of"], i["item"], i["seconds"]) for i in rec["items"]] == [
        ("primitives", 1, 2, "cca", 24.4), ("primitives", 2, 2, "pca", 0.6),
        ("training", 1, 1, "molap, random, pca, seeds 0, 1", 30.0)]
    assert rec["wall_s"] == [61] and rec["notes"] == ["a note"]
    assert rec["lines"][0].startswith("profile quick") and rec["lines"][-1] == "total: 55.0 s"
    assert len(rec["lines"]) == 4  # profile, progress bar, table header, total


def test_reproduce_lines_from_a_written_log(tmp_path):
    log = tmp_path / "reproduce-x.txt"
    log.write_text(LOG)
    dest = B.write_reproduce_json(log)
    assert dest == tmp_path / "reproduce-x.json" and json.loads(dest.read_text())["log"] == "reproduce-x.txt"
    assert B.reproduce_lines(tmp_path) == [
        "reproduce-x.txt: 3 items, 0.9 min in all: primitives 0.4 min, training 0.5 min"]
    assert B.machines(tmp_path) == {}


def _finite(rows):
    assert rows
    for r in rows:
        assert all(math.isfinite(v) for v in r if isinstance(v, float)), r


def test_committed_results_give_the_rows():
    assert B.machine_lines() and B.speedup_lines() and B.perturb_lines()
    _finite(B.training_rows())
    _finite([r._replace(reference=0.0) if r.reference is None else r for r in B.fit_rows()])
    gpu = B.probe_rows("h100-training-probe")
    _finite(gpu)
    assert all(r.gflops > 0 and r.trialsteps_per_s > 0 for r in gpu)
    assert "networks together" in B.probe_summary(gpu)
    assert B.table(gpu)[0].keys() == {"what", "compile s", "ms/step", "trial-steps/s", "GFLOP/s"}
    lines = B.reproduce_lines()
    assert [line.split(":")[0] for line in lines] == ["reproduce-paper-h100.txt", "reproduce-quick-cpu.txt"]
    assert all("min in all" in line for line in lines)


def test_probe_rows_match_the_flop_model():
    r = B.probe_rows("h100-training-probe")[0]  # nine heads, one net, 3.62 ms/step
    assert r.what == "nine heads, one net" and r.nets == 1 and r.frozen
    trial_steps, flops = B.step_work(1, 9, 100, True)
    assert math.isclose(r.trialsteps_per_s, trial_steps / 3.62e-3)
    assert math.isclose(r.gflops, flops / 3.62e-3 / 1e9)


def test_fused_rows_set_each_step_against_its_floor(tmp_path):
    case = {"floor_chain_ms": 10.0, "gen_ms": 2.0, "before": {"ms": 32.0, "net_ms": 30.0},
            "after": {"ms": 27.0, "net_ms": 25.0}, "paired_speedup_after_over_before": 1.2}
    (tmp_path / "m.json").write_text(json.dumps({"machine": "m", "cpus": 2, "python": "3.11", "date": "d",
                                                 "results": {"fused": {"cases": {"heads9": case}}}}))
    (row,) = B.fused_rows(tmp_path)
    assert row.what.startswith("nine heads") and row.floor_ms == 20.0
    assert (row.before_over_floor, row.after_over_floor, row.speedup) == (1.5, 1.25, 1.2)
    assert B.table([row])[0]["after / floor"] == 1.25
