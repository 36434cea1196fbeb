"""Tools from MCP servers, through the official ``mcp`` SDK (the optional extra ``microturn[mcp]``).

Importing this package never imports ``mcp``; :func:`open_mcp_toolbox` does, and says how to install
it when it is missing.
"""

from __future__ import annotations

from microturn._tools._mcp._toolbox import McpToolbox, open_mcp_toolbox

__all__ = ["McpToolbox", "open_mcp_toolbox"]
