"""The graph a diagram draws: the traced network collapsed onto its module tree (``tree``),
each node filled in (``nodes``), the nodes and edges a view keeps (``graph``)."""
