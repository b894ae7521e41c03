"""Open-data exports: the ledger's public datasets, their metadata, terms and signed manifest.

A package is cut from log positions ``[start, end)``: each dataset holds the rows of the
records in that range (:mod:`trace.opendata.datasets`), written as CSV and JSON Lines
(and EPCIS 2.0 for events), described by a Frictionless data package and a DCAT
catalogue, and listed with sizes and SHA-256 in a manifest the log's key signs.
"""
