"""wasmi's --dir cannot name the guest path, so the driver starts wasmi where the guest names resolve."""

from pathlib import Path

from harness.adapters.base import Invocation
from harness.adapters.cargo_runtimes import wasmi_argv


def test_guest_names_that_are_suffixes_of_the_host_paths_start_wasmi_in_their_base(tmp_path):
    inv = Invocation(tmp_path / "p.wasm", ["x"], {}, [(str(tmp_path / "escape.dir" / "jail"), "escape.dir/jail"),
                                                       (str(tmp_path / "fs.dir"), "fs.dir")])
    argv = wasmi_argv("wasmi", inv)
    assert argv[:3] == ["env", "-C", str(tmp_path.resolve())]
    assert argv[3:8] == ["wasmi", "--dir", "escape.dir/jail", "--dir", "fs.dir"]
    assert argv[-1] == "x"


def test_other_mappings_fall_back_to_host_paths(tmp_path):
    inv = Invocation(Path("p.wasm"), [], {}, [(str(tmp_path / "data"), "/sandbox")])
    argv = wasmi_argv("wasmi", inv)
    assert argv[:3] == ["wasmi", "--dir", str(tmp_path / "data")]
    assert argv[-1] == str(Path("p.wasm").resolve())
