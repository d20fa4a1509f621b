"""Employer pages: the staff register and approval queue, the employer's own page, online
sign-up and partner programmes (blueprint ``employers``)."""
from app.offers.employer_routes import common, programmes, signup, staff  # noqa: F401
