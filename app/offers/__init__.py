"""Employers and offers. This package starts with the employer record that employer users belong to."""
