"""The results store keeps every row, survives a crash between batches, and merges shards by run id."""

from harness.results import ResultRow, ResultsStore


def _rows(n, engine="wasmtime", outcome="pass"):
    return [ResultRow(suite="spec", file="i32.wast", item=f"line {i}", engine=engine, tier="cranelift",
                      metric="assertion", value=1.0 if outcome == "pass" else 0.0, outcome=outcome,
                      extra={"repro": f"harness spec --line {i}"}) for i in range(n)]


def test_rows_round_trip_with_run_metadata(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("spec", "harness spec", engines={"wasmtime:cranelift": "49"}, suites={"spec-2.0": "abc"})
    assert store.add(run, _rows(3)) == 3
    store.finish_run(run)
    df = store.dataframe()
    assert list(df["item"]) == ["line 0", "line 1", "line 2"]
    assert df["extra"][0]["repro"] == "harness spec --line 0"
    (meta,) = store.runs()
    assert meta["engines"] == {"wasmtime:cranelift": "49"}
    assert meta["machine"]["arch"]
    assert meta["status"] == "finished"


def test_rows_written_before_a_crash_are_kept(tmp_path):
    path = tmp_path / "r.db"
    store = ResultsStore(path)
    run = store.start_run("spec")
    store.add(run, _rows(2))
    # no finish_run, no close: the process "dies" here
    again = ResultsStore(path)
    assert len(again.dataframe()) == 2
    assert again.runs()[0]["status"] == "running"


def test_merge_two_shards(tmp_path):
    a, b = ResultsStore(tmp_path / "a.db"), ResultsStore(tmp_path / "b.db")
    ra = a.start_run("spec")
    a.add(ra, _rows(2, engine="wasmtime"))
    rb = b.start_run("spec")
    b.add(rb, _rows(3, engine="wabt"))
    b.close()
    assert a.merge_from(tmp_path / "b.db") == 3
    assert a.merge_from(tmp_path / "b.db") == 0  # idempotent
    assert sorted(a.dataframe()["engine"].unique()) == ["wabt", "wasmtime"]
