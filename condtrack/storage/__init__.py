"""Layer 2, storage: finding the tracker, reading it (TOML, slice by slice), locking,
atomic writes and appends, and the records of bytes already checked.

May import: the schema, ``condtrack.errors``, ``condtrack.textsafe``. Knows nothing of
scoring, git, renderers or the command line.
"""
