"""What counts as engines disagreeing on a module, and what does not (docs/FUZZING.md lists each rule and why).

Input: each engine's answer for one module (``worker.Session.run``, or ``engines.EngineWorker``'s failure
record).  Output: a ``Verdict``, the disagreements in the order they happened.  Comparison stops at the first
disagreement of values, because every later call may only repeat it.

The rules:

- *crash / hang / garbage* of one engine's worker is a disagreement of that engine alone; the others are
  still compared with each other.
- *compile*: one engine rejecting a module others accept (wasm-smith makes valid modules) is ``validation``.
- results compare bit for bit, except NaNs, which compare as "a NaN" of their type (the spec lets an
  operation return any NaN of the right class; smith's canonicalisation makes most, not all, the same).
- a trap against a return is ``trap``; two traps disagree (``trap-kind``) only when both engines name a kind
  (``harness.spec.traps.trap_classes``) and the kinds cannot be the same one.
- stack exhaustion is never a disagreement: the depth at which a stack runs out is the engine's resource,
  not the program's meaning.  An engine that exhausted its stack leaves the comparison for the rest of the
  module (its globals and memory may then differ for that reason alone).
- wasmtime's fuel running out ends the comparison of the module ("too long"); the calls before count.
- exported globals and memories are compared after instantiation and after every call (memories by size
  and SHA-256, by size alone past 16 MiB), between the engines whose API can read them.  Memories of
  different sizes where the larger is past ``GROW_FREE`` end the comparison as resource-dependent: a
  ``memory.grow`` may fail for lack of resources, which is conforming.
- an engine that cannot carry a value through its API (``unsupported``) leaves the comparison.
- an engine that refuses an allocation for lack of memory (wasmtime: "GC heap out of memory", when a gc
  array of gigabytes is asked for) ends the comparison as resource-dependent: the spec lets allocation
  fail, and each engine sets its own limit (ours refuses arrays past ``gcref.MAX_ARRAY`` elements).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..spec.traps import trap_classes

GROW_FREE = 1 << 24  # memories up to 16 MiB must grow on every engine
# Words of an engine refusing an allocation for lack of memory (a trap, or wasmtime's instantiation error when
# a global's initialiser allocates): resource-dependent, never a disagreement.
OUT_OF_MEMORY = ("gc heap out of memory", "out of memory", "allocation failed")
REFERENCES = ("wasmtime:cranelift", "v8:turbofan", "wasmtime:winch", "wasmtime:pulley", "v8:liftoff")

FAILS = ("crash", "hang", "garbage")
KINDS = ("crash", "hang", "garbage", "error", "validation", "trap", "trap-kind", "result", "global", "memory",
         "thrown")


@dataclass
class Disagreement:
    kind: str  # one of KINDS
    where: str  # "compile", "instantiate", "call 3: f(0x1)"
    step: int  # -1 compile, 0 instantiation, k+1 after call k
    majority: list[str]
    minority: list[str]
    said: dict[str, str]  # engine -> what it did, in words

    @property
    def engines_key(self) -> str:
        return f"{','.join(sorted(self.minority))} vs {','.join(sorted(self.majority))}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "where": self.where, "step": self.step, "majority": self.majority,
                "minority": self.minority, "said": self.said}


@dataclass
class Verdict:
    status: str = "agree"  # agree | disagree | too-long | resource | rejected (all engines rejected it)
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    steps: int = 0  # observation points compared


def nan_free(t: str, v: Any) -> Any:
    """A value as compared: NaNs of a type are one value."""
    if isinstance(v, int):
        if t == "f32" and (v >> 23) & 0xFF == 0xFF and v & 0x7FFFFF:
            return "nan"
        if t == "f64" and (v >> 52) & 0x7FF == 0x7FF and v & ((1 << 52) - 1):
            return "nan"
    return v


def describe_value(t: str, v: Any) -> str:
    if v is None:
        return f"{t} null"
    if v == "ref":
        return f"{t} non-null"
    if nan_free(t, v) == "nan":
        return f"{t} nan"
    return f"{t} {v:#x}" if isinstance(v, int) else f"{t} {v}"


def _coarse(obs: dict) -> tuple:
    r = obs["r"]
    if r == "ok":
        return ("ok", tuple((t, nan_free(t, v)) for t, v in obs.get("v", [])))
    if r == "trap":
        return ("trap",)
    return (r, obs.get("k", "")) if r == "error" else (r,)


def describe(obs: dict) -> str:
    r = obs["r"]
    if r == "ok":
        return "returned " + (", ".join(describe_value(t, v) for t, v in obs.get("v", [])) or "nothing")
    if r in ("trap", "exhaustion", "thrown", "error", "unsupported"):
        return f"{r}: {obs.get('k', '')}".rstrip(": ")
    return r


def reference_rank(engine: str, order: list[str]) -> tuple[int, int]:
    return (REFERENCES.index(engine) if engine in REFERENCES else len(REFERENCES), order.index(engine))


def split(groups: dict[Any, list[str]], order: list[str]) -> tuple[list[str], list[str]]:
    """(majority, minority): the biggest group, ties to the group holding the most trusted engine."""
    best = min(groups.values(), key=lambda g: (-len(g), min(reference_rank(e, order) for e in g)))
    return list(best), [e for g in groups.values() if g is not best for e in g]


def _partition(keys: dict[str, Any]) -> dict[Any, list[str]]:
    groups: dict[Any, list[str]] = {}
    for e, k in keys.items():
        groups.setdefault(k, []).append(e)
    return groups


def _trap_kind_groups(obs: dict[str, dict]) -> dict[Any, list[str]] | None:
    """Traps grouped by kind when two engines named kinds that cannot be the same; None when they agree."""
    classes = {e: trap_classes(o.get("k")) for e, o in obs.items()}
    named = {e: c for e, c in classes.items() if c}
    conflict = any(not (a & b) for a in named.values() for b in named.values())
    if not conflict:
        return None
    counts = Counter(c for cs in named.values() for c in cs)
    rep = {e: max(sorted(c), key=lambda x: counts[x]) for e, c in named.items()}
    biggest = counts.most_common(1)[0][0]
    return _partition({e: rep.get(e, biggest) for e in obs})


def _largest_memory(answers: dict[str, dict], engines: list[str]) -> int:
    sizes = [n for e in engines for o in [answers[e].get("inst") or {}, *answers[e].get("calls", [])]
             for n, _ in o.get("s", {}).get("m", {}).values()]
    return max(sizes, default=0)


def _out_of_memory(obs: dict[str, dict]) -> list[str]:
    """The engines whose observation is a refused allocation (``OUT_OF_MEMORY``)."""
    return [e for e, o in obs.items()
            if o["r"] in ("trap", "error") and any(w in str(o.get("k", "")).lower() for w in OUT_OF_MEMORY)]


def _grown_apart(obs: dict[str, dict]) -> bool:
    """Whether an exported memory has different sizes on different engines, the larger past ``GROW_FREE``:
    checked before results, since the failed ``memory.grow``'s -1 is usually among them."""
    sizes: dict[str, set[int]] = {}
    for o in obs.values():
        for name, (n, _) in o.get("s", {}).get("m", {}).items():
            sizes.setdefault(name, set()).add(n)
    return any(len(ns) > 1 and max(ns) > GROW_FREE for ns in sizes.values())


def _state_disagreement(step: int, where: str, states: dict[str, dict], order: list[str]) -> Disagreement | None:
    """A disagreement on exported globals or memories, or None."""
    names = sorted({n for s in states.values() for n in s.get("g", {})})
    for name in names:
        keys = {e: (s["g"][name][0], nan_free(*s["g"][name])) for e, s in states.items() if name in s.get("g", {})}
        groups = _partition(keys)
        if len(groups) > 1:
            major, minor = split(groups, order)
            said = {e: f"global {name} = {describe_value(*states[e]['g'][name])}" for e in keys}
            return Disagreement("global", where, step, major, minor, said)
    mems = sorted({n for s in states.values() for n in s.get("m", {})})
    for name in mems:
        have = {e: s["m"][name] for e, s in states.items() if name in s.get("m", {})}
        groups = _partition({e: tuple(v) for e, v in have.items()})
        if len(groups) > 1:
            major, minor = split(groups, order)
            said = {e: f"memory {name}: {v[0]} bytes, sha256 {v[1]}" for e, v in have.items()}
            return Disagreement("memory", where, step, major, minor, said)
    return None


def compare(answers: dict[str, dict], order: list[str], plan_calls: list[str] | None = None) -> Verdict:
    """Judge one module.  ``answers``: engine -> answer; ``order``: the engines as the user listed them;
    ``plan_calls``: each call described (for ``where``)."""
    v = Verdict()
    live = [e for e in order if e in answers]
    answered = [e for e in live if "fail" not in answers[e]]
    if any(answers[e].get("fail") == "hang" for e in live) and _largest_memory(answers, answered) > GROW_FREE:
        v.status = "resource"
        v.notes.append(f"an engine hung where another grew a memory past {GROW_FREE} bytes: resource-dependent")
        return v
    for e in live:
        a = answers[e]
        if "fail" in a:
            v.disagreements.append(Disagreement(a["fail"], "worker", -1, answered, [e], {e: a.get("k", "")}))
    live = answered
    if len(live) < 2:
        v.status = "disagree" if v.disagreements else "agree"
        return v
    # compiling
    keys = {e: ("error",) if answers[e].get("compile_error") else ("rejected",) if "compile" in answers[e]
            else ("accepted",) for e in live}
    groups = _partition(keys)
    if len(groups) > 1:
        major, minor = split(groups, order)
        said = {e: (f"rejected: {answers[e]['compile']}" if "compile" in answers[e] else "accepted") for e in live}
        kind = "error" if any(keys[e] == ("error",) for e in minor) else "validation"
        v.disagreements.append(Disagreement(kind, "compile", -1, major, minor, said))
        v.status = "disagree"
        return v
    if "compile" in answers[live[0]]:
        v.status = "disagree" if v.disagreements else "rejected"
        v.notes.append(f"every engine rejected the module: {answers[live[0]]['compile']}")
        return v
    steps = max(len(answers[e].get("calls", [])) for e in live) + 1
    for step in range(steps):
        if len(live) < 2:
            break
        where = "instantiate" if step == 0 else f"call {step}: " + (
            plan_calls[step - 1] if plan_calls and step - 1 < len(plan_calls) else "?")
        obs: dict[str, dict] = {}
        for e in live:
            a = answers[e]
            o = a.get("inst") if step == 0 else (a["calls"][step - 1] if step - 1 < len(a["calls"]) else None)
            if o is not None:
                obs[e] = o
        if len(obs) < len(live):
            break  # an engine stopped calling (fuel, an error): judged at its last step already
        if any(o["r"] == "fuel" for o in obs.values()):
            v.status = "too-long"
            v.notes.append(f"{where}: wasmtime ran out of fuel; the module is compared up to here")
            break
        for e in [e for e, o in obs.items() if o["r"] in ("exhaustion", "unsupported")]:
            v.notes.append(f"{where}: {e} {describe(obs[e])}; it leaves the comparison")
            live.remove(e)
            del obs[e]
        if len(obs) < 2:
            break
        v.steps += 1
        refused = _out_of_memory(obs)
        if refused:
            v.status = "resource"
            v.notes.append(f"{where}: {', '.join(refused)} refused an allocation for lack of memory "
                           f"({describe(obs[refused[0]])}); compared up to here")
            break
        if _grown_apart(obs):
            v.status = "resource"
            v.notes.append(f"{where}: memories grew to different sizes past {GROW_FREE} bytes (memory.grow "
                           "may fail for lack of resources); compared up to here")
            break
        groups = _partition({e: _coarse(o) for e, o in obs.items()})
        if len(groups) > 1:
            major, minor = split(groups, order)
            kinds = {_coarse(obs[e])[0] for e in [*major, *minor]}
            kind = ("error" if "error" in kinds else "thrown" if "thrown" in kinds else
                    "trap" if "trap" in kinds else "result")
            v.disagreements.append(Disagreement(kind, where, step, major, minor, {e: describe(o) for e, o in obs.items()}))
            break
        if next(iter(groups))[0] == "trap":
            tk = _trap_kind_groups(obs)
            if tk is not None and len(tk) > 1:
                major, minor = split(tk, order)
                v.disagreements.append(Disagreement("trap-kind", where, step, major, minor,
                                                    {e: describe(o) for e, o in obs.items()}))
                break
        states = {e: o["s"] for e, o in obs.items() if "s" in o}
        if len(states) >= 2:
            d = _state_disagreement(step, where, states, order)
            if d is not None:
                v.disagreements.append(d)
                break
        if step == 0 and obs[next(iter(obs))]["r"] != "ok":
            break  # instantiation trapped alike everywhere: nothing to call
    if v.disagreements:
        v.status = "disagree"
    return v
