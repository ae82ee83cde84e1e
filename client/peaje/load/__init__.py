"""Locust load for peaje: users per path (locustfile), µs histograms (latency), the headless
runner (``peaje load``), the concurrency sweep and the web UI command for ``make up``."""
