"""The chat: conversations, the message view, the composer, and the controller
between them and the engine."""
