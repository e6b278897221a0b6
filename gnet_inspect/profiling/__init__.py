"""Latency per block on a CPU or a CUDA GPU: the timing engine, placement, and the profile."""

from gnet_inspect.profiling.latency import profile_latency, profile_model
from gnet_inspect.profiling.result import (
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
