"""Operators of the console: their accounts, sessions and the audit of what they did."""
