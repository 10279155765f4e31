"""The merge driver: three versions of a tracker merged entry by entry (``driver``), the
keyed three-way merge of tables (``keyed``), evidence and retractions (``entries``), and
the text of the result (``layout``). Part of the git layer (see ``condtrack.git``).
"""
