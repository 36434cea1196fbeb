"""The full-duplex interaction policy."""

from microturn._policies._full_duplex._policy import FullDuplexPolicy

__all__ = ["FullDuplexPolicy"]
