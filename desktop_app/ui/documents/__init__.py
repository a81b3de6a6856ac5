"""The GUI of "chat with your documents": the Documents page, attachments and citations."""
