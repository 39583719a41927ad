"""Clients of the practice, their contact preferences and consent."""
