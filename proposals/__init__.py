"""Proposals of the participation platform."""
