"""Layer 1, the schema: what a tracker file is (pydantic models), every whole-file check
with the place of each problem, and what makes two entries the same report; the shapes
the domain reads a tracker by (``shapes``), which the models and the plain objects a
snapshot gives ``check`` (``plain``, no pydantic) both have.

May import: ``condtrack.errors`` and ``condtrack.textsafe`` only. Knows nothing of files,
terminals, git or the command line.
"""
