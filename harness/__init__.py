"""harness: a conformance and performance harness for WebAssembly runtimes and their compiler tiers."""

__version__ = "0.1.0"
