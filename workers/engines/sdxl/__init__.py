"""SDXL + LoRA engine on diffusers. Imports torch: only worker code may import this package."""


def _library_logs_route() -> None:
    """diffusers and transformers print through their own handlers and draw progress bars; send
    their records to ours instead, so the worker's log stays one JSON object per line. Done here,
    before any module of the package imports a pipeline class (transformers warns at that import)."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    for library in (diffusers_logging, transformers_logging):
        library.disable_progress_bar()
        library.disable_default_handler()
        library.enable_propagation()


_library_logs_route()
