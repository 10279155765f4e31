"""Renderers: each turns scoring results or evidence into one output format.

Renderers never score and never read files; they receive results and make user text
inert for their format (see ``condtrack.textsafe``).
"""
