"""Where a report's figures come from: the runs (command, start and end, status, suite commits or
workload source hashes, repeat and warm-up), the machines that ran them and the engine versions, so a
reader can tell whether two reports compare like with like and rerun what they show."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import ResultsStore

# Fingerprint fields in the order a reader compares machines, with their names.
MACHINE_FIELDS = (("cpu", "CPU"), ("cpu_id", "CPU id"), ("cpu_mhz", "MHz"), ("cores", "cores"),
                  ("memory_gib", "memory GiB"), ("arch", "arch"), ("os", "OS"), ("kernel", "kernel build"),
                  ("governor", "frequency governor"), ("python", "Python"), ("hostname", "host"))


@dataclass
class RunInfo:
    run_id: str
    kind: str
    command: str
    started: float
    finished: float | None
    status: str
    sources: dict[str, str | None]  # suite -> commit, or perf workload -> source sha256
    settings: dict[str, object]  # repeat, warm-up, size... as the run recorded them
    machine: str  # the key of its machine in Provenance.machines
    engines: dict[str, str] = field(default_factory=dict)  # engine -> the version the run recorded


@dataclass
class Provenance:
    runs: list[RunInfo] = field(default_factory=list)
    machines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> (field name, value)
    versions: dict[str, dict[str, str]] = field(default_factory=dict)  # engine -> run kind -> version


SETTINGS = ("repeat", "warmup", "size_mb", "seed", "baseline", "metrics", "suite_dir", "suite_dirs")


def _settings(extra: dict) -> dict[str, object]:
    """The run's settings a reader compares, one per line (a run's suite folders each on their own)."""
    out: dict[str, object] = {}
    for k in SETTINGS:
        value = extra.get(k)
        if isinstance(value, dict):
            out.update({f"{name} folder": folder for name, folder in value.items()})
        elif value is not None:
            out[k] = value
    return out


def provenance(store: ResultsStore, kinds: tuple[str, ...]) -> Provenance:
    """The runs of ``kinds`` (``spec``, ``wasi``, ``perf``) in the store, oldest first."""
    out = Provenance()
    for r in store.runs():
        if r["kind"] not in kinds:
            continue
        m = r.get("machine") or {}
        desc = [(name, str(m[key])) for key, name in MACHINE_FIELDS if m.get(key) not in (None, "")]
        key = m.get("hostname") or "?"
        if out.machines.get(key, desc) != desc:
            key = f"{key} ({r['run_id']})"
        out.machines[key] = desc
        extra = r.get("extra") or {}
        out.runs.append(RunInfo(r["run_id"], r["kind"], r.get("command") or "", r["started"], r.get("finished"),
                                r.get("status") or "", dict(r.get("suites") or {}),
                                _settings(extra), key, dict(r.get("engines") or {})))
        for engine, version in (r.get("engines") or {}).items():
            if version:
                out.versions.setdefault(engine, {})[r["kind"]] = str(version)
    return out
