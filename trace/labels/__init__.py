"""QR labels that producers print: what they say, where it goes, and the files.

- ``templates``: label stock (thermal rolls, A4 sheets) and the QR module size.
- ``qr``: the URL a symbol holds and the symbol itself.
- ``content``, ``facts``: what a label says, from the batch's records.
- ``layout``: where each mark goes (``drawing`` holds the marks, in millimetres).
- ``png``, ``svg``, ``pdf``: the three file formats, drawn from the same marks.
- ``runs``: print runs of serialised labels and their serials in the ledger.
- ``make``: a checked request, rendered page by page.
"""
