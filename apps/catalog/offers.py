"""What the catalog offers users, engine by engine: the Create page's model menu (local models,
each ComfyUI server's checkpoints, the enabled workflow templates), the notes shown beside entries,
and the enabled workflow templates. Read-only; the Models page, /api/models and the Create form
share it so they group and explain entries the same way."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, WorkflowTemplate

COMFYUI_IGNORES_LORA = gettext_lazy("ComfyUI ignores this LoRA (diffusers/PEFT keys): convert it to kohya format")
NO_COMFYUI_SERVER = gettext_lazy("No ComfyUI server configured: set SEIDRA_COMFYUI_URL")


def workflow_templates_enabled() -> QuerySet[WorkflowTemplate]:
    return WorkflowTemplate.objects.filter(enabled=True)


def lora_note(lora: InstalledLora) -> str:
    """What a user must know before picking this LoRA ("" when nothing)."""
    if lora.engine == Engine.COMFYUI and lora.key_format == LoraKeyFormat.DIFFUSERS:
        return str(COMFYUI_IGNORES_LORA)
    return ""


def engine_label(engine: str, servers: list[str]) -> str:
    """ "Local" or "ComfyUI (url, url)": where an entry runs, as pages show it."""
    if engine == Engine.COMFYUI:
        return _("ComfyUI (%(servers)s)") % {"servers": ", ".join(servers) or _("no server")}
    return _("Local")


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the Create page's model menu: an installed checkpoint or an enabled template."""

    name: str
    engine: str
    group: str  # the menu's group label
    is_demo: bool = False
    is_template: bool = False

    def option_attrs(self) -> dict:
        """What the Create page's script reads on the <option> to show only the LoRAs it can take."""
        return {"data-engine": self.engine, "data-loras": "0" if self.is_template else "1"}


def model_choices(models: list[InstalledModel]) -> list[ModelChoice]:
    """Local checkpoints first, then each ComfyUI server's (by server set), then the templates."""
    choices = [
        ModelChoice(name=model.name, engine=model.engine, group=engine_label(model.engine, model.servers),
                    is_demo=model.is_demo)
        for model in sorted(models, key=lambda model: (model.engine != Engine.LOCAL, model.servers, model.name))
    ]  # fmt: skip
    group = _("ComfyUI workflow templates")
    choices += [
        ModelChoice(name=template.name, engine=Engine.COMFYUI, group=group, is_template=True)
        for template in workflow_templates_enabled()
    ]
    return choices


def model_choice_groups(choices: list[ModelChoice], label) -> list:
    """Django select choices: flat when every entry is local (one group says nothing), else one
    <optgroup> per engine and server set. `label(choice)` is the option's text."""
    if all(choice.engine == Engine.LOCAL for choice in choices):
        return [(choice.name, label(choice)) for choice in choices]
    groups: dict[str, list] = {}
    for choice in choices:
        groups.setdefault(choice.group, []).append((choice.name, label(choice)))
    return list(groups.items())
