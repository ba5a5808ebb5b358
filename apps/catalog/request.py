"""The one request model: what an image job asks for, and where its model lives.

`ImageRequest` is what the validator (apps/catalog/parameters.py) returns, what the API schema and
the Create form are built from, what the job row stores (`to_json`), what the worker unpacks
(`from_json`) and what the PNG metadata writes. Adding a parameter starts here.

`ModelLocation` is the catalog's answer to "which engine runs this model, and from where"
(apps/catalog/selectors.py `model_locate`): the worker asks it by name and never applies layout
rules of its own.

Plain dataclasses, no Django import: the engines use them without a configured project.
"""

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

ENGINE_LOCAL = "local"  # diffusers SDXL in the worker process (workers/engines/local.py)
ENGINE_COMFYUI = "comfyui"  # a remote ComfyUI server of the pool (workers/engines/comfyui/)
ENGINES = (ENGINE_LOCAL, ENGINE_COMFYUI)


@dataclass(frozen=True)
class LoraChoice:
    name: str
    weight: float = 1.0


def _(text: str) -> str:
    """Marks a label or help text for translation (makemessages finds `_("...")`); the form and the
    API translate it where they show it. No Django here, so the engines import this module freely."""
    return text


@dataclass(frozen=True)
class ImageRequest:
    """A validated text-to-image request. Field metadata: `label` and `help`, which the Create form
    (apps/jobs/forms.py) and the API schema (apps/jobs/serializers.py) show; their bounds are in
    apps/catalog/limits.py (FIELD_BOUNDS)."""

    prompt: str = field(metadata={"label": _("Prompt"), "help": ""})
    model: str = field(
        metadata={
            "label": _("Model"),
            "help": _("A checkpoint of this server or of a ComfyUI server, or a workflow template."),
        }
    )
    width: int = field(metadata={"label": _("Width"), "help": ""})
    height: int = field(metadata={"label": _("Height"), "help": ""})
    steps: int = field(metadata={"label": _("Steps"), "help": ""})
    negative_prompt: str = field(default="", metadata={"label": _("Negative prompt"), "help": ""})
    loras: tuple[LoraChoice, ...] = field(default=(), metadata={"label": _("LoRA styles"), "help": ""})
    guidance: float = field(
        default=7.0, metadata={"label": _("Guidance"), "help": _("How closely the image follows the prompt.")}
    )
    scheduler: str = field(default="euler_a", metadata={"label": _("Scheduler"), "help": ""})
    seed: int | None = field(default=None, metadata={"label": _("Seed"), "help": _("Empty for a random seed.")})
    batch_size: int = field(default=1, metadata={"label": _("Images"), "help": ""})
    # {"id", "name"} of the persona whose defaults were composed in (the prompt is already the composed one).
    persona: dict | None = field(default=None, metadata={"label": _("Persona"), "help": ""})

    def to_json(self) -> dict:
        """The job row's `parameters`: plain JSON (LoRAs as a list of {name, weight})."""
        data = asdict(self)
        data["loras"] = [{"name": lora.name, "weight": lora.weight} for lora in self.loras]
        if data["persona"] is None:
            del data["persona"]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ImageRequest":
        """Back from a job row; keys this version does not know (older or newer rows) are ignored."""
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["loras"] = tuple(
            LoraChoice(name=lora["name"], weight=float(lora.get("weight", 1.0))) for lora in data.get("loras") or ()
        )
        return cls(**values)


@dataclass(frozen=True)
class ModelLocation:
    """Where a model lives and which engine runs it (apps/catalog/selectors.py `model_locate`).

    local:   `path` is a diffusers directory or a single .safetensors file; a single file takes its
             configs from `config_dir` (a directory, or a hub repo id when none is installed);
             `vae_path` is the fp16-fix VAE when installed (never for the demo model).
    comfyui: `servers` are the pool's base URLs that list this checkpoint (or, for a workflow
             template, every server of the pool); `workflow` is a staff template's API-format graph
             and `workflow_inputs` its mapping {seidra_field: {"node": id, "input": name}}.
    """

    name: str
    engine: str
    is_demo: bool = False
    path: Path | None = None
    config_dir: Path | str | None = None
    vae_path: Path | None = None
    servers: tuple[str, ...] = ()
    workflow: dict | None = None
    workflow_inputs: dict | None = None
