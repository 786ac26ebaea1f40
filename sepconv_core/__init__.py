"""sepconv_core: the numerical engine of the Separable Convolution Explorer (numpy only)."""
