"""Layer 4, renderers: one module per output format, each turning domain results or evidence
into text (terminal, plain lines, Markdown, CSV, HTML, JSON, GitHub annotations, JUnit).

Renderers never score and never read or write files; they receive results and make user
text inert for their format (see ``condtrack.textsafe``). May import: the domain, the
schema, ``condtrack.errors``, ``condtrack.textsafe``. Never storage, git or the command line.
"""
