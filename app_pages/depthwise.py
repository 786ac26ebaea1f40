"""Depthwise separable convolution, step by step, with every channel on screen."""

import streamlit as st

from ui.depthwise_layer import Layer, layer_controls
from ui.depthwise_steps import BODIES, arrays_and_code, shapes_line, step_buttons, step_picker
from ui.sidebar import chosen_image
from ui.turns import fragment

st.title("Depthwise separable convolution, step by step")
st.markdown(
    """
A normal convolution looks at all input channels at once: each of its Cout kernels is
kh × kw × Cin. A **depthwise separable** convolution splits that work in two. The **depthwise**
stage gives every input channel its own small kernel (or M of them, the *depth multiplier*) and
never mixes channels. The **pointwise** stage then mixes channels at each pixel with 1 × 1
kernels. Walk through the steps below; every channel and every kernel is on screen.
"""
)

layer = layer_controls(chosen_image())


# A step change reruns only the lesson below, not the sidebar and the settings above.
@fragment
def lesson(layer: Layer) -> None:
    step = step_picker()
    shapes_line(layer, step)
    BODIES[step](layer)
    step_buttons(step)
    arrays_and_code(layer, step)


lesson(layer)
