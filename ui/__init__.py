"""Page-layer helpers: Streamlit widgets, caching and Plotly figures (no arithmetic)."""
