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


@dataclass(frozen=True)
class ImageRequest:
    """A validated text-to-image request. Field metadata: `label` and `help` (form and schema)."""

    prompt: str = field(metadata={"label": "Prompt", "help": "What to draw."})
    model: str = field(metadata={"label": "Model", "help": "An installed model's name; the default when left out."})
    width: int = field(metadata={"label": "Width", "help": "Pixels, a multiple of 8, within the model's bounds."})
    height: int = field(metadata={"label": "Height", "help": "Pixels, a multiple of 8, within the model's bounds."})
    steps: int = field(metadata={"label": "Steps", "help": "Denoising steps."})
    negative_prompt: str = field(default="", metadata={"label": "Negative prompt", "help": "What to avoid."})
    loras: tuple[LoraChoice, ...] = field(
        default=(), metadata={"label": "LoRAs", "help": "Styles to apply: {name, weight} each."}
    )
    guidance: float = field(default=7.0, metadata={"label": "Guidance", "help": "How closely to follow the prompt."})
    scheduler: str = field(default="euler_a", metadata={"label": "Scheduler", "help": "Sampler key or label."})
    seed: int | None = field(
        default=None, metadata={"label": "Seed", "help": "Same seed, same image; left out or -1: drawn at random."}
    )
    batch_size: int = field(default=1, metadata={"label": "Images", "help": "Images made by this job."})
    # {"id", "name"} of the persona whose defaults were composed in (the prompt is already the composed one).
    persona: dict | None = field(default=None, metadata={"label": "Persona", "help": "One of your personas."})

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
