"""The ``hearth`` command line: the same core as the GUI, without Qt."""
