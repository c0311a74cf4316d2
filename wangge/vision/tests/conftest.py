import pytest
from django.core.management import call_command

from wangge.vision.counting import default_model_path


@pytest.fixture(scope="session")
def real_model():
    """The real ONNX model, as scripts/setup makes it (converted here once if it is missing)."""
    call_command("vision_model", verbosity=0)
    path = default_model_path()
    assert path.is_file()
    return path
