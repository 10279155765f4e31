"""Layer 3, the domain: pure functions from a tracker and dates to results with reasons.
Scoring, the gate, what changed between dates, briefings, amendment chains and histories,
new entries and imports checked against the tracker, listings. A tracker is read by its
shapes (``condtrack.schema.shapes``): the models, or a snapshot's plain objects.

May import: storage, the schema, ``condtrack.errors``, ``condtrack.textsafe``. Knows nothing
of terminals, git, renderers or the command line.
"""
