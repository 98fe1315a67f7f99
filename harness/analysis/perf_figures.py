"""Everything the perf report shows, computed from the store in one place: the merged throughput lines,
the startup ladder, compile points, the newest cross-check, the claims with their verdicts, how noisy
the measurements were and where they come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..results.store import ResultsStore
from .claims import Claim, claims
from .perf_table import Line
from .pointer_width import WidthEffect, WidthLine, width_effects, width_lines
from .provenance import Provenance, provenance
from .runs import emulation_run, latest, merged_lines
from .sandbox import sandbox_claim_figure
from .startup import ladder_summary
from .studies import compile_vs_exec


@dataclass
class PerfFigures:
    lines: list[Line]
    rows: pd.DataFrame | None  # the rows of the runs the lines come from (memory, compile)
    run: dict | None  # the newest throughput run
    startup_run: dict | None
    ladder: list[dict]
    compile_points: list[dict]
    crosscheck: pd.DataFrame | None
    claims: list[Claim]
    noise: str | None  # why the run's figures are noisy, when enough of them are to colour every verdict
    provenance: Provenance
    width_lines: list[WidthLine]  # the pointer study's wasm32 vs wasm64 per engine and workload
    width_effects: list[WidthEffect]
    width_cpu_effects: list[WidthEffect]  # the same from CPU time (user+sys), robust to a busy machine


# A run is noisy when at least this share of its lines carry a warning (wide interval, busy machine).
NOISY_SHARE = 0.25


def noise_note(lines: list[Line]) -> str | None:
    """A sentence for the top of the report when the run was noisy, naming how many figures and why."""
    warned = [ln for ln in lines if ln.warning]
    if not lines or len(warned) < max(1, NOISY_SHARE * len(lines)):
        return None
    busy = sum("busy" in ln.warning for ln in warned)
    wide = sum("wide CI" in ln.warning for ln in warned)
    return (f"{len(warned)} of {len(lines)} figures were measured on a busy machine ({busy}) or have a wide "
            f"interval ({wide})")


def perf_figures(store_path: str | Path) -> PerfFigures:
    with ResultsStore(store_path) as store:
        lines, df, run, commands = merged_lines(store)
        srun, sdf = latest(store, "perf-startup")
        _, xdf = latest(store, "perf-crosscheck")
        emulation = emulation_run(store)
        sandbox = sandbox_claim_figure(store)
        prov = provenance(store, ("perf",))
    ladder = ladder_summary(sdf) if sdf is not None else []
    points = compile_vs_exec(df, lines) if df is not None else []
    wlines = width_lines(df)
    effects = width_effects(wlines)
    cpu_effects = width_effects(width_lines(df, "cpu_time"))
    cl = claims(lines, ladder, points, (run or {}).get("command") or "", sandbox, commands,
                emulation_run=emulation, startup_command=(srun or {}).get("command") or "", pointer_width=effects,
                pointer_width_cpu=cpu_effects)
    return PerfFigures(lines, df, run, srun, ladder, points, xdf, cl, noise_note(lines), prov, wlines, effects,
                       cpu_effects)
