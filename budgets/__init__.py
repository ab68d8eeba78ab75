"""Budgets of the participation platform."""
