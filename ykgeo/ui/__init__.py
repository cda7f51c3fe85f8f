"""The Streamlit app's pages: widgets and calls into ykgeo, nothing more (``app.py`` routes to them)."""
