"""Measuring built networks: parameters, MACs, depth, graphs, and the reports made of them."""
