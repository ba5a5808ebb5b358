"""Settings split by role: base (shared), local (make run), production, test."""
