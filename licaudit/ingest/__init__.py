"""From files to canonical events: readers, encodings, columns, identity, time parsing, roster.

``licaudit.ingest.events.ingest`` is the entry point; the other modules are its steps.
"""
