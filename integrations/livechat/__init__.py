"""The website chat widget: the first customer channel."""
