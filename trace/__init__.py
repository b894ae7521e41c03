"""trace: a verifiable traceability ledger for Vietnamese agri-food and OCOP products."""
