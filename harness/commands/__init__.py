"""The subcommands that belong to no single stage: ``harness run``, ``all`` and ``runtimes``."""
