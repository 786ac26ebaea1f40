"""Issue 9's "every claim exact" on the pages, in Streamlit's AppTest.

Each test sets the widgets a student would and checks what the page then states against
counts worked out here by hand or by an independent reference.
"""

from test_app import _app, _text


def test_cost_page_never_says_half_times_cheaper():
    """k = 1, Cout = 1 on 12x12x3: per pixel depthwise 1·3 + pointwise 3·1 = 6 against the
    normal 1·3·1 = 3, so the separable layer costs 2× more, and the page says so."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_cout").set_value(1)
    at.number_input(key="cost_k").set_value(1).run()
    assert not at.exception
    text = _text(at)
    # 12x12 positions: normal 1*1*3*1*144 = 432; separable 432 + 432 = 864.
    assert "432" in text and "864" in text
    assert "2× more multiplications" in text
    assert "0.5×" not in text and "cheaper" not in text


def test_cost_page_says_the_same_at_equality():
    """Cin = 1, k = 2, Cout = 4, M = 2: per pixel the separable layer needs 2·2·2 + 2·4 = 16,
    the normal one 2·2·1·4 = 16."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_cin").set_value(1)
    at.number_input(key="cost_cout").set_value(4)
    at.number_input(key="cost_m").set_value(2)
    at.number_input(key="cost_k").set_value(2).run()
    assert not at.exception
    assert "the same number of multiplications as the normal one" in _text(at)
    assert "1.0×" not in _text(at)
