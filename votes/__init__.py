"""Votes of the participation platform."""
