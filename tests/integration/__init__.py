import pytest

# The shared checks in outcomes.py assert on what the real system ended with: show the difference.
pytest.register_assert_rewrite("tests.integration.outcomes")
