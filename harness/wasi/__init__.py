"""Running WASI programs on every engine, and the wasi-testsuite runner (``harness wasi``)."""
