"""gnet-inspect: GoogLeNet's Table 1 as a real PyTorch network, measured and reconciled."""
