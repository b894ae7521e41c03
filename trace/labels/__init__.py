"""QR labels (built in a later issue)."""
