"""Linking records that exist on both sides: the platform's directory matched to Spectrum's mirror.

``models`` (directory entries, links and their history), ``lookup`` (what the pipelines ask: which
platform record a Spectrum key is linked to), ``matching`` (pure scoring), ``services`` (receive a
directory, propose, decide, deliver), ``views`` (the inbound API) and ``admin`` (the link screen).
"""
