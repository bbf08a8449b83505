"""Telegram handlers, split by who talks to the bot. Only this package imports telegram."""
