"""Layer 4, git: the one git runner (user text never reaches git as an option), the tracker
at a committed revision, ``git-setup``, and the merge driver (``merge/``).

May import: the domain, storage, the schema, ``condtrack.errors``, ``condtrack.textsafe``.
Never renderers or the command line.
"""
