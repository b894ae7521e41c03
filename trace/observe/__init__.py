"""Observing the running service: Prometheus metrics and the log on standard output."""
