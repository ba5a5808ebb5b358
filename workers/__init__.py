"""GPU side: RQ worker, job functions and engines. The only code that imports torch (inside functions
or engine modules, never at package import, so `manage.py` in the web process stays light)."""
