"""Studio beyond one machine: the engine behind HTTP + WebSocket, a remote engine client, Ray Serve.

* :mod:`.protocol`: the wire format (requests, uploads, events, errors); torch-free.
* :mod:`.client` and :mod:`.remote_job`: :class:`~.client.RemoteEngine`, used like the local engine.
* :mod:`.backend`: the engine on its thread, as an async stream of events.
* :mod:`.service` and :mod:`.app`: job and client state, and the FastAPI routes.
* :mod:`.serve`: ``studio serve`` (safety checks, uvicorn), and a background server for tests.
* :mod:`.ray_app`: the same application as a Ray Serve deployment (``studio serve --ray``).

Qt-free. The server side needs the ``server`` extra (fastapi, uvicorn); the
client needs only ``websockets`` beyond the app's own dependencies.
"""
