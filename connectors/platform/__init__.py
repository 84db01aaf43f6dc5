"""The operations platform connector (no Django inside).

- :mod:`.client` — ``PlatformClient.deliver``: signed, batched, retried, idempotent deliveries;
  its docstring is the delivery contract (item shape, batches, retries).
- :mod:`.signing` — the signature scheme, for both sides; :mod:`.errors` — what a delivery raises.
- :mod:`.contract` — the same contract as OpenAPI, served by the simulator at ``/openapi.json``.
- :mod:`.simulator` — the platform simulator (``manage.py platform_simulator``).
- :mod:`.samples` + :mod:`.inbound` — sample documents and the sender to Spectrum Sync's inbound API.
"""
