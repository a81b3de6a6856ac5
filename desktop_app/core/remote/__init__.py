"""Remote OpenAI-compatible inference servers: their settings and the engine that talks to them."""
