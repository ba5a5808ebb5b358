import json

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.text import text_problem_find, text_problem_message

from .catalog_file import REPO_ID_PATTERN
from .comfyui_workflow import TEMPLATE_FIELDS, workflow_inputs_problems
from .models import InstalledLora, InstalledModel, WorkflowTemplate
from .services import LORA_NAME_PATTERN


class LoraAddForm(forms.Form):
    """Staff add a LoRA from a file already on the server, or from a Hugging Face Hub repository."""

    FROM_FILE = "file"
    FROM_HUB = "hub"

    origin = forms.ChoiceField(
        label=_("Add from"),
        choices=[(FROM_FILE, _("a file on the server")), (FROM_HUB, _("a Hugging Face Hub repository"))],
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),  # the admin's style for choices
        initial=FROM_FILE,
    )
    file_path = forms.CharField(
        label=_("Path on the server"),
        required=False,
        max_length=1000,
        help_text=_("Absolute path of a .safetensors file, for example /srv/loras/my-style.safetensors."),
    )
    repo_id = forms.CharField(
        label=_("Hub repository"),
        required=False,
        max_length=200,
        help_text=_("owner/name, for example nerijs/pixel-art-xl."),
    )
    filename = forms.CharField(
        label=_("File in the repository"),
        required=False,
        max_length=300,
        help_text=_("The .safetensors file to download, for example pixel-art-xl.safetensors."),
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        help_text=_("Optional; defaults to the file name without .safetensors."),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name.lower().endswith(".safetensors"):
            name = name[: -len(".safetensors")]
        if name and not LORA_NAME_PATTERN.fullmatch(name):
            raise forms.ValidationError(_("Use letters, digits, '.', '_' or '-' only."))
        return name

    def clean(self) -> dict:
        data = super().clean()
        if data.get("origin") == self.FROM_FILE:
            if not data.get("file_path", "").strip():
                self.add_error("file_path", _("Give the path of a .safetensors file on the server."))
        elif data.get("origin") == self.FROM_HUB:
            repo_id = data.get("repo_id", "").strip()
            if not repo_id:
                self.add_error("repo_id", _("Give the repository id, owner/name."))
            elif not REPO_ID_PATTERN.fullmatch(repo_id):
                self.add_error("repo_id", _("A repository id looks like owner/name."))
            if not data.get("filename", "").strip():
                self.add_error("filename", _("Give the name of the .safetensors file in the repository."))
        return data

    def source_field(self) -> str:
        """The field a failure of the chosen source belongs next to."""
        return "file_path" if self.cleaned_data.get("origin") == self.FROM_FILE else "repo_id"


class TriggerWordsField(forms.CharField):
    """Trigger words edited as one comma-separated line rather than a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [word.strip() for word in text.split(",") if word.strip()]


class InstalledLoraForm(forms.ModelForm):
    trigger_words = TriggerWordsField(
        label=_("trigger words"),
        required=False,
        help_text=_("Comma-separated words to put in the prompt to activate the style."),
    )

    class Meta:
        model = InstalledLora
        fields = ["trigger_words", "default_weight", "license"]


# A workflow graph is a few hundred kilobytes at most; anything bigger is not one.
WORKFLOW_FILE_MAX_BYTES = 2 * 1024 * 1024


class WorkflowTemplateForm(forms.ModelForm):
    """Staff register a ComfyUI API-format workflow: uploaded as a .json file or pasted, with the
    mapping of SEIDRA fields onto its inputs as JSON. Checked on save against the workflow
    (apps/catalog/comfyui_workflow.py), so a user never picks a template that cannot run."""

    workflow_file = forms.FileField(
        label=_("Workflow file"),
        required=False,
        help_text=_('A workflow saved with "Save (API)" in ComfyUI (.json); replaces the text below.'),
    )

    class Meta:
        model = WorkflowTemplate
        fields = ["name", "description", "enabled", "workflow_file", "workflow", "inputs"]
        help_texts = {
            "workflow": _('The API-format JSON: {"3": {"class_type": "KSampler", "inputs": {...}}, ...}.'),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workflow"].required = False  # an upload may bring it instead
        self.fields["inputs"].help_text = gettext(
            'SEIDRA field -> node input, e.g. {"prompt": {"node": "6", "input": "text"}, '
            '"seed": {"node": "3", "input": "seed"}}. Fields: %(fields)s; prompt is required.'
        ) % {"fields": ", ".join(TEMPLATE_FIELDS)}

    def clean_workflow_file(self):
        upload = self.cleaned_data.get("workflow_file")
        if not upload:
            return None
        if upload.size > WORKFLOW_FILE_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s.") % {"size": filesizeformat(WORKFLOW_FILE_MAX_BYTES)}
            )
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise forms.ValidationError(_("The file is not JSON (%(reason)s).") % {"reason": error}) from None

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if InstalledModel.objects.filter(name=name).exists():
            raise forms.ValidationError(
                _("An installed model is named '%(name)s': a template needs a name of its own.") % {"name": name}
            )
        return name

    def _text_refused(self, data: dict) -> bool:
        """A string the database cannot store (NUL: PostgreSQL's jsonb refuses \\u0000) anywhere in the JSON."""
        for field in ("workflow", "inputs"):
            found = text_problem_find(data.get(field))
            if found:
                self.add_error(field, text_problem_message(*found))
        return bool(self.errors)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("workflow_file") is not None:
            data["workflow"] = data["workflow_file"]
        if "workflow" in self.errors or "inputs" in self.errors or "workflow_file" in self.errors:
            return data
        if not data.get("workflow"):
            self.add_error("workflow", _("Upload the workflow file or paste its JSON."))
            return data
        if self._text_refused(data):
            return data
        problems = workflow_inputs_problems(data["workflow"], data.get("inputs") or {})
        for problem in problems:
            self.add_error("inputs", problem)
        return data
