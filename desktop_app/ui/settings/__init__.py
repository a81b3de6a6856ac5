"""The Settings dialog and the forms it shares with the chat settings."""
