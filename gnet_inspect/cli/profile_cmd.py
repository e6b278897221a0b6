"""``gnet-inspect profile``: (being written)."""
