"""Options shared by the suites under this folder (pytest only asks conftests loaded at startup)."""


def pytest_addoption(parser):
    from harness.spec.pytest_plugin import add_options

    add_options(parser)
