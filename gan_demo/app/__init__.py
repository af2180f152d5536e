"""The Gradio app: layout, tabs and the adapters between Gradio values and the Studio."""
