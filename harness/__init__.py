"""Integration test harness for short-video SDKs (filters, beauty, AR effects) on a device matrix."""

__version__ = "0.1.0"
