"""Latency per block on a CPU or a CUDA GPU: the timing engine (``timing``), where the model
runs (``placement``), the profile as plain data (``result``) and the entry point (``latency``)."""

from gnet_inspect.reports.profile.latency import profile_latency, profile_model
from gnet_inspect.reports.profile.result import (
    BlockLatency,
    LatencyProfile,
    LatencyStats,
    ProfileSettings,
)

__all__ = [
    "BlockLatency",
    "LatencyProfile",
    "LatencyStats",
    "ProfileSettings",
    "profile_latency",
    "profile_model",
]
