"""``flask matching``: nightly lists and index maintenance."""
from flask.cli import AppGroup

matching_cli = AppGroup("matching", help="Matching of job-seekers and offers.")
