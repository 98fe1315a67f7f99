"""Hooks shared by the suites under this folder.  They live here because pytest only asks conftests it
loads at startup for options, and with xdist the controller never imports the per-suite conftests."""


def pytest_addoption(parser):
    from harness.spec.pytest_plugin import add_options

    add_options(parser)


def pytest_configure(config):
    from harness.spec.pytest_plugin import start_run

    start_run(config)


def pytest_unconfigure(config):
    from harness.spec.pytest_plugin import finish_run

    finish_run(config)
