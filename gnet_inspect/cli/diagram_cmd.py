"""``gnet-inspect diagram``: (being written)."""
