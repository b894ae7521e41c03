"""GS1 EPCIS 2.0 for the ledger: every record as an EPCIS event, capture, and queries.

``export`` writes a record as the event it is; ``document`` checks the shape of a
captured document (``vocabulary``: the CBV terms it may write bare); ``subjects`` finds
the batch an event is about; ``mapping`` reads an event back into a ledger kind;
``capture`` records a document's events; ``index`` is the projection that queries read;
``query`` answers the standard query parameters; ``jobs`` keeps what each capture did.
The HTTP binding is ``trace/api/epcis.py``.
"""
