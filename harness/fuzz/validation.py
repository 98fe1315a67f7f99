"""Validation fuzzing: mutated binaries through every engine's decoder and validator, judged against
``wasm-tools validate``; accept/reject must agree (the wording of a rejection may differ).

Why: differential execution fuzzing only ever feeds engines valid modules, so the code that must *refuse*
a module (malformed sections, overlong LEB128s, out-of-range indices, ill-typed bodies) is never
exercised; a decoder that accepts a truncated section, or crashes on one, is a bug users hit with any
untrusted binary.  The mutants come from ``harness.fuzz.mutate`` (whose docstring lists the mutators),
applied to modules from ``wasm-tools smith`` (``harness.fuzz.generate``, with the 3.0 proposals every
engine shares) and to the modules of our own corpus (``suites/spec/corpus/*.wast``, valid and invalid
ones: a module already at the edge of the rules is a good start).  The engines, how each is asked and
which features each is judged with are in ``harness.fuzz.validation_engines``.

The entry point ``harness fuzz`` wires::

    run_validation_fuzz(engines: list[str], count: int | None, seconds: float | None, seed: int, jobs: int,
                        progress: Callable[[ValidationProgress], None] | None = None, *,
                        findings_dir: Path | None = None, timeout: float = 10.0, smith_modules: int = 24,
                        corpus: bool = True, minimise_per_signature: int = 2,
                        minimise_seconds: float = 60.0, start: int = 0) -> ValidationReport

``engines``: names as in ``validation_engines.resolve_engines`` (``ours``, ``wasmtime:cranelift``, ``v8``,
``wabt``, ``NAME=module:function``); at least one of ``count`` (mutants) and ``seconds`` (wall time);
``seed`` names the run: mutant ``i`` of seed ``s`` is the same bytes everywhere (``mutate.make_mutant``),
given the same wasm-tools (the base modules come from smith), and ``start`` (the first index) with
``count=1`` checks one mutant again; ``jobs`` threads, each with its own engine
processes, taking ``BATCH`` mutants at a time; ``progress`` is called (from a worker thread) after every
mutant.  Ctrl-C stops after the batches in flight and returns the report so far (``interrupted``).  Raises ``HarnessError`` only before
the run starts (unknown engine, missing runtime, no wasm-tools); everything after is recorded.

A **finding** is a mutant on which an engine's verdict is not the reference's (accept vs reject), or on
which any engine (or the reference itself) crashed, hung past ``timeout`` or could not answer.  Each is
checked again (``reproduced``), saved under ``findings_dir/v<seed>-<index>/`` (``mutant.wasm``,
``finding.json`` with the mutations, every verdict and message; ``minimised.wasm``), and, for the first
``minimise_per_signature`` of each signature, minimised (for at most ``minimise_seconds``): whole sections
dropped, then byte ranges deleted (delta debugging), keeping every change that keeps the same verdicts.  A timeout is not minimised
(each try would cost the timeout).  The **signature** groups findings for triage: the engine, the
reference's verdict -> the engine's, and the rejecting side's message with numbers blanked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import HarnessError
from . import expectations, mutate
from .validation_engines import (
    ACCEPT,
    CRASH,
    ERROR,
    REJECT,
    TIMEOUT,
    BatchReference,
    EngineSpec,
    Validator,
    Verdict,
    availability,
    make_validator,
    resolve_engines,
    shared_features,
)

CORPUS = Path(__file__).resolve().parents[2] / "suites" / "spec" / "corpus"
INVALID_BASE_SHARE = 0.15  # of mutants start from a corpus module that is malformed or invalid already
BATCH = 32  # mutants a thread takes at once (Ctrl-C and a time limit wait for at most one batch)
MINIMISE_EVALS = 400  # checks one minimisation may spend
MINIMISE_SECONDS = 60.0
# Words in a rejection that point at an implementation limit (the spec lets an engine refuse a module
# that exceeds its limits), so triage can set those findings apart from wrong answers.
_LIMIT_WORDS = re.compile(r"limit|too many|too large|exceeds|maximum|out of memory", re.IGNORECASE)


@dataclass(frozen=True)
class ValidationProgress:
    done: int
    findings: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ValidationFinding:
    seed: int
    index: int
    base: str
    mutations: list[str]
    engine: str  # the engine that disagreed (or "wasm-tools" when the reference itself failed)
    reference: dict[str, str]  # kind, message, features: the reference's verdict with this engine's features
    verdicts: dict[str, dict[str, str]]  # every engine: kind, message
    signature: str
    category: str  # "disagree", "limit", "known" (in the engine's expectations), "crash", "timeout", "error"
    reproduced: bool = False
    size: int = 0
    minimised_size: int | None = None
    path: str | None = None  # the finding's folder
    note: str = ""  # what went wrong saving or minimising it, if anything

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ValidationReport:
    seed: int
    engines: list[str]
    features: dict[str, str]  # engine -> wasm-tools -f it was judged with
    bases: int = 0
    mutants: int = 0
    seconds: float = 0.0  # checking mutants (mutants_per_second's denominator)
    setup_seconds: float = 0.0  # making the base modules
    reference_accepts: int = 0  # mutants the reference accepted (for every engine's features)
    reference_fallbacks: int = 0  # reference verdicts asked of wasm-tools validate alone (BatchReference)
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # engine -> kind -> count
    findings: list[ValidationFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what could not be done (a base module, a save)
    interrupted: bool = False
    findings_dir: str | None = None

    @property
    def mutants_per_second(self) -> float:
        return self.mutants / self.seconds if self.seconds > 0 else 0.0

    def signatures(self) -> dict[str, list[ValidationFinding]]:
        """Findings grouped for triage, largest group first."""
        groups: dict[str, list[ValidationFinding]] = {}
        for f in self.findings:
            groups.setdefault(f.signature, []).append(f)
        return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))

    def to_json(self) -> dict:
        out = asdict(self)
        out["mutants_per_second"] = round(self.mutants_per_second, 2)
        return out

    def summary(self) -> str:
        """The lines a command prints at the end of a run."""
        lines = [f"validation fuzzing, seed {self.seed}: {self.mutants} mutants of {self.bases} base modules in "
                 f"{self.seconds:.1f} s ({self.mutants_per_second:.1f}/s), reference accepted "
                 f"{self.reference_accepts} ({self.reference_fallbacks} verdicts asked of validate alone)"
                 + (" (interrupted)" if self.interrupted else "")]
        for engine, counts in self.verdicts.items():
            lines.append(f"  {engine:<20} " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
                         + f"   [judged with wasm-tools -f {self.features.get(engine, '?')}]")
        groups = self.signatures()
        lines.append(f"{len(self.findings)} findings in {len(groups)} signatures"
                     + (f" (saved in {self.findings_dir})" if self.findings and self.findings_dir else ""))
        for sig, items in groups.items():
            first = items[0]
            lines.append(f"  {len(items):>5}  {sig}" + (f"  [{first.category}]" if first.category != "disagree" else ""))
            if first.category == "known":
                lines.append(f"         expected: {first.note}")
            lines.append(f"         e.g. mutant {first.index}: {first.base} + {'; '.join(first.mutations)}"
                         + (f" -> {first.path}" if first.path else ""))
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)


# ---- base modules ------------------------------------------------------------------------------------------

def corpus_modules(corpus_dir: Path = CORPUS) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Every binary module of our own ``.wast`` corpus (valid ones and those asserted malformed or invalid),
    converted by wasm-tools (cached); a script that does not convert is an error line, not the end."""
    from ..spec.convert import convert

    out, errors = [], []
    for wast in sorted(corpus_dir.glob("*.wast")):
        try:
            json_path = convert(wast)
            commands = json.loads(json_path.read_text())["commands"]
        except (HarnessError, OSError, ValueError, KeyError) as e:
            errors.append(f"corpus {wast.name}: {e}")
            continue
        for c in commands:
            name = c.get("filename") or ""
            if name.endswith(".wasm") and (json_path.parent / name).is_file():
                kind = "corpus-bad" if c.get("type") in ("assert_invalid", "assert_malformed") else "corpus"
                out.append((f"{kind}:{wast.name}:{c.get('line', '?')}", (json_path.parent / name).read_bytes()))
    return out, errors


def base_weights(bases: list[tuple[str, bytes]]) -> list[float]:
    """How often each base is drawn: the corpus's malformed and invalid modules (``corpus-bad:``) together
    ``INVALID_BASE_SHARE`` of the time; a mutant of a rejected module is mostly rejected again for the same
    reason, but some mutations repair or move the fault, which is where decoders stop agreeing."""
    bad = sum(1 for name, _ in bases if name.startswith("corpus-bad:"))
    good = len(bases) - bad
    if not bad or not good:
        return [1.0] * len(bases)
    w_bad = INVALID_BASE_SHARE / bad
    w_good = (1 - INVALID_BASE_SHARE) / good
    return [w_bad if name.startswith("corpus-bad:") else w_good for name, _ in bases]


def base_modules(seed: int, features: frozenset[str], smith_modules: int, corpus: bool
                 ) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The modules mutants start from: ``smith_modules`` from wasm-tools smith (run ``seed``, indices 0..n-1,
    the same modules ``harness fuzz`` would run) and, with ``corpus``, our corpus's."""
    from .generate import SIMD, GeneratorFailure, generate, smith_tool

    bases: list[tuple[str, bytes]] = []
    errors: list[str] = []
    tool = smith_tool() if smith_modules else None
    for k in range(smith_modules):
        try:
            bases.append((f"smith:{seed}:{k}", generate(tool, seed, k, features | {SIMD})))
        except GeneratorFailure as e:
            errors.append(f"smith module {seed}:{k}: {e}")
    if corpus:
        more, errs = corpus_modules()
        bases += more
        errors += errs
    return bases, errors


# ---- judging -----------------------------------------------------------------------------------------------

def _blank(message: str) -> str:
    """A message with offsets and numbers blanked, so one bug at many offsets is one signature."""
    return re.sub(r"0x[0-9a-fA-F]+|\d+", "N", message)[:120]


def judge(spec: EngineSpec, reference: Verdict, verdict: Verdict) -> tuple[str, str] | None:
    """(category, signature) when ``verdict`` of ``spec`` is a finding against ``reference``, else None."""
    if verdict.kind in (CRASH, TIMEOUT, ERROR):
        return verdict.kind, f"{spec.name}: {verdict.kind} ({_blank(verdict.message.splitlines()[0] if verdict.message else '')})"
    if not reference.decided or verdict.kind == reference.kind:
        return None
    rejecting = verdict if verdict.kind == REJECT else reference
    who = spec.name if verdict.kind == REJECT else "wasm-tools"
    signature = f"{spec.name}: {verdict.kind}s what wasm-tools {reference.kind}s ({who}: {_blank(rejecting.message)})"
    category = "disagree"
    if known_bug(spec.name, signature) is not None:
        category = "known"
    elif verdict.kind == REJECT and _LIMIT_WORDS.search(verdict.message):
        category = "limit"
    return category, signature


def known_bug(engine: str, signature: str) -> expectations.Known | None:
    """The engine's expectation entry (``suites/fuzz/expectations/``) that explains this finding, if any."""
    return expectations.match(engine, expectations.VALIDATION, signature)


class Checker:
    """One thread's engines and references: asks each about a binary."""

    def __init__(self, specs: list[EngineSpec], timeout: float):
        self.specs = specs
        self.engines: dict[str, Validator] = {s.name: make_validator(s, timeout) for s in specs}
        self.references: dict[str, BatchReference] = {}
        for s in specs:
            feats = s.reference_features()
            if feats not in self.references:
                self.references[feats] = BatchReference(feats, timeout)

    def check(self, data: bytes, only: list[str] | None = None) -> tuple[dict[str, Verdict], dict[str, Verdict]]:
        """(reference verdict per feature set, verdict per engine), for the engines in ``only`` if given."""
        specs = [s for s in self.specs if only is None or s.name in only]
        refs = {f: self.references[f].check(data) for f in {s.reference_features() for s in specs}}
        return refs, {s.name: self.engines[s.name].check(data) for s in specs}

    def batch(self, binaries: list[bytes]) -> list[tuple[dict[str, Verdict], dict[str, Verdict]]]:
        """``check`` for many binaries, the references asked in one process per feature set."""
        refs = {f: r.check_many(binaries) for f, r in self.references.items()}
        return [({f: refs[f][i] for f in refs}, {s.name: self.engines[s.name].check(data) for s in self.specs})
                for i, data in enumerate(binaries)]

    def findings(self, refs: dict[str, Verdict], verdicts: dict[str, Verdict]) -> dict[str, tuple[str, str]]:
        """engine -> (category, signature) for every finding among these verdicts."""
        found: dict[str, tuple[str, str]] = {}
        for feats, ref in refs.items():
            if not ref.decided:  # the reference crashed or hung: its own finding
                found[f"wasm-tools[{feats}]"] = (ref.kind, f"wasm-tools: {ref.kind} ({_blank(ref.message)})")
        for s in self.specs:
            if s.name in verdicts:
                got = judge(s, refs[s.reference_features()], verdicts[s.name])
                if got:
                    found[s.name] = got
        return found

    def close(self) -> None:
        for v in (*self.engines.values(), *self.references.values()):
            v.close()


def minimise(data: bytes, keeps: Callable[[bytes], bool], max_evals: int = MINIMISE_EVALS,
             max_seconds: float = MINIMISE_SECONDS) -> bytes:
    """The smallest binary found that still ``keeps`` the behaviour: whole sections dropped first (cheap,
    large), then delta debugging over the bytes after the header (chunks halved until single bytes)."""
    deadline = time.monotonic() + max_seconds
    evals = 0

    def tries(candidate: bytes) -> bool:
        nonlocal evals
        evals += 1
        return keeps(candidate)

    def spent() -> bool:
        return evals >= max_evals or time.monotonic() > deadline

    best = data
    sections = mutate.split_sections(best)
    k = len(sections or []) - 1
    while sections and k >= 0 and not spent():
        candidate = mutate.join_sections(sections[:k] + sections[k + 1:])
        if tries(candidate):
            best, sections = candidate, sections[:k] + sections[k + 1:]
        k -= 1
    head = len(mutate.HEADER) if best.startswith(mutate.HEADER) else 0
    parts = 2
    while len(best) > head and not spent():
        body = best[head:]
        chunk = max(1, len(body) // parts)
        for start in range(0, len(body), chunk):
            if spent():
                break
            candidate = best[:head] + body[:start] + body[start + chunk:]
            if tries(candidate):
                best = candidate
                parts = max(parts - 1, 2)
                break
        else:
            if chunk == 1:
                break
            parts = min(parts * 2, len(body))
    return best


# ---- the run -----------------------------------------------------------------------------------------------

class _Run:
    def __init__(self, report: ValidationReport, specs: list[EngineSpec], bases: list[tuple[str, bytes]],
                 count: int | None, deadline: float | None, findings_dir: Path, timeout: float,
                 minimise_per_signature: int, progress: Callable[[ValidationProgress], None] | None):
        self.report, self.specs, self.bases = report, specs, bases
        self.count, self.deadline, self.findings_dir, self.timeout = count, deadline, findings_dir, timeout
        self.minimise_per_signature, self.progress = minimise_per_signature, progress
        self.weights = base_weights(bases)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.start = self.next_index = 0
        self.started = time.monotonic()  # reset when the threads start
        self.per_signature: Counter[str] = Counter()
        self.minimise_seconds = MINIMISE_SECONDS

    def take(self) -> list[int]:
        """The next indices to check (a batch: the references judge a batch in one process each)."""
        with self.lock:
            if self.stop.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline):
                return []
            n = BATCH if self.count is None else min(BATCH, self.start + self.count - self.next_index)
            self.next_index += max(n, 0)
            return list(range(self.next_index - max(n, 0), self.next_index))

    def worker(self) -> None:
        checker = Checker(self.specs, self.timeout)
        try:
            while indices := self.take():
                try:
                    mutants = [mutate.make_mutant(self.bases, self.report.seed, i, self.weights) for i in indices]
                    for mutant, (refs, verdicts) in zip(mutants, checker.batch([m.data for m in mutants]),
                                                        strict=True):
                        self.one(checker, mutant, refs, verdicts)
                except Exception as e:  # a harness bug must not end the other threads' work
                    with self.lock:
                        self.report.errors.append(f"mutants {indices[0]}-{indices[-1]}: {type(e).__name__}: {e}")
        finally:
            with self.lock:
                self.report.reference_fallbacks += sum(r.fallbacks for r in checker.references.values())
            checker.close()

    def one(self, checker: Checker, mutant: mutate.Mutant, refs: dict[str, Verdict],
            verdicts: dict[str, Verdict]) -> None:
        found = checker.findings(refs, verdicts)
        finds = [self.finding(checker, mutant, refs, verdicts, engine, cat, sig)
                 for engine, (cat, sig) in found.items()]
        with self.lock:
            self.report.mutants += 1
            if refs and all(r.kind == ACCEPT for r in refs.values()):
                self.report.reference_accepts += 1
            for name, v in verdicts.items():
                counts = self.report.verdicts.setdefault(name, {})
                counts[v.kind] = counts.get(v.kind, 0) + 1
            self.report.findings += finds
            done, nfind = self.report.mutants, len(self.report.findings)
        if self.progress is not None:
            self.progress(ValidationProgress(done, nfind, time.monotonic() - self.started))

    def finding(self, checker: Checker, mutant: mutate.Mutant, refs: dict[str, Verdict],
                verdicts: dict[str, Verdict], engine: str, category: str, signature: str) -> ValidationFinding:
        spec = next((s for s in self.specs if s.name == engine), None)
        feats = spec.reference_features() if spec else engine.partition("[")[2].rstrip("]")
        ref = refs.get(feats, Verdict(ERROR, "not asked"))
        f = ValidationFinding(
            seed=mutant.seed, index=mutant.index, base=mutant.base, mutations=[str(m) for m in mutant.mutations],
            engine=engine, reference={"kind": ref.kind, "message": ref.message, "features": feats},
            verdicts={n: {"kind": v.kind, "message": v.message} for n, v in verdicts.items()},
            signature=signature, category=category, size=len(mutant.data))
        if category == "known":
            bug = known_bug(engine, signature)
            f.note = f"{bug.reason} ({bug.where})" if bug else ""
        # What a smaller binary must keep: the reference's verdict and the engine's (kinds, not wording).
        only = [engine] if spec else [next(s.name for s in self.specs if s.reference_features() == feats)]

        def shape(r: dict[str, Verdict], v: dict[str, Verdict]) -> tuple[str, ...]:
            ref_kind = r.get(feats, Verdict(ERROR)).kind
            return (ref_kind, v[engine].kind) if spec else (ref_kind,)

        wanted = shape(refs, verdicts)

        def keeps(data: bytes) -> bool:
            r, v = checker.check(data, only)
            return shape(r, v) == wanted

        f.reproduced = keeps(mutant.data)
        with self.lock:
            self.per_signature[signature] += 1
            shrink = f.reproduced and category not in (TIMEOUT, "known") and self.per_signature[signature] <= self.minimise_per_signature
        small = None
        if shrink:
            small = minimise(mutant.data, keeps, max_seconds=self.minimise_seconds)
            f.minimised_size = len(small)
        self.save(f, mutant.data, small)
        return f

    def save(self, f: ValidationFinding, data: bytes, small: bytes | None) -> None:
        """The finding's folder; a full disk or a read-only folder is a note on the finding (it stays in the
        report) and an error line, never the end of the run."""
        folder = self.findings_dir / f"v{f.seed}-{f.index:07d}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "mutant.wasm").write_bytes(data)
            if small is not None:
                (folder / "minimised.wasm").write_bytes(small)
            f.path = str(folder)
            # several engines may disagree on one mutant: one file per engine
            name = "finding.json" if not (folder / "finding.json").exists() else f"finding-{_slug(f.engine)}.json"
            (folder / name).write_text(json.dumps(f.to_json(), indent=2) + "\n")
        except OSError as e:
            f.note = f"not saved: {e}"
            with self.lock:
                self.report.errors.append(f"finding of mutant {f.index} not saved in {folder}: {e.strerror or e}")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def run_validation_fuzz(engines: list[str], count: int | None, seconds: float | None, seed: int, jobs: int,
                        progress: Callable[[ValidationProgress], None] | None = None, *,
                        findings_dir: Path | None = None, timeout: float = 10.0, smith_modules: int = 24,
                        corpus: bool = True, minimise_per_signature: int = 2,
                        minimise_seconds: float = MINIMISE_SECONDS, start: int = 0) -> ValidationReport:
    """Run validation fuzzing (module docstring): returns the report; ``findings_dir`` defaults to
    ``<harness cache>/fuzz-findings/validation``."""
    if count is None and seconds is None:
        raise HarnessError("validation fuzzing needs a mutant count or a time limit (--count N or --time 10m)")
    if count is not None and count < 0 or seconds is not None and seconds < 0:
        raise HarnessError("validation fuzzing: the count and the time limit must not be negative")
    specs = resolve_engines(engines)
    missing = [f"{s.name}: {why}" for s in specs if (why := availability(s))]
    if missing:
        raise HarnessError("validation fuzzing cannot run " + "; ".join(missing))
    from ..spec.convert import wasm_tools

    wasm_tools()  # raises with the install hint when missing
    if findings_dir is None:
        from ..paths import cache_dir

        findings_dir = cache_dir() / "fuzz-findings" / "validation"
    report = ValidationReport(seed=seed, engines=[s.name for s in specs],
                              features={s.name: s.reference_features() for s in specs},
                              findings_dir=str(findings_dir))
    setup = time.monotonic()
    bases, errors = base_modules(seed, shared_features(specs), smith_modules, corpus)
    report.bases, report.errors = len(bases), errors
    report.setup_seconds = time.monotonic() - setup
    if not bases:
        report.errors.append("no base module to mutate (smith failed and no corpus)")
        return report
    deadline = setup + seconds if seconds is not None else None  # the time limit includes the setup
    started = time.monotonic()
    run = _Run(report, specs, bases, count, deadline, findings_dir, timeout, minimise_per_signature, progress)
    run.minimise_seconds = minimise_seconds
    run.start = run.next_index = max(start, 0)
    run.started = started
    threads = [threading.Thread(target=run.worker, name=f"validation-fuzz-{i}", daemon=True)
               for i in range(max(1, jobs))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        run.stop.set()
        report.interrupted = True
        for t in threads:
            t.join()
    report.seconds = time.monotonic() - started
    report.findings.sort(key=lambda f: (f.index, f.engine))
    return report
