"""How a persona and the user's own fields make one job's parameters: the rule, written once.

- prompt: the persona's template with "{prompt}" replaced by the user's prompt; a template without
  the placeholder gets the user's prompt appended after ", " (an empty template is the user's prompt);
- negative prompt: the persona's, then the user's, joined with ", ";
- LoRAs: the persona's, then the user's; for a LoRA in both, the user's weight wins (a weight of 0
  turns one of the persona's off);
- model, seed, width, height, steps, guidance, scheduler: the user's explicit value, else the
  persona's, else left out, so the validator applies the model's own default;
- a persona whose `nsfw_allowed` is off adds NSFW_AVOIDING_NEGATIVE to the negative prompt, so its
  character is steered away from nudity (the worker's detector still scores every image).

"Explicit" means present and not empty: a form's blank seed or a JSON null is "not set". The result
still goes through the one validator (apps.catalog.parameters.image_parameters_clean).
"""

from .models import PROMPT_PLACEHOLDER, Persona

NSFW_AVOIDING_NEGATIVE = "nsfw, nude, naked, explicit"
DEFAULT_FIELDS = ("model", "seed", "width", "height", "steps", "guidance", "scheduler")


def is_set(value) -> bool:
    """Whether a field holds a value: None, "" (a blank form field) and a JSON null do not."""
    return value is not None and value != ""


def prompt_compose(template: str, prompt: str) -> str:
    template, prompt = template.strip(), (prompt or "").strip()
    if PROMPT_PLACEHOLDER in template:
        return template.replace(PROMPT_PLACEHOLDER, prompt).strip()
    return ", ".join(part for part in (template, prompt) if part)


def negative_compose(persona: Persona, negative: str) -> str:
    parts = [persona.negative_prompt.strip(), (negative or "").strip()]
    if not persona.nsfw_allowed:
        parts.append(NSFW_AVOIDING_NEGATIVE)
    return ", ".join(part for part in parts if part)


def loras_compose(persona_loras: list, explicit_loras) -> list:
    """The persona's LoRAs then the user's, one entry per name; the user's weight wins."""
    if not isinstance(explicit_loras, list):
        return explicit_loras  # not a list: left to the validator, which names the mistake
    merged: dict = {}
    for lora in [*(persona_loras or []), *explicit_loras]:
        if isinstance(lora, dict) and isinstance(lora.get("name"), str):
            merged[lora["name"]] = lora
        else:
            return explicit_loras
    return list(merged.values())


def persona_compose(persona: Persona, explicit: dict) -> dict:
    """The job's parameters (to validate) from the persona and the user's explicit fields, plus
    `persona`: {"id", "name"} for the job and its media to record."""
    composed = {key: value for key, value in explicit.items() if is_set(value)}
    for name in DEFAULT_FIELDS:
        if name not in composed and is_set(getattr(persona, name)):
            composed[name] = getattr(persona, name)
    prompt, negative = explicit.get("prompt") or "", explicit.get("negative_prompt") or ""
    # Text that is not a string is left as it is for the validator to name.
    composed["prompt"] = prompt_compose(persona.prompt_template, prompt) if isinstance(prompt, str) else prompt
    composed["negative_prompt"] = negative_compose(persona, negative) if isinstance(negative, str) else negative
    composed["loras"] = loras_compose(persona.loras, explicit.get("loras") or [])
    composed["persona"] = {"id": str(persona.id), "name": persona.name}
    return composed
