"""End-to-end tests of the public pages in headless Chromium at phone size."""
