"""Norma: a self-hosted ISO 9001 quality management system."""

__version__ = "0.1.0"
