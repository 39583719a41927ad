"""The practice itself: who works here, how it presents itself, and how it sends mail."""
