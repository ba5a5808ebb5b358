"""Installed models and LoRAs: a mirror of SEIDRA_MODELS_DIR kept by catalog_sync_from_disk.

The files are the truth; these rows let pages, the API and the admin list them without walking
the disk, and carry what the disk cannot (trigger words, default weight, licence, origin).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Beyond this a LoRA burns the image; the same bound applies to catalog entries.
MAX_LORA_WEIGHT = 5.0


class ModelKind(models.TextChoices):
    CHECKPOINT = "checkpoint", _("Checkpoint")
    VAE = "vae", _("VAE")


class ModelFormat(models.TextChoices):
    DIFFUSERS = "diffusers", _("Diffusers directory")
    SINGLE_FILE = "single_file", _("Single file")


class Engine(models.TextChoices):
    """Which engine runs a model (apps/catalog/request.py names them for the workers)."""

    LOCAL = "local", _("Local (this server's workers)")
    COMFYUI = "comfyui", _("ComfyUI server")


class LoraKeyFormat(models.TextChoices):
    """How a LoRA file names its weights: ComfyUI reads kohya keys and silently skips the others."""

    UNKNOWN = "", _("Not checked")
    KOHYA = "kohya", _("Kohya (lora_unet_...)")
    DIFFUSERS = "diffusers", _("Diffusers / PEFT (unet....lora_A)")


class Source(models.TextChoices):
    CATALOG = "catalog", _("Catalog")
    LOCAL = "local", _("Local file")
    HUB = "hub", _("Hugging Face Hub")
    DEMO = "demo", _("Demo (random weights)")
    COMFYUI = "comfyui", _("ComfyUI server")


class InstalledModel(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ModelKind.choices)
    format = models.CharField(_("format"), max_length=16, choices=ModelFormat.choices)
    path = models.CharField(_("path"), max_length=500, help_text=_("Relative to SEIDRA_MODELS_DIR."))
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    is_demo = models.BooleanField(
        _("demo model"), default=False, help_text=_("Demo model with random weights: its images are noise.")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.LOCAL)
    repo_id = models.CharField(_("hub repository"), max_length=200, blank=True)
    engine = models.CharField(_("engine"), max_length=16, choices=Engine.choices, default=Engine.LOCAL)
    # ComfyUI entries: the base URLs of the pool's servers that list this checkpoint (empty for local ones).
    servers = models.JSONField(_("servers"), default=list, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("installed model")
        verbose_name_plural = _("installed models")

    def __str__(self) -> str:
        return self.name


class InstalledLora(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    path = models.CharField(_("path"), max_length=500, help_text=_("Relative to SEIDRA_MODELS_DIR."))
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    trigger_words = models.JSONField(
        _("trigger words"), default=list, blank=True, help_text=_("Words to put in the prompt to activate the style.")
    )
    default_weight = models.FloatField(
        _("default weight"), default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(MAX_LORA_WEIGHT)]
    )
    base_model = models.CharField(_("base model"), max_length=32, default="sdxl")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.LOCAL)
    repo_id = models.CharField(_("hub repository"), max_length=200, blank=True)
    license = models.CharField(_("licence"), max_length=200, blank=True)
    is_demo = models.BooleanField(
        _("demo LoRA"), default=False, help_text=_("Demo LoRA with random weights, for the demo model.")
    )
    engine = models.CharField(_("engine"), max_length=16, choices=Engine.choices, default=Engine.LOCAL)
    servers = models.JSONField(_("servers"), default=list, blank=True)  # as InstalledModel.servers
    key_format = models.CharField(
        _("key format"), max_length=16, choices=LoraKeyFormat.choices, default=LoraKeyFormat.UNKNOWN, blank=True
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("installed LoRA")
        verbose_name_plural = _("installed LoRAs")

    def __str__(self) -> str:
        return self.name


class WorkflowTemplate(models.Model):
    """A staff-registered ComfyUI API-format workflow, offered to users like a model.

    Staff only: a workflow can call any node installed on the server. `inputs` maps SEIDRA fields to
    the workflow's inputs: {"prompt": {"node": "6", "input": "text"}, "seed": {...}, ...}."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    workflow = models.JSONField(_("workflow (API format)"), default=dict)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ComfyUI workflow template")
        verbose_name_plural = _("ComfyUI workflow templates")

    def __str__(self) -> str:
        return self.name
