"""Genealogy: the graph of batches that `transformed` records make, its walks and drawing.

``projection`` keeps the graph's edges as the log grows; ``walk`` follows them one step
back or one step forward at a time (Circular 02/2024/TT-BKHCN); ``holders`` names who
holds a batch; ``drawing`` draws a walk for an inspector's report; ``recalls`` records
and finds recalls, and ``reach`` lists every batch and page a recall reaches.
"""
