"""Tally jobs, published results, explanations and Pabulib interop of a process's budgets."""
