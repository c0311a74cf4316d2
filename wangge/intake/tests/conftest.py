import pytest

from conftest import metres
from wangge.cases.tests.conftest import loop  # noqa: F401 - the case-loop fixture, shared

# A place in grid A (the grid worker `gw` works there) and one outside the fixture territory.
IN_A = metres(100, 300, 101, 301).centroid
OUTSIDE = metres(3000, 3000, 3001, 3001).centroid


@pytest.fixture
def street(loop):  # noqa: F811 - the imported fixture
    return loop
