"""Telling agencies what concerns them: webhooks, their durable outbox, and delivery."""
