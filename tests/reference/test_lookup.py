"""The coder the application builds from the database is the one the benchmark measures."""
from collections import Counter

from app.reference.coding import entries_from_csv
from app.reference.lookup import coder_entries, get_coder


def test_database_entries_equal_the_shipped_files(ctx, app):
    from_db = Counter(coder_entries())
    from_files = Counter(entries_from_csv(app.config["REFERENCE_DATA_DIR"]))
    assert from_db == from_files


def test_the_coder_is_cached_per_reference_load(ctx):
    assert get_coder() is get_coder()
