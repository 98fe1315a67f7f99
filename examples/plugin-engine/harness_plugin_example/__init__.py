"""An example of a runtime's package that ships its harness adapter (see ``adapter``)."""
