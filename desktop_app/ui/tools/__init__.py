"""The GUI of tools and agents (issue 12): the chat's Tools switch, approvals, Settings › Tools."""
