import pytest


@pytest.fixture(autouse=True, scope="session")
def _media_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded photos made by tests go to a temporary folder, never to var/media."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _cold_percolator() -> None:
    """Each test's database starts again from generation 0; so must each worker's percolator."""
    from search.percolator import forget

    forget()
