"""How many tokens a typical MCP server's tool descriptions cost a small model, and the budget.

Starts a real MCP server over stdio (written below with the SDK's
``MCPServer``, FastMCP in SDK 1.x): the 13 tools of the reference filesystem
server (``@modelcontextprotocol/server-filesystem``) with their descriptions
and argument schemas as that server words them. Hearth lists them through
its own client (:class:`McpServer`), then counts each tool's tokens as the
model sees it (the JSON line of the fallback convention) with the starter
model's tokenizer (SmolLM2, loaded vocabulary-only), whole and trimmed, and
shows what :func:`fit_budget` keeps, trims and leaves out at several budgets.

Usage: ``PYTHONPATH=. .venv/bin/python bench/bench_tool_tokens.py``; prints
Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Literal  # the served tools' annotations are evaluated at module level

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.tools.budget import estimate_tokens, fit_budget, tool_tokens, trimmed
from desktop_app.core.tools.formats import FALLBACK_INSTRUCTIONS
from desktop_app.core.tools.mcp_client import McpServer
from desktop_app.core.tools.mcp_config import McpServerConfig

BUDGETS = (250, 500, 1000, 1500)


def serve() -> None:
    """The benchmark's MCP server: the reference filesystem server's tools (not implemented)."""
    from mcp.server.mcpserver import MCPServer

    app = MCPServer("filesystem")

    @app.tool()
    def read_text_file(path: str, head: int | None = None, tail: int | None = None) -> str:
        """Read the complete contents of a file from the file system as text. Handles various
        text encodings and provides detailed error messages if the file cannot be read. Use
        this tool when you need to examine the contents of a single file. Use the 'head'
        parameter to read only the first N lines of a file, or the 'tail' parameter to read
        only the last N lines of a file. Operates on the file as text regardless of
        extension. Only works within allowed directories."""
        return ""

    @app.tool()
    def read_media_file(path: str) -> str:
        """Read an image or audio file. Returns the base64 encoded data and MIME type. Only
        works within allowed directories."""
        return ""

    @app.tool()
    def read_multiple_files(paths: list[str]) -> str:
        """Read the contents of multiple files simultaneously. This is more efficient than
        reading files one by one when you need to analyze or compare multiple files. Each
        file's content is returned with its path as a reference. Failed reads for individual
        files won't stop the entire operation. Only works within allowed directories."""
        return ""

    @app.tool()
    def write_file(path: str, content: str) -> str:
        """Create a new file or completely overwrite an existing file with new content. Use
        with caution as it will overwrite existing files without warning. Handles text
        content with proper encoding. Only works within allowed directories."""
        return ""

    @app.tool()
    def edit_file(path: str, edits: list[dict[str, str]], dryRun: bool = False) -> str:
        """Make line-based edits to a text file. Each edit replaces exact line sequences with
        new content. Returns a git-style diff showing the changes made. Only works within
        allowed directories."""
        return ""

    @app.tool()
    def create_directory(path: str) -> str:
        """Create a new directory or ensure a directory exists. Can create multiple nested
        directories in one operation. If the directory already exists, this operation will
        succeed silently. Perfect for setting up directory structures for projects or
        ensuring required paths exist. Only works within allowed directories."""
        return ""

    @app.tool()
    def list_directory(path: str) -> str:
        """Get a detailed listing of all files and directories in a specified path. Results
        clearly distinguish between files and directories with [FILE] and [DIR] prefixes.
        This tool is essential for understanding directory structure and finding specific
        files within a directory. Only works within allowed directories."""
        return ""

    @app.tool()
    def list_directory_with_sizes(path: str, sortBy: Literal["name", "size"] = "name") -> str:
        """Get a detailed listing of all files and directories in a specified path, including
        sizes. Results clearly distinguish between files and directories with [FILE] and
        [DIR] prefixes. This tool is useful for understanding directory structure and
        finding specific files within a directory. Only works within allowed directories."""
        return ""

    @app.tool()
    def directory_tree(path: str, excludePatterns: list[str] | None = None) -> str:
        """Get a recursive tree view of files and directories as a JSON structure. Each entry
        includes 'name', 'type' (file/directory), and 'children' for directories. Files have
        no children array, while directories always have a children array (which may be
        empty). The output is formatted with 2-space indentation for readability. Only works
        within allowed directories."""
        return ""

    @app.tool()
    def move_file(source: str, destination: str) -> str:
        """Move or rename files and directories. Can move files between directories and
        rename them in a single operation. If the destination exists, the operation will
        fail. Works across different directories and can be used for simple renaming within
        the same directory. Both source and destination must be within allowed
        directories."""
        return ""

    @app.tool()
    def search_files(path: str, pattern: str, excludePatterns: list[str] | None = None) -> str:
        """Recursively search for files and directories matching a pattern. The patterns
        should be glob-style patterns that match paths relative to the working directory.
        Use pattern like '*.ext' to match files in current directory, and '**/*.ext' to
        match files in all subdirectories. Returns full paths to all matching items. Great
        for finding files when you don't know their exact location. Only searches within
        allowed directories."""
        return ""

    @app.tool()
    def get_file_info(path: str) -> str:
        """Retrieve detailed metadata about a file or directory. Returns comprehensive
        information including size, creation time, last modified time, permissions, and
        type. This tool is perfect for understanding file characteristics without reading
        the actual content. Only works within allowed directories."""
        return ""

    @app.tool()
    def list_allowed_directories() -> str:
        """Returns the list of directories that this server is allowed to access.
        Subdirectories within these allowed directories are also accessible. Use this to
        understand which directories and their nested paths are available before trying to
        access files."""
        return ""

    app.run()


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0

    from llama_cpp import Llama

    model = Llama(str(starter_path()), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    started = time.perf_counter()
    server = McpServer(McpServerConfig("filesystem", command=sys.executable,
                                       args=(str(Path(__file__).resolve()), "--serve")))
    server.start()
    try:
        if not server.wait_ready(60):
            print(f"the server failed: {server.error}; stderr: {server.stderr_tail()}")
            return 1
        ready = time.perf_counter() - started
        specs = [info.spec() for info in server.list_tools()]
    finally:
        server.stop()

    rows = []
    for spec in specs:
        rows.append((spec.name, tool_tokens(spec, count), tool_tokens(trimmed(spec), count),
                     tool_tokens(spec)))
    full = sum(r[1] for r in rows)
    small = sum(r[2] for r in rows)
    estimate = sum(r[3] for r in rows)
    rows.append(("**all 13**" if len(specs) == 13 else f"**all {len(specs)}**", f"**{full}**",
                 f"**{small}**", f"**{estimate}**"))
    instructions = count(FALLBACK_INSTRUCTIONS.format(tools=""))
    print(f"Filesystem MCP server: {len(specs)} tools, listed in {ready:.2f} s (start, "
          "handshake, tools/list over stdio). Tokens counted with the SmolLM2 tokenizer.\n")
    print(_table(("tool", "tokens", "trimmed", "estimate (no tokenizer)"), rows))
    print(f"\nThe fallback convention's instructions add {instructions} tokens once.\n")

    budget_rows: list[tuple[object, ...]] = []
    for budget in (*BUDGETS, full):
        choice = fit_budget(specs, budget, count)
        budget_rows.append((budget, len(choice.specs) - len(choice.trimmed), len(choice.trimmed),
                            len(choice.left_out), choice.tokens,
                            ", ".join(choice.left_out) or "—"))
    print(_table(("budget", "whole", "trimmed", "left out", "tokens used", "left out"),
                 budget_rows))
    sample: ToolSpec = next(s for s in specs if s.name == "search_files")
    print(f"\nExample, search_files trimmed: {trimmed(sample).description!r}, "
          f"{tool_tokens(sample, count)} → {tool_tokens(trimmed(sample), count)} tokens; "
          f"estimate without tokenizer {estimate_tokens(sample.description)} for its "
          "description alone.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
