"""The public provenance page: what a shopper sees after scanning."""
