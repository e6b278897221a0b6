"""``gnet-inspect flops``: (being written)."""
