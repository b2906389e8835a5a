"""One cache directory for the whole test session (tiny-profile runs are shared by tests)."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    old = os.environ.get("MOLAP_CACHE")
    os.environ["MOLAP_CACHE"] = str(tmp_path_factory.mktemp("molap_cache"))
    yield
    if old is None:
        os.environ.pop("MOLAP_CACHE", None)
    else:
        os.environ["MOLAP_CACHE"] = old
