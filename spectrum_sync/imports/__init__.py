"""Imports: Spectrum → platform, polled on a schedule, cheap when nothing changed.

- :mod:`.declarations` — one declaration per imported object type (reader, key, hashed fields,
  mapper, platform resource, dependencies). Adding an object type touches that module only.
- :mod:`.engine` — one poll: stream records, compare hashes with the mirror, deliver and write
  only what is new, changed or gone (:func:`.engine.run_poll`).
- :mod:`.leases` — the per-(tenant, object type) lease with a fencing token on ``PollSchedule``.
- :mod:`.dispatcher` — the once-a-minute tick that starts the polls that are due.
- :mod:`.actions` — what the admin and the command line call: sync now, full resync, reset,
  schedules for a tenant.
"""
