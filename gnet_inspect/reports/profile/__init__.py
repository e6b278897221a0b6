"""Latency per block on a CPU or a CUDA GPU: the timing engine (``timing``), where the model
runs (``placement``), the profile as plain data (``result``, torch-free) and the entry point
(``latency.profile_latency``)."""
