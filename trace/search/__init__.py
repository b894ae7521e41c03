"""Search: batches as inspectors look for them.

``projection`` keeps the "search" tables as the log grows (names folded for search, dates,
disposition, certificates, event kinds); ``query`` filters and sorts them a page at a time;
``cursor`` makes and checks the opaque cursors that continue a page.
"""
