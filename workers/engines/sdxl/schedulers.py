"""Samplers by the names people know from other SDXL tools."""

from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    UniPCMultistepScheduler,
)

from .errors import InvalidRequest

SCHEDULERS = {
    "euler": ("Euler", EulerDiscreteScheduler, {}),
    "euler_a": ("Euler a", EulerAncestralDiscreteScheduler, {}),
    "dpmpp_2m_karras": (
        "DPM++ 2M Karras",
        DPMSolverMultistepScheduler,
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
    "ddim": ("DDIM", DDIMScheduler, {}),
    "unipc": ("UniPC", UniPCMultistepScheduler, {}),
}
DEFAULT_SCHEDULER = "euler_a"


def scheduler_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _cls, _kwargs) in SCHEDULERS.items()]


def scheduler_key(name: str) -> str:
    """Accept the key (`dpmpp_2m_karras`) or the label (`DPM++ 2M Karras`), any case."""
    wanted = name.strip().lower()
    for key, (label, _cls, _kwargs) in SCHEDULERS.items():
        if wanted in (key, label.lower()):
            return key
    raise InvalidRequest("scheduler", f"unknown scheduler '{name}'; use one of {', '.join(SCHEDULERS)}")


def make_scheduler(name: str, base_config):
    _label, cls, kwargs = SCHEDULERS[scheduler_key(name)]
    return cls.from_config(base_config, **kwargs)
