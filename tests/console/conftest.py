import pytest


@pytest.fixture
def manager(department, other_department):
    """A LiveChat Manager of every department."""
    from tests.factories import make_manager

    return make_manager(username="maya", departments=[department, other_department])


@pytest.fixture
def support_manager(department, other_department):
    """A LiveChat Manager limited to Support."""
    from tests.factories import make_manager

    manager = make_manager(username="suri", departments=[department, other_department])
    manager.supervised_departments.set([department])
    return manager


@pytest.fixture
def sales_room(write_as_contact, other_department):
    return write_as_contact("Quote please", visitor="sales-visitor", to=other_department).room
