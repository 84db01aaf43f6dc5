"""Simulators of Spectrum: the Data Exchange web services and the Info-Link database, on one store.

- ``store.py`` / ``seed.py``: the Spectrum-shaped ``_MC`` tables both simulators share, and demo data.
- ``server.py``: the web-service simulator (WSDLs, SOAP, REST, Enhanced Authentication, ``/_sim``
  knobs); ``gets.py``, ``puts.py`` and ``rest.py`` hold what each service reads and writes,
  ``state.py`` the Authorization IDs, GUIDs, tokens, faults and counters, ``wsdl.py`` the WSDLs.
- ``cli.py``: ``python manage.py spectrum_simulator --port 8482 --store sqlite:///var/spectrum-simulator.sqlite3
  --seed demo``.

Nothing here imports Django.
"""
