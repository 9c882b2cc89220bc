import pytest

from tests.webhooks.receiver import start_receiver


@pytest.fixture
def receiver():
    """A webhook receiver on loopback, recording what it is sent."""
    received, server = start_receiver()
    yield received
    server.shutdown()
    server.server_close()
