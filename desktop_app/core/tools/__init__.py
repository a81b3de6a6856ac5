"""Tools the model may call: formats, built-in tools, MCP servers and the agent loop (issue 12)."""
