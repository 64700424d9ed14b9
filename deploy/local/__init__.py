"""The whole SIAK Gate stack on one machine without a container engine."""
