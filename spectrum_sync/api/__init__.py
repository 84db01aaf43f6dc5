"""The inbound API: the platform posts documents here (``/api/v1/<document-type>/``)."""
