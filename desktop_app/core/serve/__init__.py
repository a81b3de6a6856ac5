"""Hearth's OpenAI-compatible API over its local engine (``hearth serve``, the in-app server).

* ``config``: :class:`ApiServerSettings` (address, port, allowed hosts, origins, limits).
* ``server``: :class:`ApiServer` (uvicorn in its own thread) and :class:`ServeError`.
* ``app``: the Starlette routes (``/v1/models``, ``/v1/chat/completions``,
  ``/v1/completions``) and how the model's id is chosen.
* ``openai_format``: OpenAI's request and response shapes, and the parameter mapping.
* ``security``: the guards (key, Host, body size) and the request log (:class:`RequestRecord`).
* ``pump``: the one thread that drives the server's engine client for all requests.
* ``keys``: :func:`ensure_api_key`, :func:`regenerate_api_key`, and a private key file.

The engine comes from an :class:`~desktop_app.core.engine.broker.EngineBroker`
client, so the window's chat and the API share one loaded model fairly.
"""
