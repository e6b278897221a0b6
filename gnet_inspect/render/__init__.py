"""Rendering results: terminal tables (rich), CSV, JSON, Markdown and graphviz figures."""
