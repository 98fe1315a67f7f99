"""Runs measured under qemu-user 8+ look native from inside (a made-up ARMv8 /proc/cpuinfo): the host
marks them emulated after the shard, and the history then keeps them in columns of their own."""

import json
import sqlite3

from harness.analysis.history import is_emulated, load_history
from harness.results import ResultRow, ResultsStore
from harness.results.emulation import mark_emulated

QEMU_CPU = {"arch": "aarch64", "cpu": "ARMv8 Processor rev 0 (v8l)"}  # what qemu-aarch64 10 shows the guest


def _store(path, machines):
    with ResultsStore(path) as st:
        for machine in machines:
            run = st.start_run("spec")
            st.add(run, [ResultRow("corpus", "globals.wast", "ours", "assertion", item="0", tier="interp",
                                   value=1.0, outcome="pass", arch=machine["arch"])])
            st.finish_run(run)
    with sqlite3.connect(path) as db:
        for (run_id,), machine in zip(db.execute("SELECT run_id FROM runs ORDER BY started, run_id").fetchall(),
                                      machines, strict=True):
            db.execute("UPDATE runs SET machine=? WHERE run_id=?", (json.dumps(machine), run_id))
    db.close()
    return path


def test_foreign_runs_are_marked_emulated_and_native_or_already_marked_ones_are_left_alone(tmp_path):
    db = _store(tmp_path / "shard.db", [QEMU_CPU, {"arch": "x86_64", "cpu": "AMD EPYC"},
                                        {**QEMU_CPU, "emulated": False}])
    assert not is_emulated(QEMU_CPU)  # the fault: the fingerprint alone says native
    assert len(mark_emulated(db, host_arch="x86_64")) == 1
    with sqlite3.connect(db) as conn:
        machines = [json.loads(m) for (m,) in conn.execute("SELECT machine FROM runs")]
    marked = [m for m in machines if m.get("emulated")]
    assert len(marked) == 1 and marked[0]["host_arch"] == "x86_64" and marked[0]["emulator"]
    assert sum(m.get("emulated") is False for m in machines) == 1  # said so itself: untouched
    groups = {(c.arch, c.emulated) for c in load_history(db).conformance}
    assert groups == {("aarch64", True), ("x86_64", False), ("aarch64", False)}
    assert mark_emulated(db, host_arch="x86_64") == []  # idempotent
