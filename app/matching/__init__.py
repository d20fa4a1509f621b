"""Matching of job-seekers and offers.

``engine/`` is the pure, vectorised core (no Flask, no models); the ORM adapter, the
counsellors' pages and referrals are built on top of it.
"""
