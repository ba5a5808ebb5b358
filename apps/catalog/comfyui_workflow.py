"""ComfyUI workflows (API format: {node_id: {"class_type", "inputs"}}) made from SEIDRA requests.

Staff workflow templates map SEIDRA fields onto a template's inputs by node id and input name;
the admin checks the mapping on save (`workflow_inputs_problems`) and the engine fills it in
(`template_apply`). The txt2img builder lives here too, so the web process (admin checks, job
records) and the `comfyui` worker read one description of a workflow. Plain Python: no Django, no
torch.
"""

import copy

# SEIDRA fields a template may take, as ImageRequest names them. `prompt` must be mapped.
TEMPLATE_FIELDS = ("prompt", "negative_prompt", "seed", "width", "height", "steps", "guidance", "batch_size")
TEMPLATE_REQUIRED = ("prompt",)


def workflow_inputs_problems(workflow, inputs) -> list[str]:
    """Why a template cannot be used, one sentence each (empty: it can): the workflow must be an
    API-format graph ("Save (API)" in ComfyUI), and each mapping must name a node of it and one of
    that node's inputs."""
    if not isinstance(workflow, dict) or not workflow:
        return ['The workflow must be a JSON object of nodes, as ComfyUI\'s "Save (API)" writes it.']
    problems = []
    for node_id, node in workflow.items():
        if not isinstance(node, dict) or "class_type" not in node or not isinstance(node.get("inputs"), dict):
            problems.append(
                f'Node {node_id} has no class_type and inputs: save the workflow with "Save (API)", not the UI format.'
            )
    if problems:
        return problems
    if not isinstance(inputs, dict):
        return ['The inputs must be a JSON object: {"prompt": {"node": "6", "input": "text"}, ...}.']
    for field in TEMPLATE_REQUIRED:
        if field not in inputs:
            problems.append(f"Map '{field}': a template without it would ignore what the user asks.")
    for field, target in inputs.items():
        if field not in TEMPLATE_FIELDS:
            problems.append(f"'{field}' is not a SEIDRA field; use one of {', '.join(TEMPLATE_FIELDS)}.")
            continue
        if not isinstance(target, dict) or not {"node", "input"} <= set(target):
            problems.append(f'\'{field}\' must map to {{"node": id, "input": name}}.')
            continue
        node = workflow.get(str(target["node"]))
        if node is None:
            problems.append(f"'{field}': the workflow has no node {target['node']}.")
        elif target["input"] not in node["inputs"]:
            names = ", ".join(sorted(node["inputs"])) or "none"
            problems.append(
                f"'{field}': node {target['node']} ({node['class_type']}) has no input '{target['input']}' "
                f"(it has: {names})."
            )
    return problems


def template_apply(workflow: dict, inputs: dict, values: dict) -> dict:
    """A copy of the template's workflow with each mapped input set from `values` (SEIDRA field -> value)."""
    filled = copy.deepcopy(workflow)
    for field, target in inputs.items():
        if field in values and values[field] is not None:
            filled[str(target["node"])]["inputs"][target["input"]] = values[field]
    return filled
