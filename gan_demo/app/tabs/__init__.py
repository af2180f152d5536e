"""One file per tab of the app, each with its TITLE and `build(ctx)`; gan_demo/app/layout.py
lists them in order."""
