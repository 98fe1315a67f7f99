"""``harness fuzz``: differential fuzzing of WebAssembly engines with generated modules.

The spec testsuite checks each instruction alone; bugs live in the mixes nobody wrote a test for.  This
package generates modules with ``wasm-tools smith`` (seeded, so a module is named by ``(seed, index)``),
runs each on every selected engine in a long-lived worker process per engine (``worker``, driving the
engine through its spec driver, so any engine the spec runner drives can be fuzzed), compares what every
exported function returned, trapped with, and left in exported globals and memories (``compare``: the
rules, and why each, are in docs/FUZZING.md), minimises each disagreement with ``wasm-tools shrink``
(``minimise``), writes it as a finding (``findings``: .wasm, .wat, .wast, the reproduce command), and
stores findings with their triage signature in the results database (``triage``), where the conformance
report shows them.

Layout: ``generate`` (smith flags from the engines' features), ``plan`` (which exports to call with which
arguments), ``worker`` (the engine side), ``engines`` (the harness side of a worker: start, time out,
restart), ``compare``, ``minimise``, ``findings``, ``triage``, ``runner`` (the loop), ``cli``.
"""
