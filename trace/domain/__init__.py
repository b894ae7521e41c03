"""The pure domain: statements, records, event kinds, rules, identifiers.

Nothing here does I/O or imports a framework or another part of the project.
"""
