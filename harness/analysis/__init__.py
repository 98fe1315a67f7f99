"""The analysis stage: figures computed from stored rows, between the results store and the reports.

Runners record rows; this package turns them into numbers and verdicts; ``harness.report`` and the
CLIs' summaries only present what it returns.  ``stats`` (median, bootstrap CI, ratio to a baseline,
three-way verdict, noise warnings), ``perf_table`` (one line per workload and engine, the text tables),
``runs`` (which stored runs a figure comes from, with the machine that measured them), ``startup``
(the ladder's summary), ``studies`` (pointer study, compile vs execution, memory), ``claims`` and
``sandbox`` (the claims' verdicts), ``perf_figures`` (all of the perf report's figures),
``conformance`` (counts per suite, engine and file by verdict, and the checks that did not pass grouped by
reason), ``provenance`` (the runs, machines and engine versions behind a report).
"""
