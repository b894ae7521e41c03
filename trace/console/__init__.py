"""The people's app at /console/: a shell, static ES modules, a service worker and its words."""
