"""SEIDRA Ultimate: self-hosted, multi-user AI generation platform."""

__version__ = "0.1.0"
