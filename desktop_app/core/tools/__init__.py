"""Tools the model may call: formats, built-in tools, MCP servers and the agent loop (issue 12).

A map, for whoever builds on it (the GUI's cards, approval dialog and
Settings › Tools):

* :mod:`.formats` and :mod:`.call_parser`: how tools, calls and results are
  written into a prompt per template family, Hearth's fallback convention,
  and the incremental parser the engines run on streamed replies. The engine
  API carries the data: ``ToolSpec``, ``ToolCall``, ``Role.TOOL`` turns,
  ``GenerateRequest.tools`` / ``tool_choice`` and the ``ToolCallRequested``
  event (``core.engine.api``).
* :mod:`.toolbox`: the ``Tool`` protocol, ``ToolResult`` and the
  ``ToolBox`` that validates arguments and truncates output.
* :mod:`.builtin`: calculator, clock, shared folders, document search, web
  fetch; :mod:`.builtin.catalog` builds the ones switched on.
* :mod:`.mcp_config` (``mcpServers`` import), :mod:`.mcp_client` (one server
  behind a synchronous facade), :mod:`.mcp_servers` (all of them).
* :mod:`.budget`: tool-description tokens and the budget.
* :mod:`.agent`: the loop as a state machine the GUI's worker drives, and the
  approval policy.

Nothing here imports Qt; every callback that may come from another thread
says so.
"""
