"""Handrail: evidence that an AI-built app is safe to put in front of real users."""

__version__ = "0.1.0"
